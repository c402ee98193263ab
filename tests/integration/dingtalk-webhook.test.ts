import { and, eq, sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sendCard, updateCards } from '../../bot/domain/chat/send'
import { outTrackIdOf } from '../../bot/platforms/dingtalk/adapter'
import type { Database } from '../../db/client'
import { departments, messages, userIdentities, users } from '../../db/schema'
import {
  createDingtalkPushBuilder,
  createFakeDingtalk,
  type DingtalkPush,
  type FakeDingtalk,
  toRequestInit,
} from '../fakes/dingtalk'
import {
  DINGTALK_AES_KEY,
  DINGTALK_EVENT_TOKEN,
  DINGTALK_TEMPLATE_ID,
  type DingtalkStack,
  startDingtalkStack,
} from '../helpers/dingtalk'
import { openOwnDatabase } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

let fake: FakeDingtalk
let own: { database: Database; drop: () => Promise<void> }
let stack: DingtalkStack
let push: ReturnType<typeof createDingtalkPushBuilder>

const GROUP = 'cidSALESgroup0001'
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

beforeAll(async () => {
  fake = await createFakeDingtalk({
    groups: [{ openConversationId: GROUP, name: '销售群', memberUserIds: ['lisi', 'wangwu'] }],
  })
  own = await openOwnDatabase()
  stack = await startDingtalkStack(fake, own.database)
  push = createDingtalkPushBuilder({
    appKey: fake.appKey,
    appSecret: fake.appSecret,
    corpId: fake.corpId,
    token: DINGTALK_EVENT_TOKEN,
    aesKey: DINGTALK_AES_KEY,
    cardApiSecret: stack.cardApiSecret,
    sessionWebhookBase: fake.url,
  })
})

afterAll(async () => {
  await stack?.close()
  await own?.drop()
  await fake?.close()
})

afterEach(async () => {
  fake.controls.clearFailures()
  fake.controls.resetRateLimits()
  await stack.settle()
})

async function post(p: DingtalkPush) {
  const res = await stack.app.request(p.path, toRequestInit(p))
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Rows of a table; for inbound_events the events, not the used-signature records. */
const count = async (table: 'inbound_events' | 'outbox') =>
  (
    await own.database.rows<{ n: number }>(
      table === 'inbound_events'
        ? sql`select count(*)::int as n from inbound_events where event_id not like 'sig:%'`
        : sql`select count(*)::int as n from outbox`,
    )
  )[0]?.n ?? 0

const cardsIn = (spaceType: string, spaceId: string) =>
  [...fake.cards.values()].filter((c) =>
    c.spaces.some((s) => s.spaceType === spaceType && s.spaceId === spaceId),
  )

async function userIdOf(openId: string): Promise<string> {
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, openId)))
  if (!row) throw new Error(`no identity for ${openId}`)
  return row.userId
}

const ctx = () => ({
  tenantId: stack.tenantId,
  actor: { kind: 'system' as const, reason: 'test' },
  db: own.database.db,
  clock: stack.clock,
  logger: quiet,
})

describe('DingTalk HTTP callbacks and adapter', () => {
  it('synced the directory: departments from listsub, users with departments, leaders and managers', async () => {
    const depts = await own.database.db
      .select({ name: departments.name, externalId: departments.externalId })
      .from(departments)
      .where(eq(departments.tenantId, stack.tenantId))
    expect(depts.map((d) => d.externalId).sort()).toEqual(['1', '100', '101', '200'])
    const wangwu = await userIdOf('wangwu')
    const [row] = await own.database.db.select().from(users).where(eq(users.id, wangwu))
    expect(row?.name).toBe('王五')
    expect(row?.managerId).toBe(await userIdOf('lisi'))
    expect(row?.jobTitle).toBe('销售')
    expect(fake.callbacks.get('flowcard-cards')?.callbackUrl).toBeUndefined()
  })

  it('replies to a signed 帮助 with a card through the fake, and does nothing twice on replay', async () => {
    const p = push.robotMessage({ text: '帮助', senderStaffId: 'lisi', senderNick: '李四' })
    const started = performance.now()
    expect(await post(p)).toEqual({ status: 200, body: {} })
    // The ack must not wait for the work (the reply card comes after it); well inside the platform's timeout.
    expect(performance.now() - started).toBeLessThan(3000)
    const [card] = await waitFor(
      () => (cardsIn('IM_ROBOT', 'lisi').length > 0 ? cardsIn('IM_ROBOT', 'lisi') : null),
      'reply card',
    )
    expect(card?.cardTemplateId).toBe(DINGTALK_TEMPLATE_ID)
    expect(card?.callbackType).toBe('HTTP')
    expect(fake.callbacks.get('flowcard-cards')?.callbackUrl).toBe(
      'https://flow.example.com/webhooks/dingtalk/cards',
    )
    expect(JSON.stringify(card?.cardParamMap)).toContain('flowcard 助手')
    for (const v of Object.values(card?.cardParamMap ?? {})) expect(typeof v).toBe('string')
    await stack.settle()
    const [row] = await own.database.db
      .select({
        status: messages.status,
        platformMessageId: messages.platformMessageId,
        key: messages.idempotencyKey,
      })
      .from(messages)
      .where(
        and(eq(messages.tenantId, stack.tenantId), eq(messages.platformMessageId, card?.outTrackId ?? '')),
      )
    expect(row?.status).toBe('sent')
    expect(outTrackIdOf(row?.key ?? '')).toBe(card?.outTrackId)

    // The same callback again, and the same message re-signed later: nothing new.
    const inbound = await count('inbound_events')
    const outbox = await count('outbox')
    expect(await post(p)).toEqual({ status: 200, body: {} })
    const again = push.robotMessage({
      text: '帮助',
      senderStaffId: 'lisi',
      msgId: p.msgId,
      timestamp: Date.now() + 5,
    })
    expect(await post(again)).toEqual({ status: 200, body: {} })
    await stack.settle()
    expect(await count('inbound_events')).toBe(inbound)
    expect(await count('outbox')).toBe(outbox)
    expect(cardsIn('IM_ROBOT', 'lisi')).toHaveLength(1)

    // A retried send of the same outbox job reuses the outTrackId: DingTalk delivers nothing new.
    const tenant = { id: stack.tenantId, platformTenantKey: fake.corpId }
    const msg = {
      to: { kind: 'user' as const, openId: 'lisi' },
      content: { kind: 'text' as const, text: '重试' },
      idempotencyKey: 'retry-key-1',
      locale: 'zh-CN' as const,
    }
    const a = await stack.platform.send(tenant, msg)
    const b = await stack.platform.send(tenant, msg)
    expect(a.platformMessageId).toBe(b.platformMessageId)
    expect(fake.cards.get(a.platformMessageId)?.createCalls).toBe(2)
    expect(fake.cards.get(a.platformMessageId)?.history).toHaveLength(1)
  })

  it('recognises a card created by an attempt whose answer was lost as delivered, and updates it when the content changed', async () => {
    const userId = await userIdOf('zhaoliu')
    fake.controls.dropNextResponse('POST', '/v1.0/card/instances/createAndDeliver')
    const ref = `test:lost:${Date.now()}`
    await sendCard(ctx(), { to: { userId }, card: { header: { title: '回执丢失' }, elements: [] }, ref })
    await stack.settle(15_000)
    const [row] = await own.database.db
      .select({ status: messages.status, id: messages.platformMessageId })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.ref, ref)))
    expect(row?.status).toBe('sent')
    const card = fake.cards.get(row?.id ?? '')
    expect(card?.createCalls).toBe(2)
    expect(fake.recorder.find('POST', '/v1.0/card/instances/createAndDeliver').at(-1)?.code).toBe(
      'param.cardAlreadyExist',
    )
    expect(card?.history.map((h) => h.via)).toEqual(['create'])

    // Another process retries with different content (e.g. after a crash): delivered, and updated.
    const tenant = { id: stack.tenantId, platformTenantKey: fake.corpId }
    const msg = (text: string) => ({
      to: { kind: 'user' as const, openId: 'zhaoliu' },
      content: { kind: 'text' as const, text },
      idempotencyKey: `changed-${ref}`,
      locale: 'zh-CN' as const,
    })
    const first = await stack.platform.send(tenant, msg('第一版'))
    const other = (await import('../../bot/platforms/dingtalk/adapter')).createDingtalkPlatform(
      stack.platform.config,
      quiet,
      { corpId: fake.corpId },
    )
    const second = await other.send(tenant, msg('第二版'))
    expect(second.platformMessageId).toBe(first.platformMessageId)
    const changed = fake.cards.get(first.platformMessageId)
    expect(changed?.history.map((h) => h.via)).toEqual(['create', 'update'])
    expect(JSON.stringify(changed?.cardParamMap)).toContain('第二版')
  })

  it('answers in a group only when the bot is @-mentioned', async () => {
    const mentioned = push.robotMessage({
      text: 'help',
      senderStaffId: 'wangwu',
      conversationType: '2',
      conversationId: GROUP,
    })
    const ignored = push.robotMessage({
      text: 'help',
      senderStaffId: 'wangwu',
      conversationType: '2',
      conversationId: GROUP,
      isInAtList: false,
    })
    expect((await post(mentioned)).status).toBe(200)
    expect((await post(ignored)).status).toBe(200)
    await waitFor(() => cardsIn('IM_GROUP', GROUP).length === 1, 'group card')
    await stack.settle()
    expect(cardsIn('IM_GROUP', GROUP)).toHaveLength(1)
    expect(JSON.stringify(cardsIn('IM_GROUP', GROUP)[0]?.cardParamMap)).toContain('flowcard assistant')
  })

  it('refuses bad signatures and stale timestamps with 401 and records nothing', async () => {
    const before = { inbound: await count('inbound_events'), outbox: await count('outbox') }
    const forged = push.robotMessage({ text: '帮助', senderStaffId: 'lisi', signWith: 'not-the-secret' })
    expect(await post(forged)).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } })
    const stale = push.robotMessage({
      text: '帮助',
      senderStaffId: 'lisi',
      timestamp: Date.now() - 2 * 3600_000,
    })
    expect((await post(stale)).status).toBe(401)
    const unsigned = { ...push.robotMessage({ text: '帮助', senderStaffId: 'lisi' }), headers: {} }
    expect((await post(unsigned)).status).toBe(401)
    const tap = push.cardTap({
      outTrackId: 'x',
      userId: 'lisi',
      params: { payload: '{"a":"help.whoami"}' },
      signWith: 'wrong',
    })
    expect((await post(tap)).status).toBe(401)
    const event = push.event(
      { EventType: 'user_add_org', UserId: ['lisi'], CorpId: fake.corpId },
      { token: 'wrong' },
    )
    expect((await post(event)).status).toBe(401)
    const notJson = { ...push.robotMessage({ text: 'x', senderStaffId: 'lisi' }), body: 'not json' }
    expect((await post(notJson)).status).toBe(400)
    expect(await count('inbound_events')).toBe(before.inbound)
    expect(await count('outbox')).toBe(before.outbox)
  })

  it('answers a card tap with a replacement card that updates the card, once', async () => {
    const [card] = cardsIn('IM_ROBOT', 'lisi')
    if (!card) throw new Error('no card from the first test')
    const tap = push.cardTap({
      outTrackId: card.outTrackId,
      userId: 'lisi',
      params: { payload: JSON.stringify({ a: 'help.whoami' }) },
      spaceType: 'IM_ROBOT',
      spaceId: 'lisi',
    })
    const started = performance.now()
    const res = await post(tap)
    // The card callback is answered inside the platform's deadline.
    expect(performance.now() - started).toBeLessThan(3000)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ cardUpdateOptions: { updateCardDataByKey: false } })
    const map = (res.body.cardData as { cardParamMap: Record<string, string> }).cardParamMap
    expect(JSON.stringify(map)).toContain('李四')
    fake.controls.applyCallbackResponse(card.outTrackId, 'lisi', res.body)
    expect(card.history.at(-1)?.via).toBe('callback')
    expect(JSON.stringify(card.cardParamMap)).toContain('李四')
    // The same request replayed is acknowledged without acting again.
    expect(await post(tap)).toEqual({ status: 200, body: {} })
    // A stranger gets an error toast; a callback without our payload is ignored.
    const stranger = await post(
      push.cardTap({
        outTrackId: card.outTrackId,
        userId: 'nobody',
        params: { payload: '{"a":"help.whoami"}' },
      }),
    )
    // Only the tapper sees the toast: it is private data, and the public card is untouched.
    expect(stranger.body).toMatchObject({
      userPrivateData: { cardParamMap: { toast: expect.stringContaining('权限') } },
      cardUpdateOptions: { updatePrivateDataByKey: true },
    })
    expect(stranger.body.cardData).toBeUndefined()
    const publicBefore = { ...card.cardParamMap }
    fake.controls.applyCallbackResponse(card.outTrackId, 'nobody', stranger.body)
    expect(card.cardParamMap).toEqual(publicBefore)
    expect(card.privateData.nobody?.toast).toContain('权限')
    expect(card.privateData.lisi?.toast ?? '').toBe('')
    expect(
      await post(push.cardTap({ outTrackId: card.outTrackId, userId: 'lisi', params: { other: '1' } })),
    ).toEqual({ status: 200, body: {} })
  })

  it('uses each signed card timestamp once, within 5 minutes, and only from the person the card was sent to', async () => {
    const [card] = cardsIn('IM_ROBOT', 'lisi')
    if (!card) throw new Error('no card from the first test')
    const before = card.history.length
    const tap = push.cardTap({
      outTrackId: card.outTrackId,
      userId: 'lisi',
      params: { payload: JSON.stringify({ a: 'help.whoami' }) },
    })
    // A captured header pair with another body (another operator): not acted on.
    const forged = {
      ...tap,
      body: tap.body.replace('"userId":"lisi"', '"userId":"wangwu"').replace('help.whoami', 'help.show'),
    }
    expect((await post(tap)).status).toBe(200)
    expect(await post(forged)).toEqual({ status: 200, body: {} })
    // Ten minutes old: refused although DingTalk's robot window is an hour.
    const stale = push.cardTap({
      outTrackId: card.outTrackId,
      userId: 'lisi',
      params: { payload: '{"a":"help.whoami"}' },
      timestamp: Date.now() - 10 * 60_000,
    })
    expect((await post(stale)).status).toBe(401)
    // Another colleague tapping lisi's personal card, and a tap on a card we never sent: refused.
    for (const p of [
      push.cardTap({
        outTrackId: card.outTrackId,
        userId: 'wangwu',
        params: { payload: '{"a":"help.whoami"}' },
      }),
      push.cardTap({ outTrackId: 'fc-unknown', userId: 'lisi', params: { payload: '{"a":"help.whoami"}' } }),
    ]) {
      const res = await post(p)
      expect(res.body).toMatchObject({
        userPrivateData: { cardParamMap: { toast: expect.stringContaining('权限') } },
      })
      expect(res.body.cardData).toBeUndefined()
    }
    expect(card.history.length).toBe(before)
    // A robot message's signature is single-use too.
    const m = push.robotMessage({ text: '帮助', senderStaffId: 'lisi' })
    expect((await post(m)).status).toBe(200)
    // Handled first: handling records its own claim row, which would otherwise land between the two counts
    // or not, as the worker's timing has it (it did on the embedded database).
    await stack.settle()
    const other = { ...m, body: m.body.replace(m.msgId, `${m.msgId}x`) }
    const inbound = await count('inbound_events')
    expect(await post(other)).toEqual({ status: 200, body: {} })
    expect(await count('inbound_events')).toBe(inbound)
  })

  it('acks a robot message it could not record, retries locally, and tells the sender through sessionWebhook', async () => {
    const { handlePush } = await import('../../bot/platforms/dingtalk/inbound')
    let tries = 0
    const failing = {
      ...stack.inbound,
      oapiBase: fake.url,
      recordAttempts: 3,
      ingest: async () => {
        tries++
        throw new Error('database unavailable')
      },
    }
    const p = push.robotMessage({ text: '帮助', senderStaffId: 'wangwu' })
    const headers = new Headers(p.headers)
    const res = await handlePush(
      failing,
      new TextEncoder().encode(p.body),
      (n) => headers.get(n) ?? undefined,
      () => undefined,
    )
    expect(res.status).toBe(200)
    expect(tries).toBe(3)
    expect(fake.sessionReplies.filter((r) => r.session === p.msgId)).toEqual([
      expect.objectContaining({
        msgtype: 'text',
        body: expect.objectContaining({ text: { content: expect.stringContaining('繁忙') } }),
      }),
    ])
    // A sessionWebhook that does not point at DingTalk is never called.
    const evil = push.robotMessage({ text: '帮助', senderStaffId: 'wangwu' })
    const body = evil.body.replace(
      `${fake.url}/robot/sendBySession`,
      'http://127.0.0.1:9/robot/sendBySession',
    )
    const replies = fake.sessionReplies.length
    const h2 = new Headers(evil.headers)
    expect(
      (
        await handlePush(
          failing,
          new TextEncoder().encode(body),
          (n) => h2.get(n) ?? undefined,
          () => undefined,
        )
      ).status,
    ).toBe(200)
    expect(fake.sessionReplies.length).toBe(replies)
  })

  it('stops reading a chunked body without a length at the limit', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(32)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64) return controller.close()
        sent++
        controller.enqueue(chunk)
      },
    })
    const res = await stack.app.request('/webhooks/dingtalk/events', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(sent).toBeLessThan(64)
  })

  it('updates delivered cards through PUT /v1.0/card/instances', async () => {
    const ref = `test:update:${Date.now()}`
    await sendCard(ctx(), {
      to: { userId: await userIdOf('zhaoliu') },
      card: { header: { title: '待审批', color: 'orange' }, elements: [{ type: 'markdown', text: 'v1' }] },
      ref,
      version: 1,
    })
    await stack.settle()
    const [sent] = await own.database.db
      .select({ id: messages.platformMessageId })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.ref, ref)))
    await updateCards(ctx(), {
      ref,
      version: 2,
      card: { header: { title: '已通过', color: 'green' }, elements: [{ type: 'markdown', text: 'v2' }] },
    })
    await stack.settle()
    const card = fake.cards.get(sent?.id ?? '')
    expect(card?.history.map((h) => h.via)).toEqual(['create', 'update'])
    expect(card?.cardParamMap).toMatchObject({ title: '已通过', color: 'green' })
  })

  it('applies a contact event from an encrypted push, answers the encrypted success, ignores redelivery', async () => {
    const check = await post(push.event({ EventType: 'check_url' }))
    expect(check.status).toBe(200)
    expect(push.openAnswer(check.body)).toBe('success')
    fake.controls.addUser({
      userid: 'qianba',
      name: '钱八',
      title: '实习生',
      deptIds: [200],
      managerUserid: 'zhaoliu',
    })
    const payload = {
      EventType: 'user_add_org',
      UserId: ['qianba'],
      CorpId: fake.corpId,
      TimeStamp: String(Date.now()),
    }
    const e = push.event(payload)
    const res = await post(e)
    expect(res.status).toBe(200)
    expect(push.openAnswer(res.body)).toBe('success')
    const id = await waitFor(async () => {
      const [r] = await own.database.db
        .select({ userId: userIdentities.userId })
        .from(userIdentities)
        .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, 'qianba')))
      return r?.userId ?? null
    }, 'qianba applied')
    const [row] = await own.database.db.select().from(users).where(eq(users.id, id))
    expect(row?.name).toBe('钱八')
    expect(row?.managerId).toBe(await userIdOf('zhaoliu'))
    await stack.settle()
    const inbound = await count('inbound_events')
    // DingTalk pushes the same event again: the same request, and re-encrypted (new nonce, same plaintext).
    const redelivered = push.event(payload)
    expect(redelivered.encrypt).not.toBe(e.encrypt)
    expect((await post(e)).status).toBe(200)
    expect(push.openAnswer((await post(redelivered)).body)).toBe('success')
    await stack.settle()
    expect(await count('inbound_events')).toBe(inbound)
  })

  it('waits out DingTalk throttling and an expired token, then delivers', async () => {
    const userId = await userIdOf('sunqi')
    fake.controls.failNext('POST', '/v1.0/card/instances/createAndDeliver', 403, {
      code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
      message: '当前应用调用该接口的频率超过限制',
      requestid: 'x',
    })
    const started = Date.now()
    await sendCard(ctx(), { to: { userId }, card: { header: { title: '限流测试' }, elements: [] } })
    await waitFor(() => cardsIn('IM_ROBOT', 'sunqi').length === 1, 'throttle recovery', 8000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    const attempts = fake.recorder.find('POST', '/v1.0/card/instances/createAndDeliver')
    expect(attempts.filter((r) => r.code === 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi')).toHaveLength(
      1,
    )

    const tokenCalls = fake.recorder.count('POST', '/v1.0/oauth2/accessToken')
    fake.controls.expireTokens()
    await sendCard(ctx(), { to: { userId }, card: { header: { title: '令牌过期测试' }, elements: [] } })
    await waitFor(() => cardsIn('IM_ROBOT', 'sunqi').length === 2, 'token refresh', 8000)
    expect(fake.recorder.count('POST', '/v1.0/oauth2/accessToken')).toBe(tokenCalls + 1)
    expect(attempts.length).toBeGreaterThan(0)
    expect(
      fake.recorder
        .find('POST', '/v1.0/card/instances/createAndDeliver')
        .some((r) => r.code === 'InvalidAuthentication'),
    ).toBe(true)

    // Directory reads under throttling (old API errcode 90018) retry instead of failing the sync.
    fake.controls.failNext(
      'POST',
      '/topapi/v2/department/listsub',
      200,
      { errcode: 90018, errmsg: 'QPS 超限' },
      2,
    )
    const snapshot = await stack.platform.syncDirectory({
      id: stack.tenantId,
      platformTenantKey: fake.corpId,
    })
    expect(snapshot.departments).toHaveLength(4)
    await stack.settle()
    const rows = await own.database.db
      .select({ status: messages.status })
      .from(messages)
      .where(and(eq(messages.tenantId, stack.tenantId), eq(messages.userId, userId)))
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent'])
  })

  it('signs a mini-app user in with a DingTalk auth code, once', async () => {
    const code = fake.controls.mintAuthCode('wangwu')
    const login = async (c: string) =>
      stack.app.request('/api/v1/auth/dingtalk', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: c }),
      })
    const ok = await login(code)
    expect(ok.status).toBe(200)
    const body = (await ok.json()) as { token: string; user: { name: string } }
    expect(body.user.name).toBe('王五')
    expect(body.token).toBeTruthy()
    const reused = await login(code)
    expect(reused.status).toBe(401)
    expect(fake.recorder.find('POST', '/topapi/v2/user/getuserinfo').map((r) => r.code)).toEqual([
      undefined,
      '40078',
    ])
  })
})
