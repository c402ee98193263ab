import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureSalesDefaults } from '../../bot/domain/opportunities/stage-sets'
import { runReport } from '../../bot/domain/reports'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import {
  closeReasons,
  contracts,
  customers,
  instalments,
  leadChannels,
  leads,
  opportunities,
  paymentAllocations,
  payments,
  stageHistory,
  stages,
} from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs, uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { dayFromNow } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

let database: Database
let org: SeededOrg
let app: ReturnType<typeof testApp>['app']

const DAY = 86_400_000
const ago = (days: number) => new Date(Date.now() - days * DAY)
const from = dayFromNow(-40)
const to = dayFromNow(-1)
const ids: Record<string, string> = {}
const id = (k: string) => ids[k] ?? ''
const stageId: Record<string, string> = {}

/**
 * A small sales cycle whose figures are computed by hand in each test below. In the period (the last 40
 * days): six leads in two channels (one invalid, two converted, one in the pool) and one older lead; five
 * deals of the default stage set with their stage history — O1 won after 初步接洽 (4 days) → 需求确认 (6) →
 * 方案报价 (10); O2 lost in 需求确认; O3 skipped 需求确认 and is open in 方案报价; O4 open in 初步接洽; O5 lost in
 * 初步接洽 — and one older won deal; three contracts (one a draft) with instalments and payments.
 */
async function seed() {
  const t = org.tenantId
  const db = database.db
  await ensureSalesDefaults(actingAs(database, org, 'wangjianguo', 'miniapp'))
  for (const s of await db.select().from(stages).where(eq(stages.tenantId, t))) stageId[s.name] = s.id
  const reasons = await db.select().from(closeReasons).where(eq(closeReasons.tenantId, t))
  const reason = (name: string) => reasons.find((r) => r.name === name)?.id ?? ''

  for (const [k, name] of [
    ['ch1', '官网'],
    ['ch2', '展会'],
  ] as const) {
    ids[k] = newId('lch')
    await db.insert(leadChannels).values({ id: id(k), tenantId: t, name, intakeKey: newId('ik') })
  }
  for (const [k, owner] of [
    ['c1', 'liuyang'],
    ['c2', 'chenjing'],
    ['c3', 'huangli'],
  ] as const) {
    ids[k] = newId('cus')
    await db.insert(customers).values({
      id: id(k),
      tenantId: t,
      name: `销售报表客户${k}`,
      nameNorm: `销售报表客户${k}`,
      ownerId: uid(org, owner),
      createdAt: ago(50),
    })
  }
  const lead = async (
    k: string,
    owner: string | null,
    channel: string,
    days: number,
    extra: Partial<typeof leads.$inferInsert> = {},
  ) => {
    ids[k] = newId('led')
    await db.insert(leads).values({
      id: id(k),
      tenantId: t,
      name: `线索${k}`,
      ownerId: owner ? uid(org, owner) : null,
      channelId: id(channel),
      createdAt: ago(days),
      ...extra,
    })
  }
  await lead('L1', 'liuyang', 'ch1', 35, { status: 'converted', customerId: id('c1'), convertedAt: ago(31) })
  await lead('L2', 'liuyang', 'ch1', 30, { status: 'invalid', invalidReason: '空号' })
  await lead('L3', 'chenjing', 'ch2', 28, { status: 'converted', customerId: id('c2'), convertedAt: ago(21) })
  await lead('L4', 'huangli', 'ch1', 20)
  await lead('L5', 'liuyang', 'ch2', 15, { status: 'contacted', firstContactedAt: ago(14) })
  await lead('L6', null, 'ch1', 10)
  await lead('L7', 'liuyang', 'ch1', 60) // before the period

  const setId =
    (
      await db
        .select()
        .from(stages)
        .where(eq(stages.id, stageId.初步接洽 ?? ''))
    ).at(0)?.stageSetId ?? ''
  const deal = async (
    k: string,
    o: {
      owner: string
      customer: string
      amount: number
      created: number
      path: Array<[string, number, number | null]>
      status: 'open' | 'won' | 'lost'
      close: string
      probability: number
      reason?: string
      lead?: string
    },
  ) => {
    ids[k] = newId('opp')
    const last = o.path[o.path.length - 1]
    await db.insert(opportunities).values({
      id: id(k),
      tenantId: t,
      name: `商机${k}`,
      customerId: id(o.customer),
      stageSetId: setId,
      stageId: stageId[last?.[0] ?? ''] ?? '',
      status: o.status,
      amountCents: o.amount,
      expectedCloseDate: o.close,
      ownerId: uid(org, o.owner),
      leadId: o.lead ? id(o.lead) : null,
      closeReasonId: o.reason ? reason(o.reason) : null,
      closedAt: o.status === 'open' ? null : ago(last?.[1] ?? 0),
      stageEnteredAt: ago(last?.[1] ?? 0),
      lastActivityAt: ago(last?.[1] ?? 0),
      winProbability: o.probability,
      createdAt: ago(o.created),
    })
    for (const [name, entered, left] of o.path)
      await db.insert(stageHistory).values({
        tenantId: t,
        opportunityId: id(k),
        stageId: stageId[name] ?? '',
        stageName: name,
        enteredAt: ago(entered),
        leftAt: left === null ? null : ago(left),
        amountCents: o.amount,
      })
  }
  await deal('O1', {
    owner: 'liuyang',
    customer: 'c1',
    lead: 'L1',
    amount: 10_000,
    created: 30,
    path: [
      ['初步接洽', 30, 26],
      ['需求确认', 26, 20],
      ['方案报价', 20, 10],
      ['赢单', 10, null],
    ],
    status: 'won',
    reason: '方案匹配',
    close: dayFromNow(5),
    probability: 100,
  })
  await deal('O2', {
    owner: 'chenjing',
    customer: 'c2',
    amount: 20_000,
    created: 25,
    path: [
      ['初步接洽', 25, 23],
      ['需求确认', 23, 15],
      ['输单', 15, null],
    ],
    status: 'lost',
    reason: '价格过高',
    close: dayFromNow(10),
    probability: 0,
  })
  await deal('O3', {
    owner: 'chenjing',
    customer: 'c2',
    lead: 'L3',
    amount: 30_000,
    created: 20,
    path: [
      ['初步接洽', 20, 18],
      ['方案报价', 18, null],
    ],
    status: 'open',
    close: dayFromNow(10),
    probability: 50,
  })
  await deal('O4', {
    owner: 'huangli',
    customer: 'c3',
    amount: 40_000,
    created: 12,
    path: [['初步接洽', 12, null]],
    status: 'open',
    close: dayFromNow(40),
    probability: 10,
  })
  await deal('O5', {
    owner: 'liuyang',
    customer: 'c1',
    amount: 50_000,
    created: 8,
    path: [
      ['初步接洽', 8, 5],
      ['输单', 5, null],
    ],
    status: 'lost',
    reason: '需求取消',
    close: dayFromNow(3),
    probability: 0,
  })
  await deal('O6', {
    owner: 'liuyang',
    customer: 'c1',
    amount: 90_000,
    created: 70,
    path: [
      ['初步接洽', 70, 60],
      ['赢单', 60, null],
    ],
    status: 'won',
    reason: '价格优势',
    close: dayFromNow(-60),
    probability: 100,
  })

  const contract = async (k: string, owner: string, customer: string, status: 'active' | 'draft') => {
    ids[k] = newId('ctr')
    await db.insert(contracts).values({
      id: id(k),
      tenantId: t,
      number: `HT-${k}-${id(k).slice(-6)}`,
      name: `合同${k}`,
      customerId: id(customer),
      ownerId: uid(org, owner),
      amountCents: 100_000,
      status,
    })
  }
  await contract('K1', 'liuyang', 'c1', 'active')
  await contract('K2', 'chenjing', 'c2', 'active')
  await contract('K3', 'liuyang', 'c1', 'draft')
  const plan = async (
    k: string,
    contractKey: string,
    seq: number,
    due: number,
    amount: number,
    got: number,
  ) => {
    ids[k] = newId('ins')
    await db.insert(instalments).values({
      id: id(k),
      tenantId: t,
      contractId: id(contractKey),
      seq,
      dueDate: dayFromNow(due),
      amountCents: amount,
      receivedCents: got,
      createdAt: ago(60),
    })
  }
  await plan('i1', 'K1', 1, -30, 300, 300)
  await plan('i2', 'K1', 2, -10, 300, 100)
  await plan('i3', 'K1', 3, 20, 400, 0)
  await plan('i4', 'K2', 1, -45, 500, 0)
  await plan('i5', 'K2', 2, -5, 200, 0)
  await plan('i6', 'K3', 1, -5, 999, 0) // a draft's plan is not receivable
  const pay = async (
    k: string,
    contractKey: string,
    customer: string,
    day: number,
    amount: number,
    to?: string,
  ) => {
    ids[k] = newId('pay')
    await db.insert(payments).values({
      id: id(k),
      tenantId: t,
      contractId: id(contractKey),
      customerId: id(customer),
      amountCents: amount,
      receivedOn: dayFromNow(day),
      method: 'bank',
    })
    if (to)
      await db
        .insert(paymentAllocations)
        .values({ tenantId: t, paymentId: id(k), instalmentId: id(to), amountCents: amount })
  }
  await pay('P1', 'K1', 'c1', -30, 300, 'i1')
  await pay('P2', 'K1', 'c1', -8, 100, 'i2')
  await pay('P3', 'K2', 'c2', -2, 50) // unplanned
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  app = testApp(database).app
  await seed()
})
afterAll(async () => database?.close())

interface Row {
  key: string | null
  label: string
  values: Record<string, number | null>
}
interface Result {
  rows: Row[]
  totals: Record<string, number | null>
}
async function call(who: string, path: string) {
  const res = await app.request(`/api/v1${path}`, {
    headers: await sessionHeader(org.tenantId, uid(org, who)),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const report = async (who: string, key: string, params: Record<string, string> = {}) => {
  const res = await call(who, `/reports/${key}?${new URLSearchParams({ from, to, ...params })}`)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body as unknown as Result
}
const records = async (who: string, key: string, params: Record<string, string>) => {
  const res = await call(who, `/reports/${key}/records?${new URLSearchParams({ from, to, ...params })}`)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return (res.body as { items: Array<{ id: string; kind: string; link: string | null }> }).items
}
const byLabel = (r: Result) => Object.fromEntries(r.rows.map((row) => [row.label, row.values]))
const byKey = (r: Result) => Object.fromEntries(r.rows.map((row) => [row.key, row.values]))
const F = (
  count: number | null,
  amount: number | null,
  conversion: number | null,
  lost: number | null,
  lostAmount: number | null,
  avgDays: number | null,
) => ({ count, amount, conversion, lost, lostAmount, avgDays })

describe('funnel', () => {
  it('follows leads to customers and deals through every stage to won, lost deals shown where they left', async () => {
    const r = await report('wangjianguo', 'funnel')
    expect(r.rows.map((row) => row.label)).toEqual([
      '线索',
      '转为客户',
      '初步接洽',
      '需求确认',
      '方案报价',
      '谈判审核',
      '赢单',
    ])
    expect(r.rows.map((row) => row.values)).toEqual([
      F(6, null, 33.3, 1, null, null),
      F(2, null, 100, null, null, null),
      F(5, 150_000, 60, 1, 50_000, 2.8),
      F(3, 60_000, 66.7, 1, 20_000, 7),
      F(2, 40_000, 50, 0, 0, 10),
      F(1, 10_000, 100, 0, 0, null),
      F(1, 10_000, null, null, null, 20),
    ])
    expect(r.totals).toEqual(F(5, 150_000, 20, 2, 70_000, 20))
  })

  it('narrows to each caller’s scope: the manager’s team, the rep’s own', async () => {
    const manager = await report('zhangwei', 'funnel')
    expect(manager.rows.map((row) => row.values.count)).toEqual([4, 2, 4, 3, 2, 1, 1])
    const rep = await report('liuyang', 'funnel')
    expect(rep.rows.map((row) => row.values.count)).toEqual([3, 1, 2, 1, 1, 1, 1])
    expect(rep.rows[2]?.values).toEqual(F(2, 60_000, 50, 1, 50_000, 3.5))
    const other = await report('huangli', 'funnel')
    expect(other.rows.map((row) => row.values.count)).toEqual([1, 0, 1, 0, 0, 0, 0])
  })

  it('filters by channel (leads of the channel and the deals converted from them) and by person', async () => {
    const r = await report('wangjianguo', 'funnel', { channelId: id('ch1') })
    expect(r.rows.map((row) => row.values.count)).toEqual([4, 1, 1, 1, 1, 1, 1])
    const chen = await report('wangjianguo', 'funnel', { userId: uid(org, 'chenjing') })
    expect(chen.rows.map((row) => row.values.count)).toEqual([1, 1, 2, 2, 1, 0, 0])
  })

  it('drills to the deals that reached a stage, the deals lost there, and the leads', async () => {
    const reached = await records('wangjianguo', 'funnel', { value: stageId.需求确认 ?? '' })
    expect(reached.map((x) => x.id).sort()).toEqual([id('O1'), id('O2'), id('O3')].sort())
    expect(reached[0]?.link).toMatch(/^\/app\/customers\//)
    const lost = await records('wangjianguo', 'funnel', { value: stageId.初步接洽 ?? '', measure: 'lost' })
    expect(lost.map((x) => x.id)).toEqual([id('O5')])
    const invalid = await records('wangjianguo', 'funnel', { value: 'lead', measure: 'lost' })
    expect(invalid.map((x) => [x.id, x.kind, x.link])).toEqual([[id('L2'), 'lead', null]])
    const repView = await records('liuyang', 'funnel', { value: stageId.需求确认 ?? '' })
    expect(repView.map((x) => x.id)).toEqual([id('O1')])
  })
})

describe('forecast', () => {
  const window = { from: dayFromNow(0), to: dayFromNow(60) }
  it('weights open deals, splits them by category, counts won at full value and never lost deals', async () => {
    const r = await report('wangjianguo', 'forecast', { ...window, dimension: 'owner' })
    expect(r.totals).toEqual({
      deals: 3,
      weighted: 15_000 + 4_000 + 10_000,
      commit: 0,
      bestCase: 30_000,
      pipeline: 40_000,
      won: 10_000,
      amount: 80_000,
    })
    expect(byLabel(r).陈静).toMatchObject({ deals: 1, weighted: 15_000, bestCase: 30_000 })
    expect(byLabel(r).黄丽).toMatchObject({ deals: 1, weighted: 4_000, pipeline: 40_000 })
    const rep = await report('liuyang', 'forecast', window)
    expect(rep.totals).toMatchObject({ deals: 1, won: 10_000, weighted: 10_000 })
  })

  it('groups by expected close month and drills to the deals', async () => {
    const r = await report('zhangwei', 'forecast', window)
    for (const row of r.rows) expect(row.key).toMatch(/^\d{4}-\d{2}$/)
    expect(r.totals.deals).toBe(2)
    const deals = await records('zhangwei', 'forecast', { ...window, measure: 'bestCase' })
    expect(deals.map((d) => d.id)).toEqual([id('O3')])
  })
})

describe('win-loss', () => {
  it('counts the deals closed in the period by reason, with amounts and the win rate', async () => {
    const r = await report('wangjianguo', 'win-loss')
    expect(byLabel(r)).toEqual({
      方案匹配: { won: 1, lost: 0, wonAmount: 10_000, lostAmount: 0, winRate: 100 },
      价格过高: { won: 0, lost: 1, wonAmount: 0, lostAmount: 20_000, winRate: 0 },
      需求取消: { won: 0, lost: 1, wonAmount: 0, lostAmount: 50_000, winRate: 0 },
    })
    expect(r.totals).toEqual({ won: 1, lost: 2, wonAmount: 10_000, lostAmount: 70_000, winRate: 33.3 })
    const rep = await report('liuyang', 'win-loss', { dimension: 'owner' })
    expect(byLabel(rep)).toEqual({
      刘洋: { won: 1, lost: 1, wonAmount: 10_000, lostAmount: 50_000, winRate: 50 },
    })
    expect((await report('huangli', 'win-loss')).rows).toEqual([])
  })
})

describe('channels', () => {
  it('shows which channel converts: leads, stages reached, rate, and the deals won from them', async () => {
    const r = await report('wangjianguo', 'channels')
    expect(byLabel(r)).toEqual({
      官网: {
        leads: 4,
        contacted: 1,
        qualified: 1,
        converted: 1,
        conversionRate: 25,
        invalid: 1,
        deals: 1,
        won: 1,
        wonAmount: 10_000,
      },
      展会: {
        leads: 2,
        contacted: 2,
        qualified: 1,
        converted: 1,
        conversionRate: 50,
        invalid: 0,
        deals: 1,
        won: 0,
        wonAmount: 0,
      },
    })
    expect(r.totals).toMatchObject({ leads: 6, converted: 2, conversionRate: 33.3, deals: 2, won: 1 })
  })

  it('gives the same totals by channel, owner and month — the rows summed, the rate from the sums', async () => {
    for (const who of ['wangjianguo', 'zhangwei', 'liuyang'])
      for (const dimension of ['channel', 'owner', 'month']) {
        const input = { from, to, dimension }
        const ctx = actingAs(database, org, who, 'miniapp')
        const [fast, reference] = await Promise.all([
          runReport({ ctx, key: 'channels', input }),
          runReport({ ctx, key: 'channels', input, reference: true }),
        ])
        expect(fast.totals, `${who} by ${dimension}`).toEqual(reference.totals)
        expect(fast.rows.map((r) => r.values)).toEqual(reference.rows.map((r) => r.values))
        if (who === 'wangjianguo')
          expect(fast.totals, dimension).toMatchObject({ leads: 6, converted: 2, conversionRate: 33.3 })
      }
  })

  it('keeps each caller to their scope and drills to the leads or the deals', async () => {
    const manager = await report('zhangwei', 'channels')
    expect(Object.fromEntries(manager.rows.map((x) => [x.label, x.values.leads]))).toEqual({
      官网: 2,
      展会: 2,
    })
    const rep = await report('liuyang', 'channels')
    expect(Object.fromEntries(rep.rows.map((x) => [x.label, x.values.leads]))).toEqual({ 官网: 2, 展会: 1 })
    const converted = await records('wangjianguo', 'channels', { value: id('ch1'), measure: 'converted' })
    expect(converted.map((x) => [x.id, x.link])).toEqual([[id('L1'), `/app/customers/${id('c1')}`]])
    const won = await records('wangjianguo', 'channels', { value: id('ch1'), measure: 'won' })
    expect(won.map((x) => x.id)).toEqual([id('O1')])
  })
})

describe('receivables', () => {
  it('sets planned against received per owner, with open and overdue money, drafts left out', async () => {
    const r = await report('wangjianguo', 'receivables', { dimension: 'owner' })
    expect(byLabel(r)).toEqual({
      刘洋: { planned: 600, plannedReceived: 400, rate: 66.7, outstanding: 200, overdue: 200, received: 400 },
      陈静: { planned: 200, plannedReceived: 0, rate: 0, outstanding: 200, overdue: 200, received: 50 },
    })
    expect(r.totals).toEqual({
      planned: 800,
      plannedReceived: 400,
      rate: 50,
      outstanding: 400,
      overdue: 400,
      received: 450,
    })
    const rep = await report('liuyang', 'receivables', { dimension: 'owner' })
    expect(Object.keys(byLabel(rep))).toEqual(['刘洋'])
    const overdue = await records('wangjianguo', 'receivables', { measure: 'overdue' })
    expect(overdue.map((x) => x.id)).toEqual([id('i2'), id('i5')])
    const received = await records('liuyang', 'receivables', { measure: 'received' })
    expect(received.map((x) => [x.id, x.kind])).toEqual([
      [id('P2'), 'payment'],
      [id('P1'), 'payment'],
    ])
  })

  it('ages what is open today, and what was open on a past day from the payments made by then', async () => {
    const today = await report('wangjianguo', 'receivables-ageing', { to: dayFromNow(0) })
    expect(today.rows.map((x) => x.key)).toEqual(['current', 'd30', 'd60', 'd90', 'd90plus'])
    expect(byKey(today)).toEqual({
      current: { outstanding: 400, overdue: 0, instalments: 1 },
      d30: { outstanding: 400, overdue: 400, instalments: 2 },
      d60: { outstanding: 500, overdue: 500, instalments: 1 },
      d90: { outstanding: 0, overdue: 0, instalments: 0 },
      d90plus: { outstanding: 0, overdue: 0, instalments: 0 },
    })
    expect(today.totals).toEqual({ outstanding: 1300, overdue: 900, instalments: 4 })
    const list = await records('wangjianguo', 'receivables-ageing', { to: dayFromNow(0), value: 'd30' })
    expect(list.map((x) => x.id)).toEqual([id('i2'), id('i5')])
    const past = await report('wangjianguo', 'receivables-ageing', { to: dayFromNow(-20) })
    expect(byKey(past).current).toEqual({ outstanding: 900, overdue: 0, instalments: 3 })
    expect(byKey(past).d30).toEqual({ outstanding: 500, overdue: 500, instalments: 1 })
    const rep = await report('chenjing', 'receivables-ageing', { to: dayFromNow(0) })
    expect(rep.totals).toEqual({ outstanding: 700, overdue: 700, instalments: 2 })
  })
})

describe('bad input on the sales reports', () => {
  it('refuses a channel filter on a report without one, naming the field', async () => {
    const res = await call(
      'wangjianguo',
      `/reports/win-loss?${new URLSearchParams({ from, to, channelId: 'x' })}`,
    )
    expect(res.status).toBe(400)
    expect((res.body as { error: { field: string } }).error.field).toBe('channelId')
  })

  it('lists the new reports in the catalogue', async () => {
    const res = await call('liuyang', '/reports')
    const keys = (res.body as { items: Array<{ key: string }> }).items.map((x) => x.key)
    for (const k of ['funnel', 'forecast', 'receivables', 'receivables-ageing', 'channels', 'win-loss'])
      expect(keys).toContain(k)
  })
})
