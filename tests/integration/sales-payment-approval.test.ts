import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerExternalSystem } from '../../bot/domain/approvals/external/manage-systems'
import { handleApprovalFinished } from '../../bot/domain/approvals/on-finished'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { installDefaultRoles } from '../../bot/domain/org/default-roles'
import type { Database } from '../../db/client'
import {
  approvalInstances,
  approvalTasks,
  paymentRequests,
  payments,
  roles,
  userIdentities,
  userRoles,
} from '../../db/schema'
import { createFakeErp, type FakeErp } from '../fakes/erp'
import { type createPushBuilder, type FakeFeishu, type FeishuPush, toRequestInit } from '../fakes/feishu'
import { type FeishuStack, type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { sessionHeader } from '../helpers/session'
import { waitFor } from '../helpers/wait'
import { silent } from './crm-harness'
import { type Json, signedCall } from './sales-harness'

/**
 * 回款审批 end to end over Feishu: with the CRM rule on, a payment a rep registers is a request with a
 * 回款审批 instance whose card reaches finance through the fake Open API; finance's signed card callback
 * decides it, and only an approved request that still fits becomes a payment. Rule off and ERP posts:
 * recorded directly.
 */
let fake: FakeFeishu
let own: { database: Database; drop: () => Promise<void> }
let stack: FeishuStack
let world: FeishuWorld
let push: ReturnType<typeof createPushBuilder>
let erp: FakeErp
let system: { id: string; secret: string }
let contractId = ''
let plan: Array<{ id: string; seq: number }> = []
const ids: Record<string, string> = {}

async function userIdOf(handle: string): Promise<string> {
  if (ids[handle]) return ids[handle]
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(
      and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, fake.user(handle).openId)),
    )
  if (!row) throw new Error(`${handle} not synced`)
  ids[handle] = row.userId
  return row.userId
}

async function api(
  handle: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const res = await stack.app.request(`/api/v1${path}`, {
    method,
    headers: {
      ...(await sessionHeader(stack.tenantId, await userIdOf(handle))),
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: await res.json() }
}

let seq = 0
async function tapAs(handle: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) {
  const u = fake.user(handle)
  const p: FeishuPush = await push.cardAction({
    operator: { openId: u.openId },
    value,
    ...(formValue ? { formValue } : {}),
    messageId: `om_pay_${++seq}`,
    chatId: fake.controls.p2pChatId(u.openId),
  })
  const res = await stack.app.request('/webhooks/feishu/cards', toRequestInit(p))
  return (await res.json()) as { toast?: { type: string; content: string } }
}

async function pendingTask(instanceId: string, handle: string) {
  const assignee = await userIdOf(handle)
  return waitFor(async () => {
    const [t] = await own.database.db
      .select()
      .from(approvalTasks)
      .where(
        and(
          eq(approvalTasks.instanceId, instanceId),
          eq(approvalTasks.assigneeId, assignee),
          eq(approvalTasks.status, 'pending'),
        ),
      )
    return t
  }, `${handle}'s pending task`)
}

async function grant(handle: string, roleKey: string): Promise<void> {
  const [role] = await own.database.db
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.tenantId, stack.tenantId), eq(roles.key, roleKey)))
  if (!role) throw new Error(`no role ${roleKey}`)
  await own.database.db
    .insert(userRoles)
    .values({ tenantId: stack.tenantId, userId: await userIdOf(handle), roleId: role.id })
}

const paymentCount = async () =>
  (await own.database.db.select().from(payments).where(eq(payments.contractId, contractId))).length
const receivables = async () => (await api('hemei', 'GET', `/crm/contracts/${contractId}/receivables`)).body
const requestRow = async (id: string) =>
  (await own.database.db.select().from(paymentRequests).where(eq(paymentRequests.id, id)))[0]

/** Finance's 回款审批 card for `instanceId` went out through the Open API; returns its task. */
async function financeCard(instanceId: string) {
  const wujiu = fake.user('wujiu')
  const task = await pendingTask(instanceId, 'wujiu')
  await waitFor(
    () =>
      fake.recorder
        .messagesTo(wujiu.openId)
        .some((m) => m.content.includes('approval.approve') && m.content.includes(task.id)),
    'the 回款审批 card to finance',
    15_000,
  )
  return task
}

beforeAll(async () => {
  world = await startFeishuWorld()
  ;({ fake, own, stack, push } = world)
  await installDefaultRoles(own.database.db, stack.tenantId)
  await grant('sunqi', 'admin')
  await grant('wujiu', 'finance')
  erp = await createFakeErp()
  const sys = {
    tenantId: stack.tenantId,
    actor: { kind: 'system' as const, reason: 'test' },
    db: own.database.db,
    clock: stack.clock,
    logger: silent,
  }
  const reg = await registerExternalSystem({ ctx: sys, input: { name: 'ERP', webhookUrl: erp.url } })
  erp.secret = reg.secret
  system = { id: reg.system.id, secret: reg.secret }
  const customer = await createCustomer({
    ctx: { ...sys, actor: { kind: 'user', userId: await userIdOf('hemei'), via: 'feishu' } },
    input: { name: '上海浦东发展银行' },
  })
  // The contract goes through 合同审批: 何美's manager 周八 approves with a signed tap.
  const made = await api('hemei', 'POST', '/crm/contracts', {
    name: '浦发 OA 合同',
    customerId: customer.id,
    amountCents: 40_000_000,
  })
  expect(made.status).toBe(200)
  contractId = made.body.id
  const submitted = await api('hemei', 'POST', `/crm/contracts/${contractId}/submit`, {})
  expect(submitted.status).toBe(200)
  const t = await pendingTask(submitted.body.approval.id, 'zhouba')
  expect((await tapAs('zhouba', { a: 'approval.approve', task: t.id, v: t.version })).toast?.type).toBe(
    'success',
  )
  await stack.settle(15_000)
  expect((await api('hemei', 'GET', `/crm/contracts/${contractId}`)).body.contract.status).toBe('active')
  const planned = await api('hemei', 'PUT', `/crm/contracts/${contractId}/instalments`, {
    instalments: [1, 2, 3, 4].map((m) => ({ dueDate: `2026-0${m}-15`, amountCents: 10_000_000 })),
  })
  expect(planned.status).toBe(200)
  plan = planned.body.instalments
}, 60_000)

afterAll(async () => {
  await world?.close()
  await erp?.close()
})

const pay = (amountCents: number, extra: Record<string, unknown> = {}) =>
  api('hemei', 'POST', '/crm/payments', {
    contractId,
    amountCents,
    receivedOn: '2026-01-20',
    method: 'bank_transfer',
    ...extra,
  })

describe('回款审批 through OA', () => {
  it('with the rule off (the default) a payment is recorded directly, as before', async () => {
    expect((await api('sunqi', 'GET', '/crm/rules')).body.paymentApproval).toBe(false)
    const r = await pay(10_000_000)
    expect(r.status).toBe(200)
    expect(r.body.created).toBe(true)
    expect(r.body.receivables).toMatchObject({ outstandingCents: 30_000_000, label: '1/4 期' })
    expect(await own.database.db.select().from(paymentRequests)).toHaveLength(0)
  })

  it('an admin turns the rule on; a registered payment waits for finance, who approves it from the card', async () => {
    const rules = (await api('sunqi', 'GET', '/crm/rules')).body
    const denied = await api('hemei', 'PUT', '/crm/rules', { ...rules, paymentApproval: true })
    expect(denied.status).toBe(403)
    const saved = await api('sunqi', 'PUT', '/crm/rules', { ...rules, paymentApproval: true })
    expect([saved.status, saved.body.paymentApproval]).toEqual([200, true])
    // Saving the pool rules without the field leaves the switch as it is.
    const { paymentApproval: _p, ...poolOnly } = rules
    expect((await api('sunqi', 'PUT', '/crm/rules', poolOnly)).body.paymentApproval).toBe(true)

    const second = plan.find((p) => p.seq === 2)
    if (!second) throw new Error('no instalment 2')
    const r = await pay(10_000_000, {
      note: '第二期',
      allocations: [{ instalmentId: second.id, amountCents: 10_000_000 }],
    })
    expect(r.status).toBe(202)
    expect(r.body.request).toMatchObject({ state: 'pending', amountCents: 10_000_000, paymentId: null })
    // Nothing counts yet.
    expect(await paymentCount()).toBe(1)
    expect((await receivables()).outstandingCents).toBe(30_000_000)
    const listed = await api('hemei', 'GET', `/crm/contracts/${contractId}/payment-requests`)
    expect(listed.body.items.map((x: Json) => [x.id, x.state])).toEqual([[r.body.request.id, 'pending']])
    const [ins] = await own.database.db
      .select()
      .from(approvalInstances)
      .where(eq(approvalInstances.id, r.body.request.approvalInstanceId))
    expect(ins?.businessRef).toBe(`contract:${contractId}`)
    expect(ins?.form).toMatchObject({ amount: 10_000_000, receivedOn: '2026-01-20', method: '银行转账' })

    const task = await financeCard(r.body.request.approvalInstanceId)
    const tapped = await tapAs('wujiu', { a: 'approval.approve', task: task.id, v: task.version })
    expect(tapped.toast?.type).toBe('success')
    await stack.settle(15_000)
    const done = await api('hemei', 'GET', `/crm/payment-requests/${r.body.request.id}`)
    expect(done.body.state).toBe('approved')
    expect(done.body.paymentId).toMatch(/^pay_/)
    const view = await receivables()
    expect(view).toMatchObject({ receivedCents: 20_000_000, outstandingCents: 20_000_000, label: '2/4 期' })
    expect(view.instalments.find((i: Json) => i.seq === 2)).toMatchObject({ receivedCents: 10_000_000 })
    const [p] = await own.database.db.select().from(payments).where(eq(payments.id, done.body.paymentId))
    expect(p).toMatchObject({ amountCents: 10_000_000, note: '第二期', createdById: await userIdOf('hemei') })

    // The finished event again (a redelivered job), or a stale other outcome, changes nothing.
    for (const status of ['approved', 'approved', 'rejected'] as const)
      await handleApprovalFinished({
        ctx: {
          tenantId: stack.tenantId,
          actor: { kind: 'system', reason: 'test' },
          db: own.database.db,
          clock: stack.clock,
          logger: silent,
        },
        input: {
          instanceId: r.body.request.approvalInstanceId,
          templateKey: 'sales_payment',
          status,
          businessRef: `contract:${contractId}`,
        },
      })
    expect(await paymentCount()).toBe(2)
    expect(await requestRow(r.body.request.id)).toMatchObject({
      state: 'approved',
      paymentId: done.body.paymentId,
    })
  })

  it('a rejected request ends with no payment', async () => {
    const r = await pay(5_000_000)
    expect(r.status).toBe(202)
    const task = await financeCard(r.body.request.approvalInstanceId)
    const tapped = await tapAs(
      'wujiu',
      { a: 'approval.reject', task: task.id, v: task.version },
      { comment: '银行未到账' },
    )
    expect(tapped.toast?.type).toBe('success')
    await stack.settle(15_000)
    expect((await requestRow(r.body.request.id))?.state).toBe('rejected')
    expect(await paymentCount()).toBe(2)
    expect((await receivables()).outstandingCents).toBe(20_000_000)
  })

  it('bad input is a 4xx naming the field with nothing written; outside the data scope is 404', async () => {
    const before = (await own.database.db.select().from(paymentRequests)).length
    const tooMuch = await pay(20_000_001)
    expect([tooMuch.status, tooMuch.body.error.field]).toEqual([400, 'amountCents'])
    const badAlloc = await pay(1_000_000, {
      allocations: [{ instalmentId: 'ins_nope', amountCents: 1_000_000 }],
    })
    expect([badAlloc.status, badAlloc.body.error.field]).toEqual([400, 'allocations.0.instalmentId'])
    const badMethod = await pay(1_000_000, { method: 'gold' })
    expect(badMethod.status).toBe(400)
    expect(JSON.stringify(badMethod.body)).toContain('method')
    // 李四 (research, own data only) sees neither the contract nor its requests.
    const outside = await api('lisi', 'POST', '/crm/payments', {
      contractId,
      amountCents: 1_000_000,
      receivedOn: '2026-01-20',
      method: 'cash',
    })
    expect(outside.status).toBe(404)
    expect((await api('lisi', 'GET', `/crm/contracts/${contractId}/payment-requests`)).status).toBe(404)
    const some = (await own.database.db.select().from(paymentRequests))[0]
    expect((await api('lisi', 'GET', `/crm/payment-requests/${some?.id}`)).status).toBe(404)
    expect(await own.database.db.select().from(paymentRequests)).toHaveLength(before)
  })

  it('「登记回款」 on a card submits for approval too; the applicant withdraws it and nothing is recorded', async () => {
    const third = plan.find((p) => p.seq === 3)
    if (!third) throw new Error('no instalment 3')
    const r = await tapAs(
      'hemei',
      { a: 'sales.payment.register', contract: contractId, instalment: third.id },
      { amount: '1,000.00', method: 'cash' },
    )
    expect(r.toast?.type).toBe('success')
    expect(r.toast?.content).toContain('审批')
    const [req] = await own.database.db
      .select()
      .from(paymentRequests)
      .where(and(eq(paymentRequests.contractId, contractId), eq(paymentRequests.state, 'pending')))
    expect(req).toMatchObject({ amountCents: 100_000, method: 'cash' })
    if (!req) throw new Error('no request')
    expect((await tapAs('hemei', { a: 'approval.withdraw', ins: req.approvalInstanceId })).toast?.type).toBe(
      'success',
    )
    await stack.settle(15_000)
    expect((await requestRow(req.id))?.state).toBe('withdrawn')
    expect(await paymentCount()).toBe(2)
  })

  it('回款审批 is not offered to start by hand: an instance without its request would record nothing', async () => {
    const list = await api('hemei', 'GET', '/approvals/templates')
    expect(list.body.items.map((x: Json) => x.key)).not.toContain('sales_payment')
    const byHand = await api('hemei', 'POST', '/approvals/instances', {
      templateKey: 'sales_payment',
      form: { contract: contractId, amount: 100, receivedOn: '2026-01-20', method: '现金' },
    })
    expect([byHand.status, byHand.body.error.field]).toEqual([400, 'templateKey'])
  })

  it('a request sent back and resubmitted with another amount is approved and recorded at that amount', async () => {
    const r = await pay(3_000_000, { note: '首付' })
    expect(r.status).toBe(202)
    const insId = r.body.request.approvalInstanceId as string
    const task = await financeCard(insId)
    const returned = await api('wujiu', 'POST', `/approvals/tasks/${task.id}/return`, {
      comment: '到账 1 万，请改金额',
    })
    expect([returned.status, returned.body.status]).toEqual([200, 'returned'])
    const [sent] = await own.database.db
      .select()
      .from(approvalInstances)
      .where(eq(approvalInstances.id, insId))
    if (!sent) throw new Error('no instance')
    const resubmit = (form: Record<string, unknown>) =>
      api('hemei', 'POST', `/approvals/instances/${insId}/resubmit`, { form: { ...sent.form, ...form } })
    const untouched = async () => {
      expect(await requestRow(r.body.request.id)).toMatchObject({ state: 'pending', amountCents: 3_000_000 })
      const [now] = await own.database.db
        .select()
        .from(approvalInstances)
        .where(eq(approvalInstances.id, insId))
      expect([now?.status, now?.form]).toEqual(['returned', sent.form])
    }
    // What cannot be approved is refused, naming the form's field, and nothing changes.
    const tooMuch = await resubmit({ amount: 20_000_001 })
    expect([tooMuch.status, tooMuch.body.error.field]).toEqual([400, 'form.amount'])
    const instalments = await resubmit({ instalments: '第 4 期 ¥30,000.00' })
    expect([instalments.status, instalments.body.error.field]).toEqual([400, 'form.instalments'])
    const method = await resubmit({ method: '金条' })
    expect([method.status, method.body.error.field]).toEqual([400, 'form.method'])
    // Another contract of the same customer (a draft): the request keeps the contract it was started for.
    const customerId = (await api('hemei', 'GET', `/crm/contracts/${contractId}`)).body.contract.customer.id
    const draft = await api('hemei', 'POST', '/crm/contracts', {
      name: '浦发 二期',
      customerId,
      amountCents: 1,
    })
    expect([draft.status, draft.body.error]).toEqual([200, undefined])
    const other = await resubmit({ contract: draft.body.id })
    expect([other.status, other.body.error.field]).toEqual([400, 'form.contract'])
    await untouched()

    const ok = await resubmit({
      amount: 1_000_000,
      method: '现金',
      receivedOn: '2026-01-22',
      notes: '首付（实收）',
    })
    expect([ok.status, JSON.stringify(ok.body)]).toEqual([200, expect.anything()])
    expect(ok.body.status).toBe('pending')
    // The request is what finance now approves: the amount, date, method and note; the instalments and the
    // title follow the new amount.
    expect(await requestRow(r.body.request.id)).toMatchObject({
      state: 'pending',
      amountCents: 1_000_000,
      receivedOn: '2026-01-22',
      method: 'cash',
      note: '首付（实收）',
    })
    const [resent] = await own.database.db
      .select()
      .from(approvalInstances)
      .where(eq(approvalInstances.id, insId))
    expect(resent?.form).toMatchObject({ amount: 1_000_000, title: expect.stringContaining('¥10,000.00') })
    expect(String(resent?.form.instalments)).toContain('¥10,000.00')
    expect(resent?.title).toContain('¥10,000.00')

    const again = await financeCard(insId)
    expect(again.id).not.toBe(task.id)
    expect(
      (await tapAs('wujiu', { a: 'approval.approve', task: again.id, v: again.version })).toast?.type,
    ).toBe('success')
    await stack.settle(15_000)
    const done = await requestRow(r.body.request.id)
    expect(done?.state).toBe('approved')
    const [p] = await own.database.db
      .select()
      .from(payments)
      .where(eq(payments.id, done?.paymentId ?? ''))
    expect(p).toMatchObject({ amountCents: 1_000_000, receivedOn: '2026-01-22', method: 'cash' })
    expect((await receivables()).outstandingCents).toBe(19_000_000)
  })

  it('an ERP post through the signed API skips approval', async () => {
    const r = await signedCall(stack.app, system, 'POST', '/external/crm/payments', {
      contractId,
      amountCents: 5_000_000,
      receivedOn: '2026-01-21',
      method: 'bank_transfer',
      externalId: 'BANK-9',
    })
    expect(r.status).toBe(200)
    expect(r.body.created).toBe(true)
    expect(r.body.receivables.outstandingCents).toBe(14_000_000)
    expect(
      await own.database.db.select().from(paymentRequests).where(eq(paymentRequests.state, 'pending')),
    ).toHaveLength(0)
  })

  it('a request no longer within the outstanding at approval time fails with its reason, nothing written', async () => {
    const a = await pay(14_000_000)
    const b = await pay(14_000_000)
    expect([a.status, b.status]).toEqual([202, 202])
    const ta = await financeCard(a.body.request.approvalInstanceId)
    expect((await tapAs('wujiu', { a: 'approval.approve', task: ta.id, v: ta.version })).toast?.type).toBe(
      'success',
    )
    await stack.settle(15_000)
    expect((await requestRow(a.body.request.id))?.state).toBe('approved')
    expect((await receivables()).outstandingCents).toBe(0)

    const tb = await financeCard(b.body.request.approvalInstanceId)
    expect((await tapAs('wujiu', { a: 'approval.approve', task: tb.id, v: tb.version })).toast?.type).toBe(
      'success',
    )
    await stack.settle(15_000)
    const failed = (await api('hemei', 'GET', `/crm/payment-requests/${b.body.request.id}`)).body
    expect(failed.state).toBe('failed')
    expect(failed.paymentId).toBeNull()
    expect(failed.failure).toContain('超过欠款')
    expect(await paymentCount()).toBe(5)
    expect((await receivables()).receivedCents).toBe(40_000_000)
    // The applicant's result card says why it was not recorded — not 已通过 — and the one that was
    // recorded got its 已通过 card once it was.
    const hemei = fake.user('hemei')
    const cardsOf = (instanceId: string) =>
      fake.recorder.messagesTo(hemei.openId).filter((m) => m.content.includes(instanceId))
    const failedIns = b.body.request.approvalInstanceId as string
    await waitFor(
      () => cardsOf(failedIns).some((m) => m.content.includes('未能入账')),
      'the failure card to the applicant',
      15_000,
    )
    // …and the progress card (sent at the start, patched since) ends on 未能入账 with the reason, not 已通过.
    const isProgress = (m: { content: string }) => m.content.includes('我的回款审批申请')
    await waitFor(
      () => cardsOf(failedIns).some((m) => isProgress(m) && m.content.includes('未能入账')),
      'the progress card to end on 未能入账',
      15_000,
    )
    await stack.settle(5_000)
    const results = cardsOf(failedIns).filter((m) => !isProgress(m) && m.content.includes('未能入账'))
    expect(results).toHaveLength(1)
    expect(results[0]?.content).toContain('超过欠款')
    expect(cardsOf(failedIns).some((m) => m.content.includes('回款审批申请已通过'))).toBe(false)
    const progress = cardsOf(failedIns).filter(isProgress)
    expect(progress).toHaveLength(1)
    expect(progress[0]?.content).toContain('超过欠款')
    expect(progress[0]?.content).not.toContain('"已通过"')
    const recordedProgress = cardsOf(a.body.request.approvalInstanceId as string).filter(isProgress)
    expect(recordedProgress).toHaveLength(1)
    expect(recordedProgress[0]?.content).not.toContain('未能入账')
    const recordedIns = a.body.request.approvalInstanceId as string
    expect(cardsOf(recordedIns).filter((m) => m.content.includes('回款审批申请已通过'))).toHaveLength(1)
    expect(cardsOf(recordedIns).some((m) => m.content.includes('未能入账'))).toBe(false)
  })
})
