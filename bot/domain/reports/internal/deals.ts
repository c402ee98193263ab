import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { closeReasons, forecastDaily, opportunities, stages } from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import type { ServiceContext } from '../../context'
import { forecastFacts } from '../../opportunities/get-forecast'
import {
  countAll,
  type FactDimension,
  factReport,
  type ReportDefinition,
  type ReportLocale,
  type ReportRow,
  type RunEnv,
  type Text,
} from './define'
import { bucketOfDay, peopleFilter } from './filters'

/** A deal opens on its customer's card (the mini-app has no deal page of its own). */
export const dealLink = (customerId: string) => `/app/customers/${customerId}`

const periodDimensions: FactDimension[] = [
  { key: 'month', label: { zh: '按月', en: 'By month' }, kind: 'period', expr: sql`null` },
  { key: 'week', label: { zh: '按周', en: 'By week' }, kind: 'period', expr: sql`null` },
]

/** Stage names in the reader's language. */
export async function stageNames(
  ctx: ServiceContext,
  ids: string[],
  locale: ReportLocale,
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await ctx.db
    .select({ id: stages.id, name: stages.name, nameEn: stages.nameEn })
    .from(stages)
    .where(and(eq(stages.tenantId, ctx.tenantId), inArray(stages.id, ids)))
  return new Map(rows.map((r) => [r.id, locale === 'en' ? (r.nameEn ?? r.name) : r.name]))
}

const sum = (expr: SQL | undefined = undefined) =>
  expr
    ? sql`coalesce(sum(${opportunities.amountCents}) filter (where ${expr}), 0)::float8`
    : sql`coalesce(sum(${opportunities.amountCents}), 0)::float8`
const open = sql`${opportunities.status} = 'open'`
const won = sql`${opportunities.status} = 'won'`
const lost = sql`${opportunities.status} = 'lost'`
const category = (c: 'commit' | 'best_case' | 'pipeline') =>
  sql`${open} and ${stages.forecastCategory} = ${c}`

const money = (key: string, label: Text, agg: SQL, where?: SQL) => ({
  key,
  label,
  unit: 'cents' as const,
  additive: true,
  agg,
  ...(where ? { where } : {}),
})

/**
 * The sales forecast (销售预测) by expected close month: open deals weighted by their win probability, the
 * amounts by forecast category (commit / best case / pipeline) and what is already won. Lost deals are never
 * counted, at any value (the bug of forecasts that add them at full amount).
 */
const rawForecast = factReport({
  key: 'forecast',
  title: { zh: '销售预测', en: 'Forecast' },
  description: {
    zh: '按预计成交月份：加权金额（金额×赢率，已赢单按全额）、承诺/最佳/管道金额与已赢单，不含输单',
    en: 'By expected close month: weighted amount, commit / best case / pipeline and won; lost deals excluded',
  },
  table: opportunities,
  join: { table: stages, on: eq(stages.id, opportunities.stageId) },
  tenantColumn: opportunities.tenantId,
  timeColumn: opportunities.expectedCloseDate,
  timeType: 'date',
  personColumn: opportunities.ownerId,
  timing: 'period',
  where: () => sql`${opportunities.status} <> 'lost'`,
  dimensions: [
    periodDimensions[0] as FactDimension,
    { key: 'owner', label: { zh: '负责人', en: 'Owner' }, kind: 'person', expr: opportunities.ownerId },
    {
      key: 'stage',
      label: { zh: '阶段', en: 'Stage' },
      kind: 'text',
      expr: opportunities.stageId,
      labelsOf: stageNames,
    },
  ],
  measures: [
    {
      key: 'deals',
      label: { zh: '商机数', en: 'Deals' },
      unit: 'count',
      additive: true,
      agg: countAll(),
    },
    money(
      'weighted',
      { zh: '加权金额', en: 'Weighted' },
      sql`coalesce(sum(case when ${won} then ${opportunities.amountCents}
        else round(${opportunities.amountCents} * ${opportunities.winProbability} / 100.0) end), 0)::float8`,
    ),
    money('commit', { zh: '承诺', en: 'Commit' }, sum(category('commit')), category('commit')),
    money('bestCase', { zh: '最佳', en: 'Best case' }, sum(category('best_case')), category('best_case')),
    money('pipeline', { zh: '管道', en: 'Pipeline' }, sum(category('pipeline')), category('pipeline')),
    money('won', { zh: '已赢单', en: 'Won' }, sum(won), won),
    money('amount', { zh: '总金额', en: 'Amount' }, sum()),
  ],
  record: {
    kind: 'opportunity',
    id: opportunities.id,
    title: opportunities.name,
    subtitle: stages.name,
    linkColumn: opportunities.customerId,
    link: dealLink,
  },
})

/** The forecast's rows from the sales forecast's rollup, grouped by close month, owner or stage. */
async function forecastRows(ctx: ServiceContext, env: RunEnv): Promise<ReportRow[]> {
  const k =
    env.dimension.key === 'month'
      ? bucketOfDay(sql`x.close_date`, 'month')
      : env.dimension.key === 'owner'
        ? sql`x.owner_id`
        : sql`x.stage_id`
  const facts = forecastFacts(ctx, env.q, [await peopleFilter(ctx, env.scope, env.q, forecastDaily.ownerId)])
  const inCategory = (c: string) =>
    sql`coalesce(sum(x.amount_cents) filter (where x.status = 'open' and ${stages.forecastCategory} = ${c}), 0)::float8`
  const rows = resultRows<Record<string, unknown>>(
    await ctx.db.execute(sql`
      select ${k} as k, sum(x.deals)::int as deals,
        coalesce(sum(case when x.status = 'won' then x.amount_cents else x.weighted_cents end), 0)::float8 as weighted,
        ${inCategory('commit')} as commit, ${inCategory('best_case')} as best_case,
        ${inCategory('pipeline')} as pipeline,
        coalesce(sum(x.amount_cents) filter (where x.status = 'won'), 0)::float8 as won,
        coalesce(sum(x.amount_cents), 0)::float8 as amount
      from (${facts}) x inner join ${stages} on ${stages.id} = x.stage_id
      group by 1`),
  )
  return rows.map((r) => ({
    key: r.k === null || r.k === undefined ? null : String(r.k),
    label: '',
    values: {
      deals: Number(r.deals),
      weighted: Number(r.weighted),
      commit: Number(r.commit),
      bestCase: Number(r.best_case),
      pipeline: Number(r.pipeline),
      won: Number(r.won),
      amount: Number(r.amount),
    },
  }))
}

/**
 * The forecast reading the sales forecast's rollup (`sales_forecast_daily`, the facts `getForecast` reads);
 * the `GROUP BY` over the deals stays its reference. Every measure is additive: the totals are the rows' sums.
 */
export const forecastReport: ReportDefinition = {
  ...rawForecast,
  rows: (ctx, env) => (env.reference ? rawForecast.rows(ctx, env) : forecastRows(ctx, env)),
  totals: undefined,
}

async function reasonNames(ctx: ServiceContext, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await ctx.db
    .select({ id: closeReasons.id, name: closeReasons.name })
    .from(closeReasons)
    .where(and(eq(closeReasons.tenantId, ctx.tenantId), inArray(closeReasons.id, ids)))
  return new Map(rows.map((r) => [r.id, r.name]))
}

/**
 * Win/loss (赢单/输单分析): deals closed in the period by reason, owner or month — how many were won and
 * lost, for how much, and the win rate.
 */
export const winLossReport = factReport({
  key: 'win-loss',
  title: { zh: '赢单/输单分析', en: 'Win / loss' },
  description: {
    zh: '期间内关闭的商机：按原因、负责人或月份的赢单、输单数量与金额、赢率',
    en: 'Deals closed in the period by reason, owner or month: won and lost, amounts, win rate',
  },
  table: opportunities,
  tenantColumn: opportunities.tenantId,
  timeColumn: opportunities.closedAt,
  personColumn: opportunities.ownerId,
  timing: 'period',
  where: () => sql`${opportunities.status} in ('won', 'lost')`,
  dimensions: [
    {
      key: 'reason',
      label: { zh: '原因', en: 'Reason' },
      kind: 'text',
      expr: opportunities.closeReasonId,
      labelsOf: reasonNames,
    },
    { key: 'owner', label: { zh: '负责人', en: 'Owner' }, kind: 'person', expr: opportunities.ownerId },
    ...periodDimensions,
  ],
  measures: [
    {
      key: 'won',
      label: { zh: '赢单', en: 'Won' },
      unit: 'count',
      additive: true,
      agg: countAll(won),
      where: won,
    },
    {
      key: 'lost',
      label: { zh: '输单', en: 'Lost' },
      unit: 'count',
      additive: true,
      agg: countAll(lost),
      where: lost,
    },
    money('wonAmount', { zh: '赢单金额', en: 'Won amount' }, sum(won), won),
    money('lostAmount', { zh: '输单金额', en: 'Lost amount' }, sum(lost), lost),
    {
      key: 'winRate',
      label: { zh: '赢率', en: 'Win rate' },
      unit: 'percent',
      additive: false,
      agg: sql`round(100.0 * count(*) filter (where ${won}) / nullif(count(*), 0), 1)::float8`,
    },
  ],
  record: {
    kind: 'opportunity',
    id: opportunities.id,
    title: opportunities.name,
    subtitle: opportunities.closeNote,
    linkColumn: opportunities.customerId,
    link: dealLink,
  },
})
