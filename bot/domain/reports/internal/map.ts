import { and, eq, sql } from 'drizzle-orm'
import { customerGeo, customers } from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import type { ServiceContext } from '../../context'
import type { ReportDefinition, ReportRow, RunEnv } from './define'
import { peopleFilter } from './filters'

const TIERS = ['A', 'B', 'C'] as const

/**
 * The distribution map from its rollup (report_customer_geo): the owners' customers per province (or city of
 * one province) and tier, less the customers created after the period's end, so the figures are those of
 * that day as in the raw count. Groups whose customers all left give no row, as in the raw `GROUP BY`.
 */
async function mapRows(ctx: ServiceContext, env: RunEnv): Promise<ReportRow[]> {
  const city = env.dimension.key === 'city'
  const province = city && env.q.provinceCode ? env.q.provinceCode.padEnd(6, '0') : null
  const g = customerGeo
  const c = customers
  const rows = resultRows<{ k: string | null; n: number; a: number; b: number; c: number }>(
    await ctx.db.execute(sql`
      select k, sum(n)::int as n, (sum(n) filter (where tier = ${TIERS[0]}))::int as a,
        (sum(n) filter (where tier = ${TIERS[1]}))::int as b, (sum(n) filter (where tier = ${TIERS[2]}))::int as c
      from (
        select ${city ? g.cityCode : g.provinceCode} as k, ${g.tier} as tier, ${g.customers} as n
        from ${g}
        where ${and(
          eq(g.tenantId, ctx.tenantId),
          province ? eq(g.provinceCode, province) : undefined,
          await peopleFilter(ctx, env.scope, env.q, g.ownerId),
        )}
        union all
        select ${city ? c.cityCode : c.provinceCode}, ${c.tier}, -1
        from ${c}
        where ${and(
          eq(c.tenantId, ctx.tenantId),
          sql`${c.createdAt} >= ${env.period.end.toISOString()}::timestamptz`,
          province ? eq(c.provinceCode, province) : undefined,
          await peopleFilter(ctx, env.scope, env.q, c.ownerId),
        )}
      ) s
      group by k having sum(n) <> 0`),
  )
  return rows.map((r) => ({
    key: r.k,
    label: '',
    values: {
      customers: Number(r.n),
      tierA: Number(r.a ?? 0),
      tierB: Number(r.b ?? 0),
      tierC: Number(r.c ?? 0),
    },
  }))
}

/**
 * The map report reading its rollup, with the raw `GROUP BY` (`raw`) as the reference. Every measure is a
 * count, so the totals are the rows' sums.
 */
export function rolledUpMap(raw: ReportDefinition): ReportDefinition {
  return {
    ...raw,
    rows: (ctx, env) => (env.reference ? raw.rows(ctx, env) : mapRows(ctx, env)),
    totals: undefined,
  }
}
