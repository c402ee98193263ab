import { and, eq, gte, inArray, lte, ne, type SQL, sql } from 'drizzle-orm'
import { departments, opportunities, stages, users } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess } from '../crm/access'
import { InvalidInputError } from '../errors'
import { visibleOpportunities } from './access'
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
 * The weighted pipeline of the deals in the caller's scope with an expected close in the period, by month,
 * owner or the owner's department: amount × win probability, and the amounts by forecast category (commit,
 * best case, pipeline) plus won. Lost deals are excluded.
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
  const conds: SQL[] = [
    visibleOpportunities(ctx, a),
    ne(opportunities.status, 'lost'),
    gte(opportunities.expectedCloseDate, from),
    lte(opportunities.expectedCloseDate, to),
  ]
  if (data.ownerId) conds.push(eq(opportunities.ownerId, data.ownerId))
  if (data.departmentId) {
    const [dept] = await ctx.db
      .select({ path: departments.path })
      .from(departments)
      .where(and(eq(departments.tenantId, ctx.tenantId), eq(departments.id, data.departmentId)))
    if (!dept) throw new InvalidInputError('departmentId', `no department ${data.departmentId}`)
    conds.push(
      inArray(
        opportunities.ownerId,
        sql`(select ${users.id} from ${users} inner join ${departments} on ${departments.id} = ${users.departmentId}
             where ${users.tenantId} = ${ctx.tenantId} and ${departments.path} like ${`${escapeLike(dept.path)}%`})`,
      ),
    )
  }
  const key =
    groupBy === 'month'
      ? sql<string>`to_char(${opportunities.expectedCloseDate}, 'YYYY-MM')`
      : groupBy === 'owner'
        ? sql<string>`${opportunities.ownerId}`
        : sql<string>`coalesce(${users.departmentId}, '')`
  const label =
    groupBy === 'month'
      ? sql<string>`to_char(${opportunities.expectedCloseDate}, 'YYYY-MM')`
      : groupBy === 'owner'
        ? sql<string>`coalesce(max(${users.name}), '')`
        : sql<string>`coalesce(max(${departments.name}), '')`
  const open = sql`${opportunities.status} = 'open'`
  const rows = await ctx.db
    .select({
      key,
      label,
      count: sql<number>`count(*)::int`,
      amount: sql<string>`sum(${opportunities.amountCents})`,
      weighted: sql<string>`sum(round(${opportunities.amountCents} * ${opportunities.winProbability} / 100.0))`,
      commit: sql<string>`coalesce(sum(${opportunities.amountCents}) filter (where ${open} and ${stages.forecastCategory} = 'commit'), 0)`,
      bestCase: sql<string>`coalesce(sum(${opportunities.amountCents}) filter (where ${open} and ${stages.forecastCategory} = 'best_case'), 0)`,
      pipeline: sql<string>`coalesce(sum(${opportunities.amountCents}) filter (where ${open} and ${stages.forecastCategory} = 'pipeline'), 0)`,
      won: sql<string>`coalesce(sum(${opportunities.amountCents}) filter (where ${opportunities.status} = 'won'), 0)`,
    })
    .from(opportunities)
    .innerJoin(stages, eq(stages.id, opportunities.stageId))
    .leftJoin(users, and(eq(users.tenantId, opportunities.tenantId), eq(users.id, opportunities.ownerId)))
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(and(...conds))
    .groupBy(key)
    .orderBy(key)
  const out: ForecastRow[] = rows.map((r) => ({
    key: r.key,
    label: r.label,
    count: r.count,
    amountCents: Number(r.amount),
    weightedCents: Number(r.weighted),
    commitCents: Number(r.commit),
    bestCaseCents: Number(r.bestCase),
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
