import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import { listStageSets, refreshWinProbabilities } from '../../bot/domain/opportunities'
import {
  type ClosedDeal,
  type StoredWinModel,
  storeWinModel,
  trainWinModel,
} from '../../bot/domain/opportunities/win-model'
import type { Database } from '../../db/client'
import { opportunities, stageHistory, stages } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, fixedClock, systemCtx } from './crm-harness'

/*
 * The nightly refresh counts its training data in SQL. These tests seed a closed history with every case
 * the counting distinguishes (several open stages reached, a stage reached twice, closing stages in the
 * history, no history at all, a last stage left or not, band boundaries of age and amount, no channel, an
 * empty channel, competitors, slips) and compare the stored model with what the earlier computation in
 * this process (every closed deal and its history read here, then `trainWinModel`) makes of the same data.
 */
let database: Database
let org: CrmTenant
const now = new Date('2026-06-15T04:00:00.000Z')
const DAY_MS = 86_400_000
const sys = () => systemCtx(database, org, fixedClock(now))
const run = (q: ReturnType<typeof sql>) => database.rows<Record<string, unknown>>(q)

/** The training data as the refresh read it before (kept here as the reference). */
async function closedDealsInMemory(ctx: ServiceContext): Promise<ClosedDeal[]> {
  const t = ctx.tenantId
  const stageRows = await ctx.db
    .select({ id: stages.id, kind: stages.kind })
    .from(stages)
    .where(eq(stages.tenantId, t))
  const openStages = new Set(stageRows.filter((s) => s.kind === 'open').map((s) => s.id))
  const closedRows = await ctx.db
    .select()
    .from(opportunities)
    .where(and(eq(opportunities.tenantId, t), inArray(opportunities.status, ['won', 'lost'])))
    .orderBy(desc(opportunities.closedAt))
    .limit(20_000)
  const ids = closedRows.map((r) => r.id)
  const rows = ids.length
    ? await ctx.db
        .select()
        .from(stageHistory)
        .where(and(eq(stageHistory.tenantId, t), inArray(stageHistory.opportunityId, ids)))
        .orderBy(asc(stageHistory.enteredAt), asc(stageHistory.id))
    : []
  const visits = new Map<string, typeof rows>()
  for (const r of rows) {
    if (!openStages.has(r.stageId)) continue
    visits.set(r.opportunityId, [...(visits.get(r.opportunityId) ?? []), r])
  }
  return closedRows.map((r) => {
    const v = visits.get(r.id) ?? []
    const last = v[v.length - 1]
    const end = last?.leftAt ?? r.closedAt ?? r.updatedAt
    return {
      won: r.status === 'won',
      stages: v.map((x) => x.stageId),
      stageAgeDays: last ? Math.max(0, (end.getTime() - last.enteredAt.getTime()) / DAY_MS) : 0,
      amountCents: r.amountCents,
      channel: r.channel,
      hasCompetitor: r.competitors.length > 0,
      closeDateSlips: r.closeDateSlips,
    }
  })
}

const sorted = (m: StoredWinModel) => ({
  wonTotal: m.wonTotal,
  lostTotal: m.lostTotal,
  counts: [...m.counts].sort((a, b) => `${a[0]}\u0000${a[1]}`.localeCompare(`${b[0]}\u0000${b[1]}`)),
})

async function storedModel(): Promise<StoredWinModel | null> {
  const [row] = await run(sql`select model from sales_win_models where tenant_id = ${org.tenantId}`)
  return (row?.model as StoredWinModel | undefined) ?? null
}

let open: string[] = []
let closing: string[] = []

/** Closed deals `from`..`to` (ids opp_w<g>), each with a stage history drawn from `g`. */
async function seedClosed(from: number, to: number) {
  const t = org.tenantId
  const owner = org.users.liuyang as string
  const deals: Array<Record<string, unknown>> = []
  const history: Array<Record<string, unknown>> = []
  const ages = [0.5, 6.99, 7.01, 29.99, 30.01, 89.99, 90.01, 200]
  const amounts = [999_999, 1_000_000, 9_999_999, 10_000_000, 99_999_999, 100_000_000, 0]
  const channels = ['展会', null, '官网', '', '转介绍']
  for (let g = from; g <= to; g++) {
    const won = g % 3 !== 0 && (g % 5 !== 1 || g % 2 === 0)
    const closedAt = new Date(now.getTime() - (g % 40) * DAY_MS - g * 1000)
    const id = `opp_w${g}`
    deals.push({
      id,
      stage: closing[won ? 0 : 1] ?? closing[0],
      status: won ? 'won' : 'lost',
      amount: amounts[g % amounts.length],
      channel: channels[g % channels.length],
      competitors: g % 4 === 0 ? ['泛微', '致远'] : [],
      slips: g % 5,
      closedAt: g % 17 === 0 ? null : closedAt.toISOString(),
    })
    // 0-3 open stages reached (one of them twice for g % 7 = 0); the last left at closing or not at all.
    const reached = g % 4
    let at =
      closedAt.getTime() - (ages[Math.floor(g / 4) % ages.length] as number) * DAY_MS - reached * 5 * DAY_MS
    for (let k = 0; k < reached; k++) {
      const stage = open[(g + k) % open.length] as string
      const last = k === reached - 1
      const enteredAt = last
        ? closedAt.getTime() - (ages[Math.floor(g / 4) % ages.length] as number) * DAY_MS
        : at
      history.push({
        opp: id,
        stage,
        enteredAt: new Date(enteredAt).toISOString(),
        leftAt: last
          ? g % 2
            ? closedAt.toISOString()
            : null
          : new Date(enteredAt + 5 * DAY_MS).toISOString(),
      })
      if (g % 7 === 0 && k === 0)
        history.push({
          opp: id,
          stage,
          enteredAt: new Date(enteredAt + DAY_MS).toISOString(),
          leftAt: new Date(enteredAt + 2 * DAY_MS).toISOString(),
        })
      at += 5 * DAY_MS
    }
    // The closing stage itself is in the history too (it is not an open stage: not counted).
    if (reached > 0)
      history.push({
        opp: id,
        stage: deals[deals.length - 1]?.stage,
        enteredAt: closedAt.toISOString(),
        leftAt: null,
      })
  }
  await run(sql`insert into sales_opportunities (id, tenant_id, name, customer_id, stage_set_id, stage_id, status,
      amount_cents, channel, competitors, close_date_slips, owner_id, stage_entered_at, last_activity_at, closed_at,
      updated_at)
    select d.id, ${t}, d.id, 'cus_w', (select stage_set_id from sales_stages where id = d.stage), d.stage, d.status,
      d.amount, d.channel, d.competitors, d.slips, ${owner}, ${now.toISOString()}::timestamptz,
      ${now.toISOString()}::timestamptz, d."closedAt", ${new Date(now.getTime() - 3 * DAY_MS).toISOString()}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(deals)}::jsonb) as d(id text, stage text, status text, amount bigint,
      channel text, competitors jsonb, slips int, "closedAt" timestamptz)`)
  await run(sql`insert into sales_stage_history (tenant_id, opportunity_id, stage_id, stage_name, entered_at, left_at,
      amount_cents)
    select ${t}, h.opp, h.stage, h.stage, h."enteredAt", h."leftAt", 0
    from jsonb_to_recordset(${JSON.stringify(history)}::jsonb) as h(opp text, stage text, "enteredAt" timestamptz,
      "leftAt" timestamptz)`)
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  await listStageSets({ ctx: sys() })
  const stageRows = await run(
    sql`select id, kind from sales_stages where tenant_id = ${org.tenantId} order by sort_order`,
  )
  open = stageRows.filter((s) => s.kind === 'open').map((s) => s.id as string)
  closing = [
    ...stageRows.filter((s) => s.kind === 'won').map((s) => s.id as string),
    ...stageRows.filter((s) => s.kind === 'lost').map((s) => s.id as string),
  ]
  await run(sql`insert into crm_customers (id, tenant_id, name, name_norm, search_text, owner_id)
    values ('cus_w', ${org.tenantId}, '训练客户', '训练客户', '训练客户', ${org.users.liuyang as string})`)
})

afterAll(async () => {
  await database?.close()
})

describe('win-model training counted in SQL', () => {
  it('below the minimum history: no model, as in memory', async () => {
    await seedClosed(1, 20)
    expect(trainWinModel(await closedDealsInMemory(sys()))).toBeNull()
    const res = await refreshWinProbabilities({ ctx: sys() })
    expect(res).toMatchObject({ learned: false, closed: 20 })
    expect(await storedModel()).toBeNull()
  })

  it('the stored model equals the in-memory training on the same closed deals', async () => {
    await seedClosed(21, 240)
    const reference = trainWinModel(await closedDealsInMemory(sys()))
    expect(reference).not.toBeNull()
    const res = await refreshWinProbabilities({ ctx: sys() })
    expect(res).toMatchObject({ learned: true, closed: 240 })
    const stored = await storedModel()
    expect(stored).not.toBeNull()
    const want = sorted(storeWinModel(reference as NonNullable<typeof reference>))
    expect(sorted(stored as StoredWinModel)).toEqual(want)
    // Every variable is in it, with more than one value each (the seed reaches every band).
    for (const v of ['stage', 'stage_age', 'amount', 'channel', 'competitor', 'slips'])
      expect(want.counts.filter((c) => c[0] === v).length).toBeGreaterThan(1)
    expect(want.counts.filter((c) => c[0] === 'stage_age').map((c) => c[1])).toHaveLength(4)
  })
})
