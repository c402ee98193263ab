import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Card } from '../../bot/chat/model'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { serviceTickets, userIdentities } from '../../db/schema'
import { type createPushBuilder, type FakeFeishu, type FeishuPush, toRequestInit } from '../fakes/feishu'
import { openTestDatabase } from '../helpers/db'
import { type FeishuStack, type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'
import { ctxAs, outboxOf, say, silent, tap, uid } from './crm-harness'
import { serviceTenant, ticketCards } from './service-harness'

describe('tickets from chat through signed Feishu callbacks', () => {
  let fake: FakeFeishu
  let own: { database: Database; drop: () => Promise<void> }
  let stack: FeishuStack
  let world: FeishuWorld
  let push: ReturnType<typeof createPushBuilder>

  beforeAll(async () => {
    world = await startFeishuWorld()
    ;({ fake, own, stack, push } = world)
  })
  afterAll(async () => {
    await world?.close()
  })

  const post = async (path: string, p: FeishuPush) => {
    const res = await stack.app.request(path, toRequestInit(p))
    return { status: res.status, body: (await res.json()) as { toast?: { type: string; content: string } } }
  }

  it('「工单 华东精密 设备异响 紧急」 replies with a confirm card; the signed tap creates the ticket', async () => {
    const lisi = fake.user('lisi')
    const [identity] = await own.database.db
      .select({ userId: userIdentities.userId })
      .from(userIdentities)
      .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, lisi.openId)))
    if (!identity) throw new Error('lisi was not synced')
    const customer = await createCustomer({
      ctx: {
        tenantId: stack.tenantId,
        actor: { kind: 'user', userId: identity.userId, via: 'feishu' },
        db: own.database.db,
        clock: systemClock,
        logger: silent,
      },
      input: { name: '华东精密机械有限公司', shortName: '华东精密' },
    })
    const text = '工单 华东精密 设备异响 紧急'
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text })
    const said = await post(
      '/webhooks/feishu/events',
      await push.messageReceive({
        message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
        text,
        sender: { openId: lisi.openId },
      }),
    )
    expect(said.status).toBe(200)
    const [reply] = await waitFor(
      () => {
        const r = fake.recorder
          .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
          .filter((x) => x.path.includes(msg.messageId) && x.status === 200)
        return r.length ? r : null
      },
      'the confirm card',
      10_000,
    )
    const content = (reply?.body as { content: string } | undefined)?.content ?? ''
    for (const s of ['确认新工单', '华东精密机械有限公司', '设备异响', 'service.create'])
      expect(content).toContain(s)
    const tapped = await post(
      '/webhooks/feishu/cards',
      await push.cardAction({
        operator: { openId: lisi.openId },
        value: { a: 'service.create' },
        formValue: { subject: '设备异响', customer: customer.id, type: '故障', priority: 'urgent' },
        messageId: msg.messageId,
        chatId: msg.chatId,
      }),
    )
    expect(tapped.status).toBe(200)
    expect(tapped.body.toast?.type).toBe('success')
    expect(tapped.body.toast?.content).toMatch(/工单已创建：GD-\d{4}-0001/)
    const [row] = await own.database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, stack.tenantId))
    expect([row?.channel, row?.priority, row?.customerId, row?.requesterId]).toEqual([
      'chat',
      'urgent',
      customer.id,
      identity.userId,
    ])
    // A forged (unsigned) tap is refused.
    const forged = await stack.app.request('/webhooks/feishu/cards', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: { action: { value: { a: 'service.create' } } } }),
    })
    expect(forged.status).toBeGreaterThanOrEqual(400)
  })
})

describe('tickets from chat (devchat), in English, and the one-tap cards', () => {
  let database: Database
  beforeAll(async () => {
    database = await openTestDatabase()
  })
  afterAll(async () => database.close())

  const lastCard = async (org: { tenantId: string }): Promise<Card> => {
    const rows = await outboxOf(database, org as never)
    const p = rows.at(-1)?.payload as unknown as SendMessagePayload
    if (p?.content.kind !== 'card') throw new Error(`expected a card, got ${JSON.stringify(p?.content)}`)
    return p.content.card
  }

  it('`ticket Acme noisy pump urgent` answers in English; an unreadable line gets the format back', async () => {
    const org = await serviceTenant(database)
    await createCustomer({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: 'Acme Pumps Ltd', shortName: 'Acme' },
    })
    await say(database, org, 'liuyang', 'ticket Acme noisy pump urgent')
    const card = await lastCard(org)
    expect(card.header.title).toBe('Confirm the new ticket')
    const form = card.elements.find((e) => e.type === 'form')
    if (form?.type !== 'form') throw new Error('no form')
    const value = (n: string) => form.inputs.find((i) => i.name === n)?.defaultValue
    expect([value('subject'), value('priority')]).toEqual(['noisy pump', 'urgent'])
    expect(JSON.stringify(form)).toContain('Acme Pumps Ltd')
    await say(database, org, 'liuyang', '工单')
    const rows = await outboxOf(database, org)
    const p = rows.at(-1)?.payload as unknown as SendMessagePayload
    expect(p.content).toEqual({ kind: 'text', text: '请这样写：工单 华东精密 设备异响 紧急' })
  })

  it('the engineer accepts and resolves from the card, the requester rates from theirs; outsiders are refused', async () => {
    const org = await serviceTenant(database)
    const created = await tap(
      database,
      org,
      'zhangwei',
      { a: 'service.create' },
      { subject: '空压机漏油', type: '维修', priority: 'high' },
    )
    expect(created.toast?.kind).toBe('success')
    const [t0] = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, org.tenantId))
    if (!t0) throw new Error('no ticket')
    const dispatched = await tap(
      database,
      org,
      'zhangwei',
      { a: 'service.transfer', ticket: t0.id },
      { to: 'liuyang' },
    )
    expect(dispatched.toast?.kind).toBe('success')
    expect((await ticketCards(database, org, t0.id)).at(-1)).toEqual({
      to: uid(org, 'liuyang'),
      kind: 'assigned',
    })
    const outsider = await tap(database, org, 'huangli', { a: 'service.accept', ticket: t0.id })
    expect(outsider.toast?.kind).toBe('error')
    const accepted = await tap(database, org, 'liuyang', { a: 'service.accept', ticket: t0.id })
    expect(accepted.toast?.kind).toBe('success')
    expect(JSON.stringify(accepted.card)).toContain('处理中')
    const noNote = await tap(database, org, 'liuyang', { a: 'service.resolve', ticket: t0.id }, {})
    expect(noNote.toast?.kind).toBe('error')
    const resolved = await tap(
      database,
      org,
      'liuyang',
      { a: 'service.resolve', ticket: t0.id },
      { note: '更换密封圈' },
    )
    expect(resolved.toast?.kind).toBe('success')
    expect((await ticketCards(database, org, t0.id)).at(-1)).toEqual({
      to: uid(org, 'zhangwei'),
      kind: 'resolved',
    })
    const notMine = await tap(database, org, 'liuyang', { a: 'service.rate', ticket: t0.id }, { rating: '5' })
    expect(notMine.toast?.kind).toBe('error')
    const rated = await tap(database, org, 'zhangwei', { a: 'service.rate', ticket: t0.id }, { rating: '4' })
    expect(rated.toast?.kind).toBe('success')
    const [after] = await database.db.select().from(serviceTickets).where(eq(serviceTickets.id, t0.id))
    expect([after?.status, after?.rating]).toEqual(['closed', 4])
  })
})
