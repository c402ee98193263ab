import { and, eq, sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type DingtalkStream, startDingtalkStream } from '../../bot/platforms/dingtalk/stream'
import type { Database } from '../../db/client'
import { userIdentities } from '../../db/schema'
import {
  createDingtalkPushBuilder,
  createFakeDingtalk,
  type FakeDingtalk,
  TOPIC_CARD,
  TOPIC_ROBOT,
} from '../fakes/dingtalk'
import {
  DINGTALK_AES_KEY,
  DINGTALK_EVENT_TOKEN,
  type DingtalkStack,
  startDingtalkStack,
} from '../helpers/dingtalk'
import { openOwnDatabase } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

let fake: FakeDingtalk
let own: { database: Database; drop: () => Promise<void> }
let stack: DingtalkStack
let stream: DingtalkStream
let push: ReturnType<typeof createDingtalkPushBuilder>

beforeAll(async () => {
  fake = await createFakeDingtalk()
  own = await openOwnDatabase()
  stack = await startDingtalkStack(fake, own.database, { callbacks: 'STREAM' })
  push = createDingtalkPushBuilder({
    appKey: fake.appKey,
    appSecret: fake.appSecret,
    corpId: fake.corpId,
    token: DINGTALK_EVENT_TOKEN,
    aesKey: DINGTALK_AES_KEY,
    cardApiSecret: stack.cardApiSecret,
  })
  stream = await startDingtalkStream(stack.inbound, {
    clientId: fake.appKey,
    clientSecret: fake.appSecret,
    gatewayUrl: `${fake.url}/v1.0/gateway/connections/open`,
    minBackoffMs: 50,
    maxBackoffMs: 400,
  })
  process.on('unhandledRejection', onUnhandled)
})

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  stream?.close()
  await stack?.close()
  await own?.drop()
  await fake?.close()
})

afterEach(async () => {
  await stack.settle()
})

const inboundCount = async () =>
  (await own.database.rows<{ n: number }>(sql`select count(*)::int as n from inbound_events`))[0]?.n ?? 0
const cardsTo = (userId: string) =>
  [...fake.cards.values()].filter((c) =>
    c.spaces.some((s) => s.spaceType === 'IM_ROBOT' && s.spaceId === userId),
  )

describe('DingTalk stream mode (own protocol client against the fake gateway)', () => {
  it('opens the connection through the configured gateway with its subscriptions', () => {
    expect(stream.connected()).toBe(true)
    expect(fake.stream.connectionCount).toBe(1)
    const [open] = fake.stream.opens
    expect(open?.accept).toContain('application/json')
    expect(open?.subscriptions).toEqual(
      expect.arrayContaining([
        { type: 'EVENT', topic: '*' },
        { type: 'CALLBACK', topic: TOPIC_ROBOT },
        { type: 'CALLBACK', topic: TOPIC_CARD },
      ]),
    )
  })

  it('records a robot message, acks it, replies through the fake, and ignores the redelivery', async () => {
    const payload = JSON.parse(push.robotMessage({ text: '帮助', senderStaffId: 'zhaoliu' }).body) as Record<
      string,
      unknown
    >
    const ack = await fake.stream.pushRobot(payload)
    expect(ack.code).toBe(200)
    expect(JSON.parse(ack.data)).toEqual({ response: null })
    await waitFor(() => cardsTo('zhaoliu').length === 1, 'stream reply card')
    await stack.settle()
    const before = await inboundCount()
    expect((await fake.stream.pushRobot(payload)).code).toBe(200)
    await stack.settle()
    expect(await inboundCount()).toBe(before)
    expect(cardsTo('zhaoliu')).toHaveLength(1)
  })

  it('answers a card tap within the ack with the object that updates the card', async () => {
    const [card] = cardsTo('zhaoliu')
    if (!card) throw new Error('no card')
    expect(card.callbackType).toBe('STREAM')
    const tap = JSON.parse(
      push.cardTap({
        outTrackId: card.outTrackId,
        userId: 'zhaoliu',
        params: { payload: '{"a":"help.whoami"}' },
      }).body,
    ) as Record<string, unknown>
    const started = performance.now()
    const response = (await fake.stream.pushCard(tap)) as {
      cardData?: { cardParamMap: Record<string, string> }
    }
    // The card callback is answered inside the platform's deadline.
    expect(performance.now() - started).toBeLessThan(3000)
    expect(JSON.stringify(response.cardData?.cardParamMap)).toContain('赵六')
    fake.controls.applyCallbackResponse(card.outTrackId, 'zhaoliu', response)
    expect(card.history.at(-1)?.via).toBe('callback')
  })

  it('acks a contact event only once it is recorded, once per event id', async () => {
    fake.controls.addUser({ userid: 'zhoujiu', name: '周九', deptIds: [100], managerUserid: 'lisi' })
    const headers = { eventType: 'user_add_org', eventId: 'evt_stream_1', eventCorpId: fake.corpId }
    expect(await fake.stream.pushEvent(headers, { timeStamp: String(Date.now()), userId: ['zhoujiu'] })).toBe(
      'SUCCESS',
    )
    await waitFor(async () => {
      const [r] = await own.database.db
        .select({ id: userIdentities.userId })
        .from(userIdentities)
        .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, 'zhoujiu')))
      return r?.id ?? null
    }, 'zhoujiu applied')
    await stack.settle()
    const before = await inboundCount()
    expect(await fake.stream.pushEvent(headers, { timeStamp: String(Date.now()), userId: ['zhoujiu'] })).toBe(
      'SUCCESS',
    )
    expect(await inboundCount()).toBe(before)
  })

  it('echoes ping and reconnects after a disconnect, through gateway failures, with backoff', async () => {
    const ping = await fake.stream.ping('opaque-1')
    expect(JSON.parse(ping.data)).toEqual({ opaque: 'opaque-1' })
    const opensBefore = fake.stream.opens.length
    fake.stream.failOpens = 2
    fake.stream.disconnectAll(20)
    await waitFor(() => stream.connects() === 2 && fake.stream.connectionCount === 1, 'reconnected', 8000)
    expect(fake.stream.opens.length).toBe(opensBefore + 3)
    // Works on the new connection.
    const payload = JSON.parse(push.robotMessage({ text: '帮助', senderStaffId: 'wangwu' }).body) as Record<
      string,
      unknown
    >
    expect((await fake.stream.pushRobot(payload)).code).toBe(200)
    await waitFor(() => cardsTo('wangwu').length === 1, 'reply after reconnect')
  })

  it('on disconnect opens the next connection at once, answers in-flight taps on the old socket through its drain, and a late close of the old socket does not touch the new one', async () => {
    await waitFor(() => stream.connected() && fake.stream.connectionCount === 1, 'one connection')
    const [card] = cardsTo('zhaoliu')
    if (!card) throw new Error('no card')
    const [oldConn] = fake.stream.connectionIds()
    const connects = stream.connects()
    fake.stream.drainMs = 1500
    const tap = JSON.parse(
      push.cardTap({
        outTrackId: card.outTrackId,
        userId: 'zhaoliu',
        params: { payload: '{"a":"help.whoami"}' },
      }).body,
    ) as Record<string, unknown>
    const answer = fake.stream.pushCard(tap, oldConn)
    fake.stream.disconnectAll()
    // The tap pushed before the disconnect is answered on the socket that carried it.
    const response = (await answer) as { cardData?: { cardParamMap: Record<string, string> } }
    expect(JSON.stringify(response.cardData?.cardParamMap)).toContain('赵六')
    // The new connection is up while the old one still drains (both sockets open).
    await waitFor(
      () => stream.connects() === connects + 1 && fake.stream.connectionCount === 1,
      'new connection',
    )
    expect(fake.stream.openSockets).toBe(2)
    // The server closes the old socket after the drain; the new connection stays.
    await waitFor(() => fake.stream.openSockets === 1, 'old socket closed', 5000)
    await new Promise((r) => setTimeout(r, 300))
    expect(stream.connected()).toBe(true)
    expect(stream.connects()).toBe(connects + 1)
    expect(fake.stream.strayAcks).toEqual([])
    const payload = JSON.parse(push.robotMessage({ text: '帮助', senderStaffId: 'lisi' }).body) as Record<
      string,
      unknown
    >
    expect((await fake.stream.pushRobot(payload)).code).toBe(200)
    expect(unhandled).toEqual([])
  })

  it('never pushes a tap for an HTTP-callback card over the stream, nor beyond the monthly push budget', async () => {
    const [card] = cardsTo('zhaoliu')
    if (!card) throw new Error('no card')
    card.callbackType = 'HTTP'
    await expect(
      fake.stream.pushCard({
        type: 'actionCallback',
        outTrackId: card.outTrackId,
        corpId: fake.corpId,
        userId: 'zhaoliu',
        content: '{}',
      }),
    ).rejects.toThrow(/not_stream_card/)
    card.callbackType = 'STREAM'
    fake.controls.setMonthlyQuota({ pushes: fake.controls.usage().pushes })
    expect(() => fake.stream.pushRobot({})).toThrow(/push_quota/)
    fake.controls.setMonthlyQuota({ pushes: 3000 })
  })

  it('does not mount the HTTP callback routes in stream mode', async () => {
    const res = await stack.app.request('/webhooks/dingtalk/events', { method: 'POST', body: '{}' })
    expect(res.status).toBe(404)
  })
})
