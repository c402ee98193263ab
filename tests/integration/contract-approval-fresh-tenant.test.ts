import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FakeFeishu } from '../fakes/feishu'
import { toRequestInit } from '../fakes/feishu/push'
import { type FeishuStack, type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

/**
 * A company whose tenant was made at first contact (a signed Feishu event from a tenant key flowcard never
 * saw): its 合同审批 is the default template every new tenant gets. A rep's contract sent to approval and
 * approved by the manager's tap on the card must become active — the request has to lead back to the
 * contract. (The sales tests seed tenants without templates, so `submitContract` created its own there.)
 */
let world: FeishuWorld
let fake: FakeFeishu
let stack: FeishuStack

beforeAll(async () => {
  world = await startFeishuWorld({ stack: { noTenant: true } })
  ;({ fake, stack } = world)
})
afterAll(async () => {
  await world?.close()
})

async function login(handle: string): Promise<string> {
  const code = fake.issueLoginCode(fake.user(handle).openId)
  const res = await stack.app.request('/api/v1/auth/feishu', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

const api = async (token: string, method: string, path: string, body?: unknown) => {
  const res = await stack.app.request(`/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON answers loosely
  return { status: res.status, body: (await res.json()) as any }
}

let seq = 0
async function tap(handle: string, value: Record<string, unknown>) {
  const u = fake.user(handle)
  const p = await world.push.cardAction({
    operator: { openId: u.openId },
    value,
    messageId: `om_contract_${++seq}`,
    chatId: fake.controls.p2pChatId(u.openId),
  })
  const res = await stack.app.request('/webhooks/feishu/cards', toRequestInit(p))
  expect(res.status).toBe(200)
  return (await res.json()) as { toast?: { type: string; content: string } }
}

describe('合同审批 in a tenant created at first contact', () => {
  it('approves a contract through the default template, and the contract becomes active', async () => {
    // First contact: a message from a tenant key nobody has seen makes the tenant with its defaults.
    const hemei = fake.user('hemei')
    const said = fake.controls.addUserMessage({ senderUserId: 'hemei', text: '帮助' })
    const p = await world.push.messageReceive({
      message: { messageId: said.messageId, chatId: said.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: hemei.openId },
    })
    expect((await stack.app.request('/webhooks/feishu/events', toRequestInit(p))).status).toBe(200)
    await waitFor(async () => {
      const [r] = await stack.database.rows<{ n: number }>(
        sql`select count(*)::int as n from users where status = 'active'`,
      )
      return (r?.n ?? 0) >= 12
    }, 'the tenant and its directory sync')
    await stack.settle(10_000)
    const [tpl] = await stack.database.rows<{ n: number }>(
      sql`select count(*)::int as n from approval_templates where key = 'contract'`,
    )
    expect(tpl?.n).toBe(1)

    const token = await login('hemei')
    const customer = await api(token, 'POST', '/crm/customers', { name: '杭州云帆科技有限公司' })
    expect(customer.status, JSON.stringify(customer.body)).toBe(200)
    const made = await api(token, 'POST', '/crm/contracts', {
      name: '云帆 OA 合同',
      customerId: customer.body.id,
      amountCents: 12_000_000,
      discountBp: 500,
    })
    expect(made.status, JSON.stringify(made.body)).toBe(200)
    const submitted = await api(token, 'POST', `/crm/contracts/${made.body.id}/submit`, {})
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200)
    expect(submitted.body.contract.status).toBe('in_approval')
    const instanceId = submitted.body.approval.id as string
    const [ins] = await stack.database.rows<{ business_ref: string | null }>(
      sql`select business_ref from approval_instances where id = ${instanceId}`,
    )
    expect(ins?.business_ref).toBe(`contract:${made.body.id}`)

    // The manager (周八) approves from the approval card in chat.
    const [task] = await stack.database.rows<{ id: string; version: number; open_id: string }>(sql`
      select t.id, t.version, i.open_id from approval_tasks t
      join user_identities i on i.user_id = t.assignee_id
      where t.instance_id = ${instanceId} and t.status = 'pending'`)
    expect(task?.open_id).toBe(fake.user('zhouba').openId)
    const tapped = await tap('zhouba', { a: 'approval.approve', task: task?.id, v: task?.version })
    expect(tapped.toast?.type).toBe('success')
    await stack.settle(10_000)

    const [done] = await stack.database.rows<{ status: string }>(
      sql`select status from approval_instances where id = ${instanceId}`,
    )
    expect(done?.status).toBe('approved')
    const after = await api(token, 'GET', `/crm/contracts/${made.body.id}`)
    expect(after.status).toBe(200)
    expect(after.body.contract.status).toBe('active')
    expect(after.body.contract.activatedAt).not.toBeNull()
  })

  it('starts 合同审批 only from the contract: 「发起 合同」 in chat says where, a hand start is 400', async () => {
    // (The tenant was made by the test above.)
    const hemei = fake.user('hemei')
    const token = await login('hemei')
    const count = async () =>
      (
        await stack.database.rows<{ n: number }>(
          sql`select count(*)::int as n from approval_instances where business_ref is null`,
        )
      )[0]?.n
    const before = await count()

    // Chat: the answer is where to start it, not a form that could never lead back to a contract.
    const chat = fake.controls.p2pChatId(hemei.openId)
    const sent = fake.recorder.sentMessages().length
    const said = fake.controls.addUserMessage({ senderUserId: 'hemei', text: '发起 合同' })
    const p = await world.push.messageReceive({
      message: { messageId: said.messageId, chatId: said.chatId, chatType: 'p2p' },
      text: '发起 合同',
      sender: { openId: hemei.openId },
    })
    expect((await stack.app.request('/webhooks/feishu/events', toRequestInit(p))).status).toBe(200)
    await waitFor(
      () =>
        fake.recorder
          .sentMessages()
          .slice(sent)
          .some((m) => m.chatId === chat && m.content.includes('提交审批')),
      'the 合同审批 hint',
      8000,
    )
    const answer = fake.recorder
      .sentMessages()
      .slice(sent)
      .filter((m) => m.chatId === chat)
    expect(answer.some((m) => m.content.includes('approval.submit'))).toBe(false)

    // API: not offered, and refused by hand (400 naming templateKey), nothing started.
    const list = await api(token, 'GET', '/approvals/templates')
    expect(list.status).toBe(200)
    const keys = (list.body.items as Array<{ key: string }>).map((t) => t.key)
    expect(keys).toContain('leave')
    expect(keys).not.toContain('contract')
    const byHand = await api(token, 'POST', '/approvals/instances', {
      templateKey: 'contract',
      form: { title: '手工合同', amount: 1_000_000 },
    })
    expect(byHand.status, JSON.stringify(byHand.body)).toBe(400)
    expect(byHand.body.error.field).toBe('templateKey')
    expect(byHand.body.error.message).toContain('提交审批')
    expect(await count()).toBe(before)

    // Sent back, the request can carry new notes, not another amount: that is the contract's.
    const customer = await api(token, 'POST', '/crm/customers', { name: '宁波海曙贸易有限公司' })
    const made = await api(token, 'POST', '/crm/contracts', {
      name: '海曙 CRM 合同',
      customerId: customer.body.id,
      amountCents: 8_000_000,
    })
    const submitted = await api(token, 'POST', `/crm/contracts/${made.body.id}/submit`, {})
    expect(submitted.status).toBe(200)
    const instanceId = submitted.body.approval.id as string
    const manager = await login('zhouba')
    const [task] = await stack.database.rows<{ id: string }>(
      sql`select id from approval_tasks where instance_id = ${instanceId} and status = 'pending'`,
    )
    const returned = await api(manager, 'POST', `/approvals/tasks/${task?.id}/return`, {
      comment: '补充说明',
    })
    expect([returned.status, returned.body.status]).toEqual([200, 'returned'])
    const [ins] = await stack.database.rows<{ form: Record<string, unknown> }>(
      sql`select form from approval_instances where id = ${instanceId}`,
    )
    const resubmit = (form: Record<string, unknown>) =>
      api(token, 'POST', `/approvals/instances/${instanceId}/resubmit`, { form: { ...ins?.form, ...form } })
    const cheaper = await resubmit({ amount: 100 })
    expect([cheaper.status, cheaper.body.error?.field]).toEqual([400, 'form.amount'])
    expect(cheaper.body.error.message).toContain('撤回')
    const noted = await resubmit({ notes: '已补充交付范围' })
    expect([noted.status, noted.body.status]).toEqual([200, 'pending'])
    const [after] = await stack.database.rows<{ amount: number; notes: string }>(
      sql`select (form->>'amount')::int as amount, form->>'notes' as notes from approval_instances where id = ${instanceId}`,
    )
    expect(after).toEqual({ amount: 8_000_000, notes: '已补充交付范围' })
  })
})
