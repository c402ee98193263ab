import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { systemClock } from '../../bot/lib/clock'
import { userIdentities } from '../../db/schema'
import { type FeishuPush, toRequestInit } from '../fakes/feishu'
import { type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'
import { silent } from './crm-harness'

let world: FeishuWorld

beforeAll(async () => {
  world = await startFeishuWorld()
})
afterAll(async () => {
  await world?.close()
})

const post = async (path: string, p: FeishuPush) =>
  (await world.stack.app.request(path, toRequestInit(p))).status

/** Sends `text` as a DM from `user` through a signed, encrypted callback and returns the bot's reply body. */
async function ask(user: string, text: string) {
  const { fake, push } = world
  const sender = fake.user(user)
  const msg = fake.controls.addUserMessage({ senderUserId: user, text })
  const status = await post(
    '/webhooks/feishu/events',
    await push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text,
      sender: { openId: sender.openId },
    }),
  )
  expect(status).toBe(200)
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
  expect(body.msg_type).toBe('interactive')
  return JSON.parse(body.content) as { body: { elements: Array<Record<string, unknown>> } }
}

describe('reports in chat through signed Feishu callbacks', () => {
  it('`报表 新增客户` answers with this month’s figures and a chart drawn inside the card', async () => {
    const { fake, own, stack } = world
    const lisi = fake.user('lisi')
    const [identity] = await own.database.db
      .select({ userId: userIdentities.userId })
      .from(userIdentities)
      .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, lisi.openId)))
    if (!identity) throw new Error('lisi was not synced')
    const ctx = {
      tenantId: stack.tenantId,
      actor: { kind: 'user' as const, userId: identity.userId, via: 'feishu' as const },
      db: own.database.db,
      clock: systemClock,
      logger: silent,
    }
    await createCustomer({ ctx, input: { name: '报表测试一号有限公司' } })
    await createCustomer({ ctx, input: { name: '报表测试二号有限公司' } })
    const card = await ask('lisi', '报表 新增客户')
    const chart = card.body.elements.find((e) => e.tag === 'chart') as
      | {
          chart_spec: {
            type: string
            data: { values: Array<{ label: string; value: number }> }
            xField: string
            yField: string
          }
        }
      | undefined
    expect(chart?.chart_spec.type).toBe('line')
    expect(chart?.chart_spec.xField).toBe('label')
    expect(chart?.chart_spec.yField).toBe('value')
    const total = chart?.chart_spec.data.values.reduce((s, v) => s + v.value, 0)
    expect(total).toBe(2)
    const links = decodeURIComponent(JSON.stringify(card))
    expect(links).toContain('path=/reports')
    expect(links).toContain('r=customers-new')
  })

  it('「漏斗」 answers with the funnel card: steps in order as a chart inside the card', async () => {
    const card = await ask('lisi', '漏斗')
    const text = JSON.stringify(card)
    expect(text).toContain('销售漏斗')
    const chart = card.body.elements.find((e) => e.tag === 'chart') as
      | { chart_spec: { data: { values: Array<{ label: string }> } } }
      | undefined
    const labels = chart?.chart_spec.data.values.map((v) => v.label) ?? []
    expect(labels.slice(0, 3)).toEqual(['线索', '转为客户', '初步接洽'])
    expect(decodeURIComponent(text)).toContain('r=funnel')
  })

  it('`报表` alone lists the reports as buttons', async () => {
    const card = await ask('lisi', '报表')
    const text = JSON.stringify(card)
    for (const title of ['新增客户', '客户分布', '跟进与拜访', '审批统计', '目标完成'])
      expect(text).toContain(title)
    expect(text).toContain('report.show')
  })
})
