import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../bot/lib/logger'
import { type FeishuLongConnection, startFeishuLongConnection } from '../../bot/platforms/feishu/ws'
import type { Database } from '../../db/client'
import { checkCardObject, createFakeFeishu, createPushBuilder, type FakeFeishu } from '../fakes/feishu'
import { type FeishuStack, openOwnDatabase, startFeishuStack, VERIFICATION_TOKEN } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

let fake: FakeFeishu
let own: { database: Database; drop: () => Promise<void> }
let stack: FeishuStack
let conn: FeishuLongConnection
let push: ReturnType<typeof createPushBuilder>

beforeAll(async () => {
  fake = await createFakeFeishu({ ws: { ReconnectInterval: 0.05, ReconnectNonce: 0 } })
  own = await openOwnDatabase()
  stack = await startFeishuStack(fake, own.database)
  conn = await startFeishuLongConnection(
    stack.inbound,
    stack.platform.config,
    createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  )
  await fake.ws.waitForConnection(5000)
  // Long-connection pushes are neither encrypted nor signed.
  push = createPushBuilder({
    appId: fake.appId,
    tenantKey: fake.tenantKey,
    verificationToken: VERIFICATION_TOKEN,
  })
})

afterAll(async () => {
  conn?.close()
  await stack?.close()
  await own?.drop()
  await fake?.close()
})

describe('Feishu long connection (WSClient against the fake gateway)', () => {
  it('records a 帮助 message, acknowledges it, and the bot replies; a redelivery does nothing', async () => {
    const wangwu = fake.user('wangwu')
    const msg = fake.controls.addUserMessage({ senderUserId: 'wangwu', text: '帮助' })
    const envelope = push.envelope({
      eventType: 'im.message.receive_v1',
      event: {
        sender: { sender_id: { open_id: wangwu.openId }, sender_type: 'user', tenant_key: fake.tenantKey },
        message: {
          message_id: msg.messageId,
          chat_id: msg.chatId,
          chat_type: 'p2p',
          message_type: 'text',
          content: msg.content,
        },
      },
    })
    const reply = await fake.ws.pushEventRaw(envelope, { fragments: 2 })
    expect(reply).toMatchObject({ code: 200, data: {} })
    const replies = () =>
      fake.recorder
        .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
        .filter((r) => r.path.includes(msg.messageId) && r.status === 200)
    await waitFor(() => replies().length === 1, 'reply over the long connection')
    const content = String((replies()[0]?.body as { content?: string } | undefined)?.content)
    expect(checkCardObject(JSON.parse(content))).toMatchObject({ ok: true, kind: 'v2' })
    expect(content).toContain('flowcard 助手')

    expect(await fake.ws.pushEvent(envelope)).toEqual({})
    await stack.settle()
    expect(replies()).toHaveLength(1)
  })

  it('answers card taps synchronously with a card, or a toast, and always with an object', async () => {
    const wangwu = fake.user('wangwu')
    const tap = push.envelope({
      eventType: 'card.action.trigger',
      event: {
        operator: { open_id: wangwu.openId, tenant_key: fake.tenantKey },
        token: 'c-0123',
        action: { tag: 'button', value: { a: 'help.whoami' } },
        host: 'im_message',
        context: { open_message_id: 'om_ws_1', open_chat_id: fake.controls.p2pChatId(wangwu.openId) },
      },
    })
    const answer = (await fake.ws.pushEvent(tap)) as { card: { type: string; data: Record<string, unknown> } }
    expect(answer.card.type).toBe('raw')
    expect(checkCardObject(answer.card.data)).toMatchObject({ ok: true })
    expect(JSON.stringify(answer.card.data)).toContain('王五')
    expect(await fake.ws.pushEvent(tap)).toEqual({})

    const stranger = push.envelope({
      eventType: 'card.action.trigger',
      event: {
        operator: { open_id: 'ou_stranger' },
        action: { tag: 'button', value: { a: 'help.whoami' } },
        context: { open_message_id: 'om_ws_2', open_chat_id: 'oc_x' },
      },
    })
    expect(await fake.ws.pushEvent(stranger)).toMatchObject({ toast: { type: 'error' } })
    const foreign = push.envelope({
      eventType: 'card.action.trigger',
      event: { operator: { open_id: wangwu.openId }, action: { tag: 'button', value: { other: 1 } } },
    })
    expect(await fake.ws.pushEvent(foreign)).toEqual({})
  })

  it('keeps working after the gateway drops the connection', async () => {
    expect(fake.ws.dropConnections()).toBe(1)
    await new Promise((r) => setTimeout(r, 30))
    await fake.ws.waitForConnection(5000)
    const before = (
      await own.database.rows<{ n: number }>(sql`select count(*)::int as n from inbound_events`)
    )[0]
    const event = push.envelope({
      eventType: 'im.chat.member.bot.added_v1',
      event: { chat_id: 'oc_new_group' },
    })
    expect(await fake.ws.pushEvent(event)).toEqual({})
    const after = (
      await own.database.rows<{ n: number }>(sql`select count(*)::int as n from inbound_events`)
    )[0]
    expect((after?.n ?? 0) - (before?.n ?? 0)).toBe(1)
  })
})
