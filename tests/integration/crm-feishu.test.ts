import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { userIdentities } from '../../db/schema'
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
  world = await startFeishuWorld()
  ;({ fake, own, stack, push } = world)
})
afterAll(async () => {
  await world?.close()
})

const post = async (path: string, p: FeishuPush) => (await stack.app.request(path, toRequestInit(p))).status

describe('chat customer lookup through signed Feishu callbacks', () => {
  it('`客户 zgyh` in a DM replies with the customer card through the Open API', async () => {
    const lisi = fake.user('lisi')
    const [identity] = await own.database.db
      .select({ userId: userIdentities.userId })
      .from(userIdentities)
      .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, lisi.openId)))
    if (!identity) throw new Error('lisi was not synced')
    await createCustomer({
      ctx: {
        tenantId: stack.tenantId,
        actor: { kind: 'user', userId: identity.userId, via: 'feishu' },
        db: own.database.db,
        clock: systemClock,
        logger: silent,
      },
      input: { name: '中国银行股份有限公司', shortName: '中行' },
    })
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '客户 zgyh' })
    const status = await post(
      '/webhooks/feishu/events',
      await push.messageReceive({
        message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
        text: '客户 zgyh',
        sender: { openId: lisi.openId },
      }),
    )
    expect(status).toBe(200)
    const replies = () =>
      fake.recorder
        .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
        .filter((r) => r.path.includes(msg.messageId) && r.status === 200)
    const [reply] = await waitFor(
      () => (replies().length > 0 ? replies() : null),
      'the customer card reply',
      10_000,
    )
    const body = reply?.body as { msg_type: string; content: string }
    expect(body.msg_type).toBe('interactive')
    expect(body.content).toContain('中国银行股份有限公司')
    expect(body.content).toContain('记拜访')
    expect(body.content).toContain('crm.followup.quick')
  })
})
