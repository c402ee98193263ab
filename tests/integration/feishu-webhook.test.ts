import { and, eq, sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sendCard, updateCards } from '../../bot/domain/chat/send'
import { applyDirectory } from '../../bot/domain/org/apply-directory'
import { feishuSignature } from '../../bot/platforms/feishu/crypto'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { messages, userIdentities, users } from '../../db/schema'
import { syncAllDirectories } from '../../jobs/processors/sync-directory'
import type { JobQueue } from '../../jobs/queue'
import {
  checkCardObject,
  createPushBuilder,
  type FakeFeishu,
  type FeishuPush,
  sealPush,
  toRequestInit,
} from '../fakes/feishu'
import {
  ENCRYPT_KEY,
  type FeishuStack,
  type FeishuWorld,
  startFeishuWorld,
  VERIFICATION_TOKEN,
} from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

let fake: FakeFeishu
let own: { database: Database; drop: () => Promise<void> }
let stack: FeishuStack
let world: FeishuWorld
let push: ReturnType<typeof createPushBuilder>

const EVENTS = '/webhooks/feishu/events'
const CARDS = '/webhooks/feishu/cards'

beforeAll(async () => {
  world = await startFeishuWorld({
    fake: { chats: [{ name: '销售群', memberUserIds: ['sunqi', 'zhouba', 'hemei'] }] },
  })
  ;({ fake, own, stack, push } = world)
})

afterAll(async () => {
  await world?.close()
})

afterEach(async () => {
  fake.controls.clearFailures()
  fake.controls.resetRateLimits()
  await stack.settle()
})

async function post(path: string, p: FeishuPush) {
  const res = await stack.app.request(path, toRequestInit(p))
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const inboundCount = async () =>
  (await own.database.rows<{ n: number }>(sql`select count(*)::int as n from inbound_events`))[0]?.n ?? 0
const outboxCount = async () =>
  (await own.database.rows<{ n: number }>(sql`select count(*)::int as n from outbox`))[0]?.n ?? 0

function repliesTo(messageId: string) {
  return fake.recorder
    .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
    .filter((r) => r.path.includes(messageId) && r.status === 200)
}

async function userIdOf(openId: string): Promise<string> {
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, openId)))
  if (!row) throw new Error(`no identity for ${openId}`)
  return row.userId
}

describe('Feishu HTTP callbacks', () => {
  it('answers url_verification, plain and encrypted, only with the right token', async () => {
    const encrypted = await post(EVENTS, await push.urlVerification('c-123'))
    expect(encrypted).toEqual({ status: 200, body: { challenge: 'c-123' } })
    const plain = await post(CARDS, await push.urlVerification('c-456', { encryptKey: null }))
    expect(plain).toEqual({ status: 200, body: { challenge: 'c-456' } })
    const wrong = createPushBuilder({ ...push.ctx, verificationToken: 'nope' })
    expect((await post(EVENTS, await wrong.urlVerification('c-789'))).status).toBe(401)
  })

  it('replies to a signed, encrypted 帮助 through the Open API, and does nothing twice on replay', async () => {
    const lisi = fake.user('lisi')
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '帮助' })
    const p = await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: lisi.openId },
    })
    const started = performance.now()
    const first = await post(EVENTS, p)
    expect(first).toEqual({ status: 200, body: {} })
    // Feishu retries an event not answered within 3 s; the ack must not wait for the work.
    expect(performance.now() - started).toBeLessThan(3000)

    const [reply] = await waitFor(
      () => (repliesTo(msg.messageId).length > 0 ? repliesTo(msg.messageId) : null),
      'reply',
    )
    const body = reply?.body as { msg_type: string; content: string; uuid: string }
    expect(body.msg_type).toBe('interactive')
    expect(body.uuid).toMatch(/^ob-\d+$/)
    const card = JSON.parse(body.content) as Record<string, unknown>
    expect(checkCardObject(card)).toMatchObject({ ok: true, kind: 'v2', updateMulti: true })
    expect(body.content).toContain('flowcard 助手')
    await stack.settle()
    const [row] = await own.database.db
      .select({ status: messages.status, platformMessageId: messages.platformMessageId })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.idempotencyKey, body.uuid)))
    expect(row?.status).toBe('sent')
    expect(row?.platformMessageId).toMatch(/^om_/)

    // Feishu pushes the same event again (and again with a new event id for the same message).
    const inbound = await inboundCount()
    const outbox = await outboxCount()
    expect(await post(EVENTS, p)).toEqual({ status: 200, body: {} })
    const again = await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: lisi.openId },
    })
    expect(await post(CARDS, again)).toEqual({ status: 200, body: {} })
    await stack.settle()
    expect(await outboxCount()).toBe(outbox)
    expect(await inboundCount()).toBe(inbound + 1)
    expect(repliesTo(msg.messageId)).toHaveLength(1)
  })

  it('answers in the chat when the message to reply to was recalled', async () => {
    const wujiu = fake.user('wujiu')
    const msg = fake.controls.addUserMessage({ senderUserId: 'wujiu', text: '帮助' })
    msg.deleted = true
    const p = await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: wujiu.openId },
    })
    expect(await post(EVENTS, p)).toEqual({ status: 200, body: {} })
    await waitFor(() => fake.recorder.messagesTo(wujiu.openId).length === 1, 'fallback send')
    const failed = fake.recorder
      .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
      .filter((r) => r.path.includes(msg.messageId))
    expect(failed.map((r) => r.code)).toEqual([230011])
  })

  it('answers in a group only when the bot is @-mentioned', async () => {
    const chat = [...fake.state.chats.values()].find((c) => c.name === '销售群')
    if (!chat) throw new Error('no chat')
    const zhouba = fake.user('zhouba')
    const mentioned = fake.controls.addUserMessage({
      senderUserId: 'zhouba',
      chatId: chat.chatId,
      text: '@_user_1 help',
    })
    const ignored = fake.controls.addUserMessage({
      senderUserId: 'zhouba',
      chatId: chat.chatId,
      text: '@_user_1 help',
    })
    const bot = { key: '@_user_1', name: fake.botName, openId: fake.botOpenId }
    const other = { key: '@_user_1', name: '何梅', openId: fake.user('hemei').openId }
    for (const [m, mention] of [
      [mentioned, bot],
      [ignored, other],
    ] as const) {
      const p = await push.messageReceive({
        message: { messageId: m.messageId, chatId: chat.chatId, chatType: 'group' },
        text: '@_user_1 help',
        sender: { openId: zhouba.openId },
        mentions: [mention],
      })
      expect((await post(EVENTS, p)).status).toBe(200)
    }
    await waitFor(() => repliesTo(mentioned.messageId).length === 1, 'group reply')
    await stack.settle()
    expect(repliesTo(ignored.messageId)).toHaveLength(0)
    const content = String(
      (repliesTo(mentioned.messageId)[0]?.body as { content?: string } | undefined)?.content,
    )
    expect(content).toContain('flowcard assistant')
    expect(fake.recorder.count('GET', '/open-apis/bot/v3/info')).toBe(1)
  })

  it('answers a data command in a group by DM, and the group gets a card without the data', async () => {
    const chat = [...fake.state.chats.values()].find((c) => c.name === '销售群')
    if (!chat) throw new Error('no chat')
    const sunqi = fake.user('sunqi')
    const bot = { key: '@_user_1', name: fake.botName, openId: fake.botOpenId }
    const dmsBefore = fake.recorder.messagesTo(sunqi.openId).length
    for (const text of ['@_user_1 我是谁', '@_user_1 客户 华为']) {
      const m = fake.controls.addUserMessage({ senderUserId: 'sunqi', chatId: chat.chatId, text })
      const p = await push.messageReceive({
        message: { messageId: m.messageId, chatId: chat.chatId, chatType: 'group' },
        text,
        sender: { openId: sunqi.openId },
        mentions: [bot],
      })
      expect((await post(EVENTS, p)).status).toBe(200)
      await waitFor(() => repliesTo(m.messageId).length === 1, 'group card')
      await waitFor(() => fake.recorder.messagesTo(sunqi.openId).length > dmsBefore, 'DM')
      await stack.settle()
      const group = String((repliesTo(m.messageId)[0]?.body as { content?: string } | undefined)?.content)
      expect(group).toContain('已私信回复')
      // Nothing of the answer in the group: not the asker's roles, open id or customer search.
      expect(group).not.toContain(sunqi.openId)
      expect(group).not.toContain('角色')
      expect(group).not.toContain('华为')
    }
    const dms = fake.recorder.messagesTo(sunqi.openId).slice(dmsBefore)
    expect(dms).toHaveLength(2)
    // The DMs are in the asker's private chat, not replies in the group's thread.
    for (const dm of dms) expect(dm.chatType).toBe('p2p')
    expect(dms[0]?.content).toContain(sunqi.openId)
  })

  it('answers a card tap with a replacement card, once', async () => {
    const lisi = fake.user('lisi')
    const p = await push.cardAction({
      operator: { openId: lisi.openId },
      value: { a: 'help.whoami' },
      messageId: 'om_card_1',
      chatId: fake.controls.p2pChatId(lisi.openId),
    })
    const started = performance.now()
    const res = await post(CARDS, p)
    // Feishu's deadline for a card callback's answer is 3 s.
    expect(performance.now() - started).toBeLessThan(3000)
    expect(res.status).toBe(200)
    const card = res.body.card as { type: string; data: Record<string, unknown> }
    expect(card.type).toBe('raw')
    expect(checkCardObject(card.data)).toMatchObject({ ok: true, kind: 'v2' })
    expect(JSON.stringify(card.data)).toContain('李四')
    expect(JSON.stringify(card.data)).toContain('CTO')
    // A redelivered tap is acknowledged without acting again.
    expect(await post(CARDS, p)).toEqual({ status: 200, body: {} })
  })

  it('answers a tap from someone who may not act with an error toast', async () => {
    const stranger = await push.cardAction({
      operator: { openId: 'ou_not_in_directory' },
      value: { a: 'help.whoami' },
      messageId: 'om_card_2',
      chatId: 'oc_x',
    })
    const res = await post(EVENTS, stranger)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ toast: { type: 'error' } })
    expect(res.body.card).toBeUndefined()
    const unknownAction = await push.cardAction({
      operator: { openId: fake.user('lisi').openId },
      value: { a: 'nothing.here' },
      messageId: 'om_card_3',
      chatId: 'oc_x',
    })
    expect((await post(CARDS, unknownAction)).body).toMatchObject({ toast: { type: 'error' } })
    const notOurs = await push.cardAction({
      operator: { openId: fake.user('lisi').openId },
      value: { op: 'forged' },
      messageId: 'om_card_4',
      chatId: 'oc_x',
    })
    expect(await post(CARDS, notOurs)).toEqual({ status: 200, body: {} })
  })

  it('refuses unsigned, tampered, stale, undecryptable and wrong-token pushes and records nothing', async () => {
    const lisi = fake.user('lisi')
    const input = {
      message: { messageId: 'om_evil', chatId: 'oc_evil', chatType: 'p2p' as const },
      text: '帮助',
      sender: { openId: lisi.openId },
    }
    const before = { inbound: await inboundCount(), outbox: await outboxCount() }
    const unsigned = await push.messageReceive(input, { sign: false })
    expect((await post(EVENTS, unsigned)).status).toBe(401)
    const tampered = await push.messageReceive(input, { tamper: true })
    expect((await post(EVENTS, tampered)).status).toBe(401)
    const stale = await push.messageReceive(input, { timestamp: String(Math.floor(Date.now() / 1000) - 600) })
    expect((await post(EVENTS, stale)).status).toBe(401)
    const plainUnsigned = await push.messageReceive(input, { encryptKey: null })
    expect((await post(EVENTS, plainUnsigned)).status).toBe(401)
    // Signed correctly, but the ciphertext is not ours.
    const otherKey = createPushBuilder({ ...push.ctx, encryptKey: 'some-other-key' })
    const foreign = await otherKey.messageReceive(input)
    const ts = String(Math.floor(Date.now() / 1000))
    const undecryptable: FeishuPush = {
      body: foreign.body,
      payload: null,
      headers: {
        'Content-Type': 'application/json',
        'X-Lark-Request-Timestamp': ts,
        'X-Lark-Request-Nonce': 'n1',
        // Signed with our key, so only the decryption fails.
        'X-Lark-Signature': await feishuSignature({
          timestamp: ts,
          nonce: 'n1',
          encryptKey: ENCRYPT_KEY,
          rawBody: foreign.body,
        }),
      },
    }
    expect((await post(EVENTS, undecryptable)).status).toBe(400)
    const notJson = { ...undecryptable, body: 'not json' }
    expect((await stack.app.request(EVENTS, toRequestInit(notJson))).status).toBe(400)
    const wrongToken = createPushBuilder({ ...push.ctx, verificationToken: 'wrong' })
    expect((await post(EVENTS, await wrongToken.messageReceive(input))).status).toBe(401)
    const huge = await push.event({ eventType: 'im.message.receive_v1', event: { pad: 'x'.repeat(300_000) } })
    expect((await stack.app.request(EVENTS, toRequestInit(huge))).status).toBe(413)
    expect(await inboundCount()).toBe(before.inbound)
    expect(await outboxCount()).toBe(before.outbox)
  })

  it('acknowledges unknown event types and v1 envelopes without recording them', async () => {
    const before = await inboundCount()
    const unknown = await push.event({ eventType: 'im.message.reaction.created_v1', event: { x: 1 } })
    expect(await post(EVENTS, unknown)).toEqual({ status: 200, body: {} })
    const v1 = await sealPush(push.ctx, {
      uuid: 'u1',
      token: VERIFICATION_TOKEN,
      ts: '1',
      type: 'event_callback',
      event: { type: 'p2p_chat_create' },
    })
    expect(await post(EVENTS, v1)).toEqual({ status: 200, body: {} })
    expect(await inboundCount()).toBe(before)
  })

  it('waits out a 429 and refreshes an expired token, then delivers', async () => {
    const zhaoliu = fake.user('zhaoliu')
    const userId = await userIdOf(zhaoliu.openId)
    fake.controls.failNext({
      path: '/open-apis/im/v1/messages',
      method: 'POST',
      status: 429,
      resetSeconds: 1,
    })
    const ctx = {
      tenantId: stack.tenantId,
      actor: { kind: 'system' as const, reason: 'test' },
      db: own.database.db,
      clock: stack.clock,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    }
    const started = Date.now()
    await sendCard(ctx, { to: { userId }, card: { header: { title: '限流测试' }, elements: [] } })
    await waitFor(() => fake.recorder.messagesTo(zhaoliu.openId).length === 1, '429 recovery', 8000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    const attempts = fake.recorder.find('POST', '/open-apis/im/v1/messages')
    expect(attempts.filter((r) => r.status === 429)).toHaveLength(1)

    const tokensBefore = fake.recorder.tokenRequests
    fake.controls.expireTokens()
    await sendCard(ctx, { to: { userId }, card: { header: { title: '令牌过期测试' }, elements: [] } })
    await waitFor(() => fake.recorder.messagesTo(zhaoliu.openId).length === 2, 'token refresh', 8000)
    expect(fake.recorder.tokenRequests).toBe(tokensBefore + 1)
    expect(fake.recorder.find('POST', '/open-apis/im/v1/messages').some((r) => r.code === 99991663)).toBe(
      true,
    )
    await stack.settle()
    const rows = await own.database.db
      .select({ status: messages.status })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.userId, userId)))
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent'])
  })

  it('updates every delivered copy of a card by PATCH, never rolling back', async () => {
    const ctx = {
      tenantId: stack.tenantId,
      actor: { kind: 'system' as const, reason: 'test' },
      db: own.database.db,
      clock: stack.clock,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    }
    const ref = `test:patch:${Date.now()}`
    const people = ['lisi', 'wangwu']
    for (const p of people)
      await sendCard(ctx, {
        to: { userId: await userIdOf(fake.user(p).openId) },
        card: { header: { title: '待审批', color: 'orange' }, elements: [{ type: 'markdown', text: 'v1' }] },
        ref,
        version: 1,
      })
    await stack.settle()
    const sent = await own.database.db
      .select({ id: messages.platformMessageId })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.ref, ref)))
    expect(sent).toHaveLength(2)
    await updateCards(ctx, {
      ref,
      version: 3,
      card: { header: { title: '已通过', color: 'green' }, elements: [{ type: 'markdown', text: 'v3' }] },
    })
    await stack.settle()
    await updateCards(ctx, {
      ref,
      version: 2,
      card: { header: { title: '旧状态', color: 'grey' }, elements: [{ type: 'markdown', text: 'v2' }] },
    })
    await stack.settle()
    // Read receipts and the in-app buzz on a delivered copy.
    const lisiId = await userIdOf(fake.user('lisi').openId)
    const [lisiCopy] = await own.database.db
      .select({ id: messages.platformMessageId })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.ref, ref), eq(messages.userId, lisiId)))
    const first = lisiCopy?.id ?? ''
    const tenant = { id: stack.tenantId, platformTenantKey: fake.tenantKey }
    fake.controls.markRead(first, [fake.user('lisi').openId], 1_790_000_000_000)
    expect(await stack.platform.readUsers(tenant, first)).toEqual([
      { openId: fake.user('lisi').openId, readAt: new Date(1_790_000_000_000) },
    ])
    const buzz = await stack.platform.urgent(tenant, first, [fake.user('lisi').openId, 'ou_nobody'])
    expect(buzz).toEqual({ invalidOpenIds: ['ou_nobody'] })
    for (const m of sent) {
      const patches = fake.recorder.cardPatches(m.id ?? '')
      expect(patches).toHaveLength(1)
      expect(patches[0]?.content).toContain('已通过')
      expect(JSON.parse(patches[0]?.content ?? '{}')).toMatchObject({
        config: { update_multi: true },
        header: { template: 'green' },
      })
    }
  })

  it('records a permanent error on the message row and does not retry', async () => {
    const gaojie = fake.user('gaojie')
    const userId = await userIdOf(gaojie.openId)
    fake.controls.setUnreachable(gaojie.openId)
    const before = fake.recorder.count('POST', '/open-apis/im/v1/messages')
    await sendCard(
      {
        tenantId: stack.tenantId,
        actor: { kind: 'system', reason: 'test' },
        db: own.database.db,
        clock: stack.clock,
        logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      },
      { to: { userId }, card: { header: { title: '不可达' }, elements: [] } },
    )
    const [row] = await waitFor(async () => {
      const r = await own.database.db
        .select({ status: messages.status, error: messages.error })
        .from(messages)
        .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.userId, userId)))
      return r.length > 0 ? r : null
    }, 'failed row')
    expect(row).toMatchObject({ status: 'failed' })
    expect(row?.error).toMatch(/^230013: /)
    await stack.settle()
    await new Promise((r) => setTimeout(r, 300))
    expect(fake.recorder.count('POST', '/open-apis/im/v1/messages')).toBe(before + 1)
    const [job] = await own.database.rows<{ status: string }>(
      sql`select status from outbox where topic = 'send.message' order by id desc limit 1`,
    )
    expect(job?.status).toBe('done')
    fake.controls.setUnreachable(gaojie.openId, false)
  })

  it('syncs the directory: tree, leaders, managers; a resigned user is deactivated, not deleted', async () => {
    const rows = await own.database.rows<{
      name: string
      path: string
      leader: string | null
      active: boolean
    }>(sql`
      select d.name, d.path, u.name as leader, d.active from departments d
      left join users u on u.id = d.leader_user_id where d.tenant_id = ${stack.tenantId} order by d.path`)
    const byName = new Map(rows.map((r) => [r.name, r]))
    expect(byName.get('平台组')?.leader).toBe('王五')
    const platformPath = byName.get('平台组')?.path ?? ''
    const rdPath = byName.get('研发中心')?.path ?? ''
    expect(platformPath.startsWith(rdPath)).toBe(true)
    expect(platformPath.split('/').filter(Boolean)).toHaveLength(3)
    const [zhengshi] = await own.database.rows<{ manager: string; title: string; n: number }>(sql`
      select m.name as manager, u.job_title as title,
        (select count(*)::int from user_departments ud where ud.user_id = u.id) as n
      from users u join users m on m.id = u.manager_id
      where u.tenant_id = ${stack.tenantId} and u.name = '郑十'`)
    expect(zhengshi).toEqual({ manager: '王五', title: '后端工程师', n: 1 })
    const liner = await own.database.rows<{ n: number }>(sql`
      select count(*)::int as n from user_departments ud join users u on u.id = ud.user_id
      where u.tenant_id = ${stack.tenantId} and u.name = '林二'`)
    expect(liner[0]?.n).toBe(2)
    const resignedBefore = await own.database.db
      .select()
      .from(users)
      .where(and(eq(users.tenantId, stack.tenantId), eq(users.name, '钱立')))
    expect(resignedBefore).toHaveLength(0)

    // Applying the same directory again changes nothing.
    const counts = async () =>
      (
        await own.database.rows<{ u: number; d: number; i: number; m: number }>(sql`
        select (select count(*)::int from users where tenant_id = ${stack.tenantId}) as u,
          (select count(*)::int from departments where tenant_id = ${stack.tenantId}) as d,
          (select count(*)::int from user_identities where tenant_id = ${stack.tenantId}) as i,
          (select count(*)::int from user_departments where tenant_id = ${stack.tenantId}) as m`)
      )[0]
    const before = await counts()
    const snapshot = await stack.platform.syncDirectory({
      id: stack.tenantId,
      platformTenantKey: fake.tenantKey,
    })
    await applyDirectory({
      ctx: {
        tenantId: stack.tenantId,
        actor: { kind: 'system', reason: 'test' },
        db: own.database.db,
        clock: stack.clock,
        logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      },
      input: { platform: 'feishu', ...snapshot },
    })
    expect(await counts()).toEqual(before)
    expect(before).toEqual({ u: 12, d: 7, i: 12, m: 13 })

    // 周八 resigns; a contact event asks for a sync, the processor applies it.
    const zhouba = fake.directory.users.find((u) => u.userId === 'zhouba')
    if (!zhouba) throw new Error('no zhouba')
    zhouba.status.is_resigned = true
    const event = await push.event({
      eventType: 'contact.user.updated_v3',
      event: { object: { open_id: zhouba.openId, status: { is_resigned: true } }, old_object: {} },
    })
    expect(await post(EVENTS, event)).toEqual({ status: 200, body: {} })
    const zhoubaId = await userIdOf(zhouba.openId)
    await waitFor(
      async () => {
        const [u] = await own.database.db
          .select({ status: users.status })
          .from(users)
          .where(eq(users.id, zhoubaId))
        return u?.status === 'inactive'
      },
      'deactivated',
      8000,
    )
    const total = await own.database.rows<{ n: number; active: number }>(sql`
      select count(*)::int as n, count(*) filter (where status = 'active')::int as active
      from users where tenant_id = ${stack.tenantId}`)
    expect(total[0]).toEqual({ n: 12, active: 11 })
    zhouba.status.is_resigned = false
  })

  it('applies contact events one entry at a time, re-read from the platform, without a full sync', async () => {
    const fullSyncCalls = () =>
      fake.recorder.count('GET', /find_by_department/) +
      fake.recorder.count('POST', /directory\/v1\/employees\/filter/)
    const before = fullSyncCalls()
    const deptRow = async (name: string) =>
      (
        await own.database.rows<{ id: string; path: string; active: boolean; parent: string | null }>(sql`
          select d.id, d.path, d.active, p.name as parent from departments d
          left join departments p on p.id = d.parent_id
          where d.tenant_id = ${stack.tenantId} and d.name = ${name}`)
      )[0]
    // A new team under 华东销售, then a new hire in it; the events carry only ids (Feishu sends the changed
    // fields only), so the bot must re-read each entry.
    fake.directory.departments.push({
      departmentId: 'D211',
      openDepartmentId: 'od-fresh-d211',
      name: '上海大客户组',
      parentDepartmentId: 'D210',
      leaderUserId: '',
      order: 9000,
    })
    const deptEvent = await push.event({
      eventType: 'contact.department.created_v3',
      event: { object: { open_department_id: 'od-fresh-d211' } },
    })
    expect(await post(EVENTS, deptEvent)).toEqual({ status: 200, body: {} })
    await waitFor(
      async () => (await deptRow('上海大客户组'))?.parent === '华东销售',
      'department created',
      8000,
    )
    const east = await deptRow('华东销售')
    const team = await deptRow('上海大客户组')
    expect(team?.path).toBe(`${east?.path}${team?.id}/`)

    const template = fake.directory.users.find((u) => u.userId === 'hemei')
    if (!template) throw new Error('no hemei')
    fake.directory.users.push({
      ...template,
      userId: 'xuyi',
      name: '徐一',
      openId: 'ou_fresh_xuyi',
      unionId: 'on_fresh_xuyi',
      departmentIds: ['D211'],
      leaderUserId: 'zhouba',
      jobTitle: '客户经理',
      timeZone: 'Europe/Berlin',
      status: { ...template.status },
    })
    const userEvent = await push.event({
      eventType: 'contact.user.created_v3',
      event: { object: { open_id: 'ou_fresh_xuyi' } },
    })
    expect(await post(EVENTS, userEvent)).toEqual({ status: 200, body: {} })
    const xuyiId = await waitFor(
      async () => {
        const [u] = await own.database.rows<{ id: string; name: string; manager: string; dept: string }>(sql`
        select u.id, u.name, m.name as manager, d.name as dept from users u
        join user_identities i on i.user_id = u.id and i.open_id = 'ou_fresh_xuyi'
        left join users m on m.id = u.manager_id left join departments d on d.id = u.department_id
        where u.tenant_id = ${stack.tenantId}`)
        return u?.name === '徐一' && u.manager === '周八' && u.dept === '上海大客户组' ? u.id : null
      },
      'hire applied',
      8000,
    )
    expect(xuyiId).toBeTruthy()
    // The directory's own time zone for the person is kept: their cards show times in it.
    const [zone] = await own.database.rows<{ tz: string | null }>(
      sql`select time_zone as tz from users where id = ${xuyiId}`,
    )
    expect(zone?.tz).toBe('Europe/Berlin')

    // 华东销售 moves under 研发中心 (a reorganisation): its subtree's paths follow.
    const d210 = fake.directory.departments.find((d) => d.departmentId === 'D210')
    if (!d210) throw new Error('no D210')
    d210.parentDepartmentId = 'D100'
    const moved = await push.event({
      eventType: 'contact.department.updated_v3',
      event: { object: { open_department_id: d210.openDepartmentId }, old_object: {} },
    })
    expect(await post(EVENTS, moved)).toEqual({ status: 200, body: {} })
    await waitFor(async () => (await deptRow('华东销售'))?.parent === '研发中心', 'department moved', 8000)
    const rd = await deptRow('研发中心')
    const eastAfter = await deptRow('华东销售')
    expect(eastAfter?.path).toBe(`${rd?.path}${eastAfter?.id}/`)
    expect((await deptRow('上海大客户组'))?.path).toBe(`${eastAfter?.path}${team?.id}/`)

    // The hire leaves: deleted from the directory, deactivated here (never deleted).
    fake.directory.users.splice(
      fake.directory.users.findIndex((u) => u.openId === 'ou_fresh_xuyi'),
      1,
    )
    const left = await push.event({
      eventType: 'contact.user.deleted_v3',
      event: { object: { open_id: 'ou_fresh_xuyi' }, old_object: { open_id: 'ou_fresh_xuyi' } },
    })
    expect(await post(EVENTS, left)).toEqual({ status: 200, body: {} })
    await waitFor(
      async () => {
        const [u] = await own.database.rows<{ status: string }>(sql`
        select status from users where id = ${xuyiId ?? ''}`)
        return u?.status === 'inactive'
      },
      'hire left',
      8000,
    )
    expect(fullSyncCalls()).toBe(before)

    // A department the bot has never heard of as a parent: it falls back to the full sync.
    fake.directory.departments.push({
      departmentId: 'D400',
      openDepartmentId: 'od-fresh-d400',
      name: '海外事业部',
      parentDepartmentId: '0',
      leaderUserId: '',
      order: 9100,
    })
    fake.directory.departments.push({
      departmentId: 'D410',
      openDepartmentId: 'od-fresh-d410',
      name: '新加坡办',
      parentDepartmentId: 'D400',
      leaderUserId: '',
      order: 9200,
    })
    const orphan = await push.event({
      eventType: 'contact.department.created_v3',
      event: { object: { open_department_id: 'od-fresh-d410' } },
    })
    expect(await post(EVENTS, orphan)).toEqual({ status: 200, body: {} })
    await waitFor(async () => (await deptRow('新加坡办'))?.parent === '海外事业部', 'full sync', 10_000)
    expect(fullSyncCalls()).toBeGreaterThan(before)
    // Put the fake back for the tests after this one.
    d210.parentDepartmentId = 'D200'
    fake.directory.departments.splice(-3, 3)
  })

  it('schedules one directory sync per Feishu tenant a day', async () => {
    const added: Array<{ name: string; payload: Record<string, unknown>; options?: { jobId?: string } }> = []
    const queue = {
      addBulk: async (jobs: typeof added) => {
        added.push(...jobs)
      },
    } as unknown as JobQueue
    const run = syncAllDirectories({
      database: own.database,
      queue,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      clock: { now: () => new Date('2026-11-27T02:00:00Z') },
      platforms: new PlatformRegistry().register(stack.platform),
    })
    await run()
    const mine = added.filter((j) => j.payload.tenantId === stack.tenantId)
    expect(mine).toEqual([
      {
        name: 'org.sync_directory',
        payload: { tenantId: stack.tenantId },
        options: expect.objectContaining({ jobId: `sync-dir-${stack.tenantId}-2026-11-27` }),
      },
    ])
  })

  it('exchanges a mini-app login code for a session', async () => {
    const code = fake.issueLoginCode(fake.user('lisi').openId)
    const res = await stack.app.request('/api/v1/auth/feishu', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { user: { name: string } }
    expect(body.user.name).toBe('李四')
    const reused = await stack.app.request('/api/v1/auth/feishu', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    expect(reused.status).toBe(401)
  })
})
