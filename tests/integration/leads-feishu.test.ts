import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listChannels } from '../../bot/domain/leads'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { leads, leadTouches, userIdentities, users } from '../../db/schema'
import { type createPushBuilder, type FakeFeishu, type FeishuPush, toRequestInit } from '../fakes/feishu'
import { type FeishuStack, type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'
import { silent } from './crm-harness'

let fake: FakeFeishu
let own: { database: Database; drop: () => Promise<void> }
let stack: FeishuStack
let world: FeishuWorld
let push: ReturnType<typeof createPushBuilder>

beforeAll(async () => {
  // Pushes are encrypted with the app's encrypt key and carry the verification token, like Feishu's.
  world = await startFeishuWorld()
  ;({ fake, own, stack, push } = world)
})
afterAll(async () => {
  await world?.close()
})

async function userIdOf(handle: string): Promise<string> {
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(
      and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, fake.user(handle).openId)),
    )
  if (!row) throw new Error(`${handle} not synced`)
  return row.userId
}

let seq = 0
/** Says `text` in a DM and waits for the app's reply to that message; its msg_type and content. */
async function say(handle: string, text: string): Promise<{ msgType: string; content: string }> {
  const u = fake.user(handle)
  const msg = fake.controls.addUserMessage({ senderUserId: handle, text })
  const res = await stack.app.request(
    '/webhooks/feishu/events',
    toRequestInit(
      await push.messageReceive({
        message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
        text,
        sender: { openId: u.openId },
      }),
    ),
  )
  expect(res.status).toBe(200)
  const replies = () =>
    fake.recorder
      .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
      .filter((r) => r.path.includes(msg.messageId) && r.status === 200)
  const [reply] = await waitFor(
    () => (replies().length > 0 ? replies() : null),
    `the reply to ${text}`,
    10_000,
  )
  const body = reply?.body as { msg_type: string; content: string }
  return { msgType: body.msg_type, content: body.content }
}

async function tap(handle: string, value: Record<string, unknown>, formValue: Record<string, unknown>) {
  const u = fake.user(handle)
  const p: FeishuPush = await push.cardAction({
    operator: { openId: u.openId },
    value,
    formValue,
    messageId: `om_lead_${++seq}`,
    chatId: fake.controls.p2pChatId(u.openId),
  })
  const res = await stack.app.request('/webhooks/feishu/cards', toRequestInit(p))
  return {
    status: res.status,
    body: (await res.json()) as { toast?: { type: string; content: string }; card?: { data: unknown } },
  }
}

const phoneChannel = async () => {
  const list = await listChannels({
    ctx: {
      tenantId: stack.tenantId,
      actor: { kind: 'system', reason: 'test' },
      db: own.database.db,
      clock: systemClock,
      logger: silent,
    },
  })
  const c = list.find((x) => x.code === 'phone')
  if (!c) throw new Error('no phone channel')
  return c.id
}

const leadsWithPhone = (phone: string) =>
  own.database.db
    .select()
    .from(leads)
    .where(and(eq(leads.tenantId, stack.tenantId), eq(leads.phone, phone)))

describe('lead capture through signed Feishu callbacks', () => {
  it('「线索 张三 138… 华为 想了解报价」 replies with a confirm card; the signed tap stores the lead, once', async () => {
    const before = await leadsWithPhone('13800000000')
    expect(before).toHaveLength(0)
    const reply = await say('lisi', '线索 张三 13800000000 华为 想了解报价')
    expect(reply.msgType).toBe('interactive')
    for (const s of ['确认新线索', '张三', '13800000000', '华为', '想了解报价', 'lead.create'])
      expect(reply.content).toContain(s)
    // Nothing is stored until confirmed.
    expect(await leadsWithPhone('13800000000')).toHaveLength(0)
    const channel = await phoneChannel()
    const form = { name: '张三', phone: '+86 138-0000-0000', company: '华为', message: '想了解报价', channel }
    const done = await tap('lisi', { a: 'lead.create' }, form)
    expect(done.status).toBe(200)
    expect(done.body.toast).toMatchObject({ type: 'success', content: '✅ 线索已创建' })
    const text = JSON.stringify(done.body.card)
    for (const s of ['线索：张三', '华为', '写跟进', '转交', '无效']) expect(text).toContain(s)
    const [row] = await leadsWithPhone('13800000000')
    expect(row).toMatchObject({
      name: '张三',
      company: '华为',
      ownerId: await userIdOf('lisi'),
      channelId: channel,
    })
    const touches = await own.database.db
      .select()
      .from(leadTouches)
      .where(eq(leadTouches.leadId, row?.id ?? ''))
    expect(touches.map((t) => t.via)).toEqual(['chat'])
    // Tapping the same confirm card again is a touch on the same lead, never a second lead.
    const again = await tap('lisi', { a: 'lead.create' }, form)
    expect(again.body.toast?.content).toBe('该联系人已有线索（负责人：李四），已记为一次新的来访。')
    expect(await leadsWithPhone('13800000000')).toHaveLength(1)
  })

  it('answers an English user in English, and bad input as a chat reply naming what to fix', async () => {
    await own.database.db
      .update(users)
      .set({ locale: 'en' })
      .where(eq(users.id, await userIdOf('wangwu')))
    const reply = await say('wangwu', 'lead John 13900000000 Acme wants a quote')
    expect(reply.msgType).toBe('interactive')
    for (const s of ['Confirm the new lead', 'John', '13900000000', 'Acme'])
      expect(reply.content).toContain(s)
    expect(reply.content).not.toContain('确认新线索')
    // An unreadable line gets the format back, in the language it was written in.
    const en = await say('wangwu', 'lead')
    expect(en.msgType).toBe('text')
    expect(JSON.parse(en.content).text).toContain('Write it like: lead John 13800000000')
    const zh = await say('lisi', '线索')
    expect(JSON.parse(zh.content).text).toBe('请这样写：线索 张三 13800000000 华为 想了解报价')
    // A confirm tap without a name is refused in the tapper's language, naming the field; nothing stored.
    const channel = await phoneChannel()
    const bad = await tap('wangwu', { a: 'lead.create' }, { name: '', phone: '13900000000', channel })
    expect(bad.status).toBe(200)
    expect(bad.body.toast?.type).toBe('error')
    expect(bad.body.toast?.content).toBe('Invalid input: name is required')
    const badZh = await tap('lisi', { a: 'lead.create' }, { name: '', phone: '13900000000', channel })
    expect(badZh.body.toast?.type).toBe('error')
    expect(badZh.body.toast?.content).toBe('输入有误：name: 请填写姓名')
    expect(await leadsWithPhone('13900000000')).toHaveLength(0)
    const ok = await tap(
      'wangwu',
      { a: 'lead.create' },
      { name: 'John', phone: '13900000000', company: 'Acme', channel },
    )
    expect(ok.body.toast).toMatchObject({ type: 'success', content: '✅ Lead created' })
    expect(JSON.stringify(ok.body.card)).toContain('John')
    expect(await leadsWithPhone('13900000000')).toHaveLength(1)
  })

  it('refuses an unsigned or tampered callback and stores nothing', async () => {
    const channel = await phoneChannel()
    const u = fake.user('lisi')
    const p = await push.cardAction({
      operator: { openId: u.openId },
      value: { a: 'lead.create' },
      formValue: { name: '伪造', phone: '13700000000', channel },
      messageId: 'om_lead_forged',
      chatId: fake.controls.p2pChatId(u.openId),
    })
    const init = toRequestInit(p)
    const tampered = { ...init, body: String(init.body).replace(/.$/, ' }') }
    const unsigned = {
      ...init,
      headers: Object.fromEntries(
        Object.entries(p.headers).filter(([k]) => k.toLowerCase() !== 'x-lark-signature'),
      ),
    }
    for (const forged of [tampered, unsigned])
      expect((await stack.app.request('/webhooks/feishu/cards', forged)).status).toBe(401)
    expect(await leadsWithPhone('13700000000')).toHaveLength(0)
  })
})
