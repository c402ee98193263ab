import { and, eq, gte, inArray, lte, ne, not, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { departments, forecastDaily, opportunities, stages, users } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import { resultRows } from '../../lib/sql-rows'
import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess } from '../crm/access'
import { InvalidInputError } from '../errors'
import { scopeFilter } from '../org/data-scope'
import { type ForecastInput, forecastInput, parseInput } from './schemas'

export interface ForecastRow {
  key: string
  label: string
  count: number
  amountCents: number
  /** Σ amount × win probability. */
  weightedCents: number
  /** Open deals by their stage's forecast category, and deals already won. */
  commitCents: number
  bestCaseCents: number
  pipelineCents: number
  wonCents: number
}

export interface Forecast {
  groupBy: 'month' | 'owner' | 'department'
  from: string
  to: string
  rows: ForecastRow[]
  total: Omit<ForecastRow, 'key' | 'label'>
}

const monthStart = (d: Date, addMonths = 0): string => {
  const c = new Date(d.getTime() + 8 * 3600_000)
  return new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth() + addMonths, 1)).toISOString().slice(0, 10)
}

/**
 * The forecast's facts from its rollup (`sales_forecast_daily`): the deals that are not lost with an expected
 * close day in `[from, to]`, summed per owner, close day, stage and status, as rows of `owner_id`,
 * `close_date`, `stage_id`, `status` (open or won), `deals`, `amount_cents` and `weighted_cents`
 * (Σ round(amount × win probability / 100)). `where` narrows by owner (scope, filters) on
 * `forecastDaily.ownerId`. The sales forecast and the forecast report both read it.
 */
export const forecastFacts = (ctx: ServiceContext, days: { from: string; to: string }, where: SQL[]): SQL =>
  sql`select ${forecastDaily.ownerId} as owner_id, ${forecastDaily.closeDate} as close_date,
      ${forecastDaily.stageId} as stage_id, ${forecastDaily.status} as status, ${forecastDaily.deals} as deals,
      ${forecastDaily.amountCents} as amount_cents, ${forecastDaily.weightedCents} as weighted_cents
    from ${forecastDaily}
    where ${and(
      eq(forecastDaily.tenantId, ctx.tenantId),
      gte(forecastDaily.closeDate, days.from),
      lte(forecastDaily.closeDate, days.to),
      ...where,
    )}`

/**
 * The weighted pipeline of the deals in the caller's scope with an expected close in the period, by month,
 * owner or the owner's department: amount × win probability, and the amounts by forecast category (commit,
 * best case, pipeline) plus won. Lost deals are excluded. Read from the rollup `sales_forecast_daily`.
 */
export async function getForecast({
  ctx,
  input = {},
  access,
}: {
  ctx: ServiceContext
  input?: ForecastInput
  access?: CrmAccess
}): Promise<Forecast> {
  const data = parseInput(forecastInput, input)
  const a = access ?? (await loadCrmAccess(ctx))
  const groupBy = data.groupBy ?? 'month'
  const now = ctx.clock.now()
  const from = data.from ?? monthStart(now)
  const to =
    data.to ?? new Date(Date.parse(`${monthStart(now, 6)}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
  if (to < from) throw new InvalidInputError('to', 'to: 早于 from / before from')
  let deptPath: string | null = null
  if (data.departmentId) {
    const [dept] = await ctx.db
      .select({ path: departments.path })
      .from(departments)
      .where(and(eq(departments.tenantId, ctx.tenantId), eq(departments.id, data.departmentId)))
    if (!dept) throw new InvalidInputError('departmentId', `no department ${data.departmentId}`)
    deptPath = dept.path
  }
  // Narrowed to one owner or the owners in a department's tree when asked.
  const owners = (owner: AnyPgColumn): SQL[] => {
    const c: SQL[] = []
    if (data.ownerId) c.push(eq(owner, data.ownerId))
    if (deptPath !== null)
      c.push(
        inArray(
          owner,
          sql`(select ${users.id} from ${users} inner join ${departments} on ${departments.id} = ${users.departmentId}
               where ${users.tenantId} = ${ctx.tenantId} and ${departments.path} like ${`${escapeLike(deptPath)}%`})`,
        ),
      )
    return c
  }
  // The deals of owners in the caller's scope come summed from the rollup; the deals the caller sees only as
  // a team member (owner outside the scope) are added from the deals themselves. The two sets are disjoint.
  const fromRollup = forecastFacts(ctx, { from, to }, [
    scopeFilter(a, forecastDaily.ownerId),
    ...owners(forecastDaily.ownerId),
  ])
  const teamOnly =
    a.userId && a.scope !== 'all'
      ? sql`select ${opportunities.ownerId}, ${opportunities.expectedCloseDate}, ${opportunities.stageId},
          ${opportunities.status}, 1, ${opportunities.amountCents},
          round(${opportunities.amountCents} * ${opportunities.winProbability} / 100.0)::bigint
        from ${opportunities}
        where ${and(
          eq(opportunities.tenantId, ctx.tenantId),
          sql`${opportunities.teamIds} @> ${JSON.stringify([a.userId])}::jsonb`,
          not(scopeFilter(a, opportunities.ownerId)),
          ne(opportunities.status, 'lost'),
          gte(opportunities.expectedCloseDate, from),
          lte(opportunities.expectedCloseDate, to),
          ...owners(opportunities.ownerId),
        )}`
      : null
  const facts = teamOnly ? sql`${fromRollup} union all ${teamOnly}` : fromRollup
  const key =
    groupBy === 'month'
      ? sql`to_char(x.close_date, 'YYYY-MM')`
      : groupBy === 'owner'
        ? sql`x.owner_id`
        : sql`coalesce(u.department_id, '')`
  const label =
    groupBy === 'month'
      ? sql`to_char(x.close_date, 'YYYY-MM')`
      : groupBy === 'owner'
        ? sql`coalesce(max(u.name), '')`
        : sql`coalesce(max(d.name), '')`
  const open = sql`x.status = 'open'`
  const rows = resultRows<{
    key: string
    label: string
    count: number
    amount: string
    weighted: string
    commit: string
    best_case: string
    pipeline: string
    won: string
  }>(
    await ctx.db.execute(sql`
      select ${key} as key, ${label} as label, sum(x.deals)::int as count, sum(x.amount_cents) as amount,
        sum(x.weighted_cents) as weighted,
        coalesce(sum(x.amount_cents) filter (where ${open} and s.forecast_category = 'commit'), 0) as commit,
        coalesce(sum(x.amount_cents) filter (where ${open} and s.forecast_category = 'best_case'), 0) as best_case,
        coalesce(sum(x.amount_cents) filter (where ${open} and s.forecast_category = 'pipeline'), 0) as pipeline,
        coalesce(sum(x.amount_cents) filter (where x.status = 'won'), 0) as won
      from (${facts}) x
      inner join ${stages} s on s.id = x.stage_id
      left join ${users} u on u.tenant_id = ${ctx.tenantId} and u.id = x.owner_id
      left join ${departments} d on d.id = u.department_id
      group by 1
      order by 1`),
  )
  const out: ForecastRow[] = rows.map((r) => ({
    key: r.key,
    label: r.label,
    count: r.count,
    amountCents: Number(r.amount),
    weightedCents: Number(r.weighted),
    commitCents: Number(r.commit),
    bestCaseCents: Number(r.best_case),
    pipelineCents: Number(r.pipeline),
    wonCents: Number(r.won),
  }))
  const sum = (k: keyof Omit<ForecastRow, 'key' | 'label'>) => out.reduce((s, r) => s + r[k], 0)
  return {
    groupBy,
    from,
    to,
    rows: out,
    total: {
      count: sum('count'),
      amountCents: sum('amountCents'),
      weightedCents: sum('weightedCents'),
      commitCents: sum('commitCents'),
      bestCaseCents: sum('bestCaseCents'),
      pipelineCents: sum('pipelineCents'),
      wonCents: sum('wonCents'),
    },
  }
}
