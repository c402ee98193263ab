import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemContext, userContext } from '../../bot/domain/context'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { runDigests } from '../../bot/domain/reports'
import { systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import { addDays, zonedDayStart } from '../../bot/lib/zoned'
import { roles, userIdentities, userRoles, visits } from '../../db/schema'
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
async function replyTo(user: string, text: string) {
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
  return reply?.body as { msg_type: string; content: string }
}

/** The card the bot answers `text` with. */
async function ask(user: string, text: string) {
  const body = await replyTo(user, text)
  expect(body.msg_type).toBe('interactive')
  return JSON.parse(body.content) as { body: { elements: Array<Record<string, unknown>> } }
}

type ChartEl = {
  tag: string
  chart_spec: { type: string; data: { values: Array<{ label: string; value: number }> }; title?: unknown }
}
const chartsOf = (card: { body: { elements: Array<Record<string, unknown>> } }) =>
  card.body.elements.filter((e) => e.tag === 'chart') as unknown as ChartEl[]

/** The person's id in the tenant, from the synced directory. */
async function userIdOf(handle: string): Promise<string> {
  const { fake, own, stack } = world
  const [identity] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(
      and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, fake.user(handle).openId)),
    )
  if (!identity) throw new Error(`${handle} was not synced`)
  return identity.userId
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

describe('digests through signed Feishu callbacks and the Feishu double', () => {
  const HOUR = 3_600_000
  /** A Monday weeks away from the real date, and `hh:mm` on it (or a later day) in China time. */
  const monday = (() => {
    const d = new Date(Date.now() + 28 * 86_400_000)
    return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10)
  })()
  const at = (day: string, h: number, m = 0) =>
    new Date(zonedDayStart(day, 'Asia/Shanghai').getTime() + h * HOUR + m * 60_000)
  const scanAt = (now: Date) =>
    runDigests({
      ctx: systemContext(
        { db: world.own.database.db, clock: { now: () => now }, logger: silent },
        { tenantId: world.stack.tenantId, reason: 'test' },
      ),
    })
  const cardsTo = (handle: string, since: number) =>
    world.fake.recorder
      .messagesTo(world.fake.user(handle).openId)
      .filter((m) => m.createTime >= since && m.msgType === 'interactive')
      .map((m) => JSON.parse(m.originalContent) as { body: { elements: Array<Record<string, unknown>> } })

  it('「业绩」 from a sales director answers with the team digest: charts inside the card as VChart specs', async () => {
    const { own, stack } = world
    const ctx = userContext(
      { db: own.database.db, clock: systemClock, logger: silent },
      { tenantId: stack.tenantId, userId: await userIdOf('hemei'), via: 'feishu' },
    )
    await createCustomer({ ctx, input: { name: '业绩卡片客户有限公司' } })
    // 孙七 manages sales (a 销售经理 role: the department tree, team reports).
    const roleId = newId('rol')
    await own.database.db.insert(roles).values({
      id: roleId,
      tenantId: stack.tenantId,
      key: 'sales_manager',
      name: '销售经理',
      dataScope: 'department_tree',
      permissions: ['reports.view.team'],
    })
    await own.database.db
      .insert(userRoles)
      .values({ tenantId: stack.tenantId, userId: await userIdOf('sunqi'), roleId })
    const card = await ask('sunqi', '业绩')
    expect(JSON.stringify(card)).toContain('团队业绩')
    const charts = chartsOf(card)
    expect(charts.length).toBeGreaterThanOrEqual(3)
    expect(charts.length).toBeLessThanOrEqual(5)
    const ranking = charts[0]
    expect(ranking?.chart_spec.type).toBe('bar')
    expect(ranking?.chart_spec.data.values.map((v) => v.label)).toContain('何梅')
    const funnel = charts.at(-1)
    expect(funnel?.chart_spec.data.values.map((v) => v.label).slice(0, 2)).toEqual(['线索', '转为客户'])
  })

  it('sends the Monday digests by the scheduled scan, and 「简报 关闭」 stops a person’s brief', async () => {
    const { own, stack } = world
    const hemei = await userIdOf('hemei')
    const ctx = userContext(
      { db: own.database.db, clock: systemClock, logger: silent },
      { tenantId: stack.tenantId, userId: hemei, via: 'feishu' },
    )
    const { id: customerId } = await createCustomer({ ctx, input: { name: '晨报拜访客户有限公司' } })
    for (const day of [monday, addDays(monday, 1)])
      await own.database.db.insert(visits).values({
        id: newId('vis'),
        tenantId: stack.tenantId,
        customerId,
        userId: hemei,
        plannedAt: at(day, 10),
      })
    const since = Date.now()
    const sent = await scanAt(at(monday, 9, 1))
    expect(sent.morning).toBeGreaterThanOrEqual(1)
    expect(sent.weekly).toBeGreaterThanOrEqual(1)
    await stack.settle()
    const [brief] = await waitFor(() => {
      const c = cardsTo('hemei', since)
      return c.length > 0 ? c : null
    }, 'the morning brief to 何梅')
    expect(JSON.stringify(brief)).toContain('晨报拜访客户有限公司')
    const briefChart = chartsOf(brief as { body: { elements: Array<Record<string, unknown>> } })[0]
    expect(briefChart?.chart_spec.data.values.find((v) => v.label === '今日拜访')?.value).toBe(1)
    const [digest] = await waitFor(() => {
      const c = cardsTo('sunqi', since)
      return c.length > 0 ? c : null
    }, 'the team digest to 孙七')
    expect(
      chartsOf(digest as { body: { elements: Array<Record<string, unknown>> } }).length,
    ).toBeGreaterThanOrEqual(2)
    expect(JSON.stringify(digest)).toContain('团队业绩')

    const off = await replyTo('hemei', '简报 关闭')
    expect(off.msg_type).toBe('text')
    expect(off.content).toContain('已关闭晨报')
    const later = Date.now()
    await scanAt(at(addDays(monday, 1), 8, 45))
    await stack.settle()
    expect(cardsTo('hemei', later)).toHaveLength(0)
  })
})
