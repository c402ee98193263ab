import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerExternalSystem } from '../../bot/domain/approvals/external/manage-systems'
import { emit } from '../../bot/domain/outbox'
import { chinaDay } from '../../bot/domain/payments'
import type { Database } from '../../db/client'
import { customerValues, instalments, outbox, payments } from '../../db/schema'
import { OVERDUE_SCAN } from '../../jobs/processors/sales'
import { createFakeErp, type FakeErp } from '../fakes/erp'
import { openTestDatabase } from '../helpers/db'
import { pendingTaskOf } from './approvals-harness'
import { type CrmTenant, crmTenant, DAY, systemCtx, tap, uid } from './crm-harness'
import { apiCall, salesStack, signedCall, simClock } from './sales-harness'

/**
 * The whole sales cycle through the API, chat and the ERP's signed API, on a simulated clock:
 * opportunity → stages → won → contract → approval tapped in chat → active (ERP told) → instalments →
 * payment posted by the ERP → outstanding updated → overdue found by the scheduled job → reminder cards
 * to the owner and their manager → 「登记回款」 tapped on the card.
 */
let database: Database
let org: CrmTenant
let stack: Awaited<ReturnType<typeof salesStack>>
let erp: FakeErp
let system: { id: string; secret: string }
const clock = simClock(new Date())
const call = (key: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.app, org, key, method, path, body)
const dayPlus = (days: number) => chinaDay(new Date(clock.now().getTime() + days * DAY))

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  stack = await salesStack(database, org.tenantId, clock)
  erp = await createFakeErp()
  const reg = await registerExternalSystem({
    ctx: systemCtx(database, org),
    input: { name: 'ERP', webhookUrl: erp.url },
  })
  erp.secret = reg.secret
  system = { id: reg.system.id, secret: reg.secret }
})
afterAll(async () => {
  await stack?.close()
  await erp?.close()
  await database?.close()
})

const cardsTo = async (key: string, title: string) =>
  (
    await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'send.message')))
  ).filter((r) => {
    const p = r.payload as { to?: { userId?: string }; content?: { card?: { header?: { title?: string } } } }
    return p.to?.userId === uid(org, key) && p.content?.card?.header?.title === title
  })

describe('the sales cycle', () => {
  let contractId = ''
  let plan: Array<{ id: string; seq: number; amountCents: number }> = []

  it('lead converted → opportunity → stages → won → contract → approval in chat → active, announced to the ERP', async () => {
    const channels = (await call('liuyang', 'GET', '/crm/channels')).body.items
    const channel = channels[0] as { id: string; name: string }
    const lead = await call('liuyang', 'POST', '/crm/leads', {
      name: '李华',
      phone: '13800138000',
      company: '华为技术有限公司',
      channelId: channel.id,
      ownerId: uid(org, 'liuyang'),
    })
    expect([lead.status, lead.body.error]).toEqual([200, undefined])
    const leadId = lead.body.lead.id as string
    const converted = await call('liuyang', 'POST', `/crm/leads/${leadId}/convert`, {})
    expect([converted.status, converted.body.error]).toEqual([200, undefined])
    const customerId = converted.body.customerId as string
    // A lead id that was not converted to this customer is refused, naming the field.
    const stray = await call('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 流程卡',
      customerId,
      amountCents: 100,
      leadId: 'led_nonesuch',
    })
    expect([stray.status, stray.body.error.field]).toEqual([400, 'leadId'])
    const opp = (
      await call('liuyang', 'POST', '/crm/opportunities', {
        name: '华为 流程卡',
        customerId,
        items: [{ name: '流程卡 企业版', quantity: 3, unitPriceCents: 10_000_000 }],
        expectedCloseDate: dayPlus(30),
        leadId,
      })
    ).body
    // Source attribution carried from the lead.
    expect([opp.leadId, opp.channel]).toEqual([leadId, channel.name])
    const stages = (await call('liuyang', 'GET', '/crm/stage-sets')).body.items[0].stages
    for (const name of ['需求确认', '方案报价', '谈判审核', '赢单']) {
      const r = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/stage`, {
        stageId: stages.find((s: { name: string }) => s.name === name).id,
      })
      expect(r.body.stage.name).toBe(name)
    }
    const contract = (
      await call('liuyang', 'POST', '/crm/contracts', { name: '华为 流程卡合同', opportunityId: opp.id })
    ).body
    contractId = contract.id
    expect(contract.amountCents).toBe(30_000_000)
    const submitted = (await call('liuyang', 'POST', `/crm/contracts/${contractId}/submit`, {})).body
    const task = await pendingTaskOf(database, org, submitted.approval.id, 'zhangwei')
    const tapped = await tap(database, org, 'zhangwei', {
      a: 'approval.approve',
      task: task.id,
      v: task.version,
    })
    expect(tapped.toast?.kind).toBe('success')
    await stack.drain()
    expect((await call('liuyang', 'GET', `/crm/contracts/${contractId}`)).body.contract.status).toBe('active')
    expect(
      erp.deliveries.filter((d) => d.body.type === 'contract.activated' && d.signatureValid),
    ).toHaveLength(1)
  })

  it('instalments must add up to the contract amount; the right plan shows "0/3 期"', async () => {
    const bad = await call('liuyang', 'PUT', `/crm/contracts/${contractId}/instalments`, {
      instalments: [{ dueDate: dayPlus(10), amountCents: 10_000_000 }],
    })
    expect([bad.status, bad.body.error.field]).toEqual([400, 'instalments'])
    expect(
      await database.db.select().from(instalments).where(eq(instalments.contractId, contractId)),
    ).toEqual([])
    const ok = await call('liuyang', 'PUT', `/crm/contracts/${contractId}/instalments`, {
      instalments: [
        { dueDate: dayPlus(10), amountCents: 10_000_000 },
        { dueDate: dayPlus(40), amountCents: 10_000_000 },
        { dueDate: dayPlus(70), amountCents: 10_000_000 },
      ],
    })
    expect(ok.status).toBe(200)
    expect(ok.body.label).toBe('0/3 期')
    plan = ok.body.instalments
  })

  it('the ERP posts a payment through the signed API, idempotently; too much is refused', async () => {
    const body = { contractId, amountCents: 10_000_000, receivedOn: dayPlus(5), method: 'bank_transfer' }
    const first = await signedCall(stack.app, system, 'POST', '/external/crm/payments', body, {
      'idempotency-key': 'BANK-001',
    })
    expect(first.status).toBe(200)
    expect(first.body.created).toBe(true)
    expect(first.body.receivables).toMatchObject({
      receivedCents: 10_000_000,
      outstandingCents: 20_000_000,
      label: '1/3 期',
    })
    const again = await signedCall(stack.app, system, 'POST', '/external/crm/payments', body, {
      'idempotency-key': 'BANK-001',
    })
    expect(again.body.created).toBe(false)
    expect(again.body.payment.id).toBe(first.body.payment.id)
    const tooMuch = await signedCall(stack.app, system, 'POST', '/external/crm/payments', {
      ...body,
      amountCents: 20_000_001,
      externalId: 'BANK-002',
    })
    expect([tooMuch.status, tooMuch.body.error.field]).toEqual([400, 'amountCents'])
    const unsigned = await signedCall(
      stack.app,
      { ...system, secret: 'wrong' },
      'POST',
      '/external/crm/payments',
      body,
    )
    expect(unsigned.status).toBe(401)
    expect(await database.db.select().from(payments).where(eq(payments.contractId, contractId))).toHaveLength(
      1,
    )
    const customerView = (await call('liuyang', 'GET', `/crm/contracts/${contractId}/receivables`)).body
    expect(customerView.outstandingCents).toBe(20_000_000)
    // The payment re-assesses the customer's value tier (job after the commit).
    await stack.drain()
    const [value] = await database.db
      .select()
      .from(customerValues)
      .where(eq(customerValues.tenantId, org.tenantId))
    expect(value).toMatchObject({ frequency: 1, monetaryCents: 10_000_000 })
  })

  it('over simulated time the scheduled scan finds the late instalment and reminds the owner and manager once', async () => {
    const runScan = async () => {
      await emit(systemCtx(database, org, clock), {
        topic: OVERDUE_SCAN,
        payload: { tenantId: org.tenantId },
      })
      await stack.drain()
    }
    await runScan()
    expect(await cardsTo('liuyang', '回款逾期提醒')).toHaveLength(0)
    clock.advance(45 * DAY) // instalment 2 (due at +40 days) is now late
    await runScan()
    const toOwner = await cardsTo('liuyang', '回款逾期提醒')
    const toManager = await cardsTo('zhangwei', '回款逾期提醒')
    expect(toOwner).toHaveLength(1)
    expect(toManager).toHaveLength(1)
    type Sent = {
      content: { card: { elements: Array<{ type: string; buttons?: Array<{ text: string }> }> } }
    }
    const card = (toOwner[0]?.payload as Sent | undefined)?.content.card
    if (!card) throw new Error('no card')
    const form = card.elements.find((e) => e.type === 'form')
    expect(form?.buttons?.[0]?.text).toBe('登记回款')
    clock.advance(DAY)
    await runScan()
    expect(await cardsTo('liuyang', '回款逾期提醒')).toHaveLength(1)
  })

  it('「登记回款」 on the card records the payment; someone outside the scope cannot', async () => {
    const second = plan.find((p) => p.seq === 2)
    if (!second) throw new Error('no instalment 2')
    const payload = { a: 'sales.payment.register', contract: contractId, instalment: second.id }
    const denied = await tap(
      database,
      org,
      'chenjing',
      payload,
      { amount: '100000', method: 'bank_transfer' },
      clock,
    )
    expect(denied.toast?.kind).toBe('error')
    const tooMuch = await tap(
      database,
      org,
      'liuyang',
      payload,
      { amount: '100000.01', method: 'cash' },
      clock,
    )
    expect(tooMuch.toast?.kind).toBe('error')
    const r = await tap(
      database,
      org,
      'liuyang',
      payload,
      { amount: '100,000.00', method: 'bank_transfer' },
      clock,
    )
    expect(r.toast?.kind).toBe('success')
    expect(r.card?.header.title).toBe('✅ 回款已登记')
    const view = (await call('liuyang', 'GET', `/crm/contracts/${contractId}/receivables`)).body
    expect(view).toMatchObject({ receivedCents: 20_000_000, outstandingCents: 10_000_000, label: '2/3 期' })
    expect(view.payments).toHaveLength(2)
  })
})
