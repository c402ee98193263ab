import { and, eq, gte, inArray, lte, ne, type SQL, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import { loadCrmAccess } from '../../bot/domain/crm/access'
import { getForecast, listStageSets } from '../../bot/domain/opportunities'
import { visibleOpportunities } from '../../bot/domain/opportunities/access'
import type { ForecastInput } from '../../bot/domain/opportunities/schemas'
import { runReport } from '../../bot/domain/reports'
import type { Database } from '../../db/client'
import { departments, opportunities, stages, users } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, fixedClock } from './crm-harness'

/*
 * The forecast reads a rollup kept by triggers on sales_opportunities. After rounds of random writes by
 * plain SQL (inserts, updates of every column the rollup keys or sums on, deletes, several rows per
 * statement), the rollup equals the grouping of the deals, and the forecast equals the same figures
 * computed from the deals themselves, for callers of every scope (including deals seen only as a team
 * member) and every grouping and filter.
 */
let database: Database
let org: CrmTenant
const now = new Date('2026-06-10T04:00:00Z')
const clock = fixedClock(now)
const as = (key: string) => ctxAs(database, org, key, clock)
const run = (q: SQL) => database.rows<Record<string, unknown>>(q)

/** mulberry32: the same writes on every run. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The forecast grouped from the deals directly (no rollup): what the rollup must reproduce. */
async function rawForecast(ctx: ServiceContext, input: ForecastInput) {
  const a = await loadCrmAccess(ctx)
  const f = await getForecast({ ctx, input })
  const conds: SQL[] = [
    visibleOpportunities(ctx, a),
    ne(opportunities.status, 'lost'),
    gte(opportunities.expectedCloseDate, f.from),
    lte(opportunities.expectedCloseDate, f.to),
  ]
  if (input.ownerId) conds.push(eq(opportunities.ownerId, input.ownerId))
  if (input.departmentId)
    conds.push(
      inArray(
        opportunities.ownerId,
        sql`(select u.id from users u join departments d on d.id = u.department_id
             where u.tenant_id = ${ctx.tenantId} and d.path like (
               select path || '%' from departments where id = ${input.departmentId}))`,
      ),
    )
  const groupBy = input.groupBy ?? 'month'
  const key =
    groupBy === 'month'
      ? sql<string>`to_char(${opportunities.expectedCloseDate}, 'YYYY-MM')`
      : groupBy === 'owner'
        ? sql<string>`${opportunities.ownerId}`
        : sql<string>`coalesce(${users.departmentId}, '')`
  const cat = (c: string) =>
    sql<string>`coalesce(sum(${opportunities.amountCents}) filter (where ${opportunities.status} = 'open' and ${stages.forecastCategory} = ${c}), 0)`
  const rows = await ctx.db
    .select({
      key,
      label:
        groupBy === 'month'
          ? key
          : sql<string>`coalesce(max(${groupBy === 'owner' ? users.name : departments.name}), '')`,
      count: sql<number>`count(*)::int`,
      amountCents: sql<string>`sum(${opportunities.amountCents})`,
      weightedCents: sql<string>`sum(round(${opportunities.amountCents} * ${opportunities.winProbability} / 100.0))`,
      commitCents: cat('commit'),
      bestCaseCents: cat('best_case'),
      pipelineCents: cat('pipeline'),
      wonCents: sql<string>`coalesce(sum(${opportunities.amountCents}) filter (where ${opportunities.status} = 'won'), 0)`,
    })
    .from(opportunities)
    .innerJoin(stages, eq(stages.id, opportunities.stageId))
    .leftJoin(users, and(eq(users.tenantId, opportunities.tenantId), eq(users.id, opportunities.ownerId)))
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(and(...conds))
    .groupBy(key)
    .orderBy(key)
  const num = (v: unknown) => Number(v)
  return {
    got: f.rows,
    want: rows.map((r) => ({
      ...r,
      amountCents: num(r.amountCents),
      weightedCents: num(r.weightedCents),
      commitCents: num(r.commitCents),
      bestCaseCents: num(r.bestCaseCents),
      pipelineCents: num(r.pipelineCents),
      wonCents: num(r.wonCents),
    })),
  }
}

const rollupDiff = (t: string) =>
  run(sql`
    with want as (
      select owner_id, expected_close_date as close_date, stage_id, status, count(*)::int as deals,
        sum(amount_cents)::bigint as amount_cents, sum(round(amount_cents * win_probability / 100.0))::bigint as weighted_cents
      from sales_opportunities where tenant_id = ${t} and status <> 'lost' and expected_close_date is not null
      group by 1, 2, 3, 4),
    got as (
      select owner_id, close_date, stage_id, status, deals, amount_cents, weighted_cents
      from sales_forecast_daily where tenant_id = ${t})
    (select 'missing' as side, * from (select * from want except all select * from got) a)
    union all
    (select 'extra', * from (select * from got except all select * from want) b)`)

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  await listStageSets({ ctx: as('wangjianguo') })
  await run(sql`insert into crm_customers (id, tenant_id, name, name_norm, search_text, owner_id)
    values ('cus_fr', ${org.tenantId}, '预测卷积客户', '预测卷积客户', '预测卷积客户', ${org.users.liuyang})`)
})
afterAll(async () => database?.close())

describe('forecast rollup', () => {
  it('equals the deals grouped, and the forecast equals the raw computation, after random writes', async () => {
    const t = org.tenantId
    const rand = prng(20261203)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
    const stageRows = await run(sql`select id, kind from sales_stages where tenant_id = ${t}`)
    const stageIds = stageRows.map((s) => s.id as string)
    const owners = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin', 'sunyue'].map(
      (k) => org.users[k] as string,
    )
    const statuses = ['open', 'open', 'won', 'lost'] as const
    const date = () =>
      rand() < 0.1
        ? null
        : new Date(Date.UTC(2026, 4, 1) + Math.floor(rand() * 300) * 86_400_000).toISOString().slice(0, 10)
    const team = () => JSON.stringify(rand() < 0.3 ? [pick(owners)] : [])
    let n = 0
    const insert = async (count: number) => {
      const values = Array.from({ length: count }, () => {
        n++
        const stage = pick(stageIds)
        return sql`(${`opp_fr${n}`}, ${t}, ${`卷积${n}`}, 'cus_fr', (select stage_set_id from sales_stages where id = ${stage}),
          ${stage}, ${pick(statuses)}, ${Math.floor(rand() * 1000) * 1001}, ${date()}::date, ${pick(owners)},
          ${team()}::jsonb, now(), now(), ${Math.floor(rand() * 101)})`
      })
      await run(sql`insert into sales_opportunities (id, tenant_id, name, customer_id, stage_set_id, stage_id, status,
          amount_cents, expected_close_date, owner_id, team_ids, stage_entered_at, last_activity_at, win_probability)
        values ${sql.join(values, sql`, `)}`)
    }
    const someIds = () =>
      Array.from({ length: 1 + Math.floor(rand() * 6) }, () => `opp_fr${1 + Math.floor(rand() * n)}`)
    const writes: Array<() => Promise<unknown>> = [
      () => insert(1 + Math.floor(rand() * 8)),
      () =>
        run(
          sql`update sales_opportunities set owner_id = ${pick(owners)} where tenant_id = ${t} and id in ${someIds()}`,
        ),
      () =>
        run(
          sql`update sales_opportunities set stage_id = ${pick(stageIds)} where tenant_id = ${t} and id in ${someIds()}`,
        ),
      () =>
        run(
          sql`update sales_opportunities set status = ${pick(statuses)} where tenant_id = ${t} and id in ${someIds()}`,
        ),
      () =>
        run(sql`update sales_opportunities set amount_cents = amount_cents + ${Math.floor(rand() * 20000) - 10000}
          where tenant_id = ${t} and id in ${someIds()}`),
      () =>
        run(sql`update sales_opportunities set win_probability = ${Math.floor(rand() * 101)}
          where tenant_id = ${t} and id in ${someIds()}`),
      () =>
        run(
          sql`update sales_opportunities set expected_close_date = ${date()}::date where tenant_id = ${t} and id in ${someIds()}`,
        ),
      () =>
        run(
          sql`update sales_opportunities set team_ids = ${team()}::jsonb where tenant_id = ${t} and id in ${someIds()}`,
        ),
      // An edit the rollup does not sum on: nets to nothing.
      () =>
        run(
          sql`update sales_opportunities set version = version + 1 where tenant_id = ${t} and id in ${someIds()}`,
        ),
      () => run(sql`delete from sales_opportunities where tenant_id = ${t} and id in ${someIds()}`),
    ]
    await insert(60)
    const callers = ['wangjianguo', 'liming', 'zhangwei', 'liuyang', 'huangli']
    const inputs: ForecastInput[] = [
      {},
      { groupBy: 'owner' },
      { groupBy: 'department' },
      { departmentId: org.departments.sales_north },
      { groupBy: 'owner', departmentId: org.departments.sales },
      { ownerId: org.users.chenjing },
      { from: '2026-05-01', to: '2027-03-31' },
    ]
    const reportInputs = [
      { from: '2026-05-01', to: '2027-02-28', dimension: 'month' },
      { from: '2026-05-01', to: '2027-02-28', dimension: 'owner' },
      { from: '2026-07-01', to: '2026-09-30', dimension: 'stage' },
      { from: '2026-05-01', to: '2027-02-28', departmentId: org.departments.sales_north, includeSub: true },
      { from: '2026-06-01', to: '2026-06-30', userId: org.users.chenjing, dimension: 'stage' },
    ]
    let teamRounds = 0
    let reportRows = 0
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 25; i++) await (pick(writes) as () => Promise<unknown>)()
      expect(await rollupDiff(t)).toEqual([])
      for (const key of callers)
        for (const input of inputs) {
          const { got, want } = await rawForecast(as(key), input)
          expect(got, `${key} ${JSON.stringify(input)} round ${round}`).toEqual(want)
        }
      // The forecast report reads the same rollup: equal to its GROUP BY over the deals (the reference).
      for (const key of callers)
        for (const input of reportInputs) {
          const ctx = as(key)
          const [fast, raw] = await Promise.all([
            runReport({ ctx, key: 'forecast', input }),
            runReport({ ctx, key: 'forecast', input, reference: true }),
          ])
          expect(fast, `report ${key} ${JSON.stringify(input)} round ${round}`).toEqual(raw)
          if (fast.rows.length > 0) reportRows++
        }
      // Deals liuyang (scope: self) sees only as a team member, in the default window.
      const [teamOnly] = await run(sql`select count(*)::int as n from sales_opportunities
        where tenant_id = ${t} and team_ids @> ${JSON.stringify([org.users.liuyang])}::jsonb and owner_id <> ${org.users.liuyang}
          and status <> 'lost' and expected_close_date between '2026-06-01' and '2026-11-30'`)
      if (Number(teamOnly?.n ?? 0) > 0) teamRounds++
    }
    expect(teamRounds).toBeGreaterThan(0)
    expect(reportRows).toBeGreaterThan(60)
    const [zero] = await run(
      sql`select count(*)::int as n from sales_forecast_daily where tenant_id = ${t} and deals = 0`,
    )
    expect(zero?.n).toBe(0)
    await run(sql`delete from sales_opportunities where tenant_id = ${t}`)
    const [left] = await run(sql`select count(*)::int as n from sales_forecast_daily where tenant_id = ${t}`)
    expect(left?.n).toBe(0)
  })
})
