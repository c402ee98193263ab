import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import type { FakeFeishu } from '../fakes/feishu'
import { createPushBuilder, toRequestInit } from '../fakes/feishu/push'
import {
  ENCRYPT_KEY,
  type FeishuStack,
  type FeishuWorld,
  startFeishuWorld,
  VERIFICATION_TOKEN,
} from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

/**
 * A company installs the app and someone messages the bot before its directory was ever synced: the first
 * event creates the tenant and starts the sync, and the message is answered once the sender is known,
 * instead of "you are not in the directory".
 */
let fake: FakeFeishu
let own: { database: Database; drop: () => Promise<void> }
let stack: FeishuStack

let world: FeishuWorld

beforeAll(async () => {
  world = await startFeishuWorld({ stack: { noTenant: true } })
  ;({ fake, own, stack } = world)
})
afterAll(async () => {
  await world?.close()
})

describe('a brand-new Feishu tenant', () => {
  it('answers the very first message after pulling the directory', async () => {
    const push = createPushBuilder({
      appId: fake.appId,
      tenantKey: fake.tenantKey,
      verificationToken: VERIFICATION_TOKEN,
      encryptKey: ENCRYPT_KEY,
    })
    const lisi = fake.user('lisi')
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '帮助' })
    const p = await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '帮助',
      sender: { openId: lisi.openId },
    })
    const res = await stack.app.request('/webhooks/feishu/events', toRequestInit(p))
    expect(res.status).toBe(200)
    const replies = () =>
      fake.recorder
        .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
        .filter((r) => r.path.includes(msg.messageId) && r.status === 200)
    const [reply] = await waitFor(() => (replies().length > 0 ? replies() : null), 'reply', 15_000)
    const body = reply?.body as { msg_type?: string; content?: string }
    expect(body.msg_type).toBe('interactive') // the help card, not the "not in the directory" text
    expect(replies()).toHaveLength(1)
    const [tenant] = await own.database.rows<{ users: number; messages: number }>(sql`
      select (select count(*)::int from users) as users,
             (select count(*)::int from messages where direction = 'in') as messages`)
    expect(tenant?.users).toBeGreaterThan(10)
    expect(tenant?.messages).toBe(1) // recorded once, not once per retry
  })
})
