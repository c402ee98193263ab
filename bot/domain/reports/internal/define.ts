import { and, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core'
import { departments, users } from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { regionLabel } from '../../crm/regions'
import type { ActorScope } from '../../org/data-scope'
import type { ReportQuery } from '../schemas'
import { bucketOf, bucketOfDay, inDays, inPeriod, type Period, peopleFilter } from './filters'

export type ReportLocale = 'zh-CN' | 'en'
export interface Text {
  zh: string
  en: string
}
export const say = (locale: ReportLocale, text: Text): string => (locale === 'en' ? text.en : text.zh)

export type Unit = 'count' | 'cents' | 'percent' | 'hours' | 'minutes' | 'days'

/** A figure a report computes. `additive` measures sum into the total row; the others are computed whole. */
export interface MeasureDef {
  key: string
  label: Text
  unit: Unit
  additive: boolean
}

/** How rows are grouped. `period` buckets by time; `person`, `province`, `city` get display names. */
export interface DimensionDef {
  key: string
  label: Text
  kind: 'period' | 'person' | 'department' | 'province' | 'city' | 'text'
  /** Display names of the keys when they are ids of the report's own things (stages, channels, reasons). */
  labelsOf?: (ctx: ServiceContext, keys: string[], locale: ReportLocale) => Promise<Map<string, string>>
  /** Rows keep the order the report returns (funnel steps, ageing buckets) instead of largest first. */
  ordered?: boolean
}

export interface ReportRow {
  /** The dimension value behind the row (`null` = not filled in), passed back to drill down. */
  key: string | null
  label: string
  values: Record<string, number | null>
}

/** One record behind a figure, with the mini-app page that shows it. */
export interface RecordRef {
  kind:
    | 'customer'
    | 'follow_up'
    | 'visit'
    | 'approval'
    | 'lead'
    | 'opportunity'
    | 'instalment'
    | 'payment'
    | 'service_ticket'
  id: string
  title: string
  subtitle: string | null
  at: string | null
  /** The mini-app page showing the record (a deal or 回款 opens its customer); null when it has none yet. */
  link: string | null
}

export const RECORD_KINDS: RecordRef['kind'][] = [
  'customer',
  'follow_up',
  'visit',
  'approval',
  'lead',
  'opportunity',
  'instalment',
  'payment',
  'service_ticket',
]

/** What a report run knows: the validated filters, the period, the chosen dimension, the caller's scope. */
export interface RunEnv {
  q: ReportQuery
  period: Period
  dimension: DimensionDef
  scope: ActorScope
  locale: ReportLocale
  /**
   * Compute from the raw records instead of the rollups (tests compare the two; the bench times both).
   * Never set by the API.
   */
  reference?: boolean
}

/**
 * A report declared once: its dimensions, measures and how to compute rows and drill down. The API, the
 * XLSX export and the mini-app rendering all work from this declaration.
 */
export interface ReportDefinition {
  key: string
  title: Text
  description: Text
  /** The first is the default. */
  dimensions: DimensionDef[]
  measures: MeasureDef[]
  /** `snapshot`: the figures are as of the period's end (e.g. the map), not things that happened in it. */
  timing: 'period' | 'snapshot'
  /** Optional filters beyond period / department / person that this report understands (e.g. `channelId`). */
  filters?: Array<'channelId'>
  rows(ctx: ServiceContext, env: RunEnv): Promise<ReportRow[]>
  /** Totals of non-additive measures (averages, distinct counts), computed over all rows' records. */
  totals?(ctx: ServiceContext, env: RunEnv): Promise<Record<string, number | null>>
  records(
    ctx: ServiceContext,
    env: RunEnv,
    drill: { value: string | null | undefined; measure: string | undefined; limit: number },
  ): Promise<RecordRef[]>
}

const NOT_SET: Text = { zh: '（未填写）', en: '(not set)' }
const UNOWNED: Text = { zh: '公海（无负责人）', en: 'Pool (no owner)' }

/** Display names for a dimension's keys. */
export async function labelKeys(
  ctx: ServiceContext,
  dimension: DimensionDef,
  keys: Array<string | null>,
  locale: ReportLocale,
): Promise<Map<string | null, string>> {
  const out = new Map<string | null, string>()
  if (dimension.labelsOf) {
    const names = await dimension.labelsOf(
      ctx,
      keys.filter((k): k is string => Boolean(k)),
      locale,
    )
    for (const k of keys) out.set(k, k ? (names.get(k) ?? k) : say(locale, NOT_SET))
    return out
  }
  if (dimension.kind === 'person') {
    const ids = keys.filter((k): k is string => Boolean(k))
    const rows = ids.length
      ? await ctx.db
          .select({ id: users.id, name: users.name, enName: users.enName })
          .from(users)
          .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids)))
      : []
    // A person's English name from the directory in English, where there is one.
    const names = new Map(rows.map((r) => [r.id, (locale === 'en' && r.enName) || r.name]))
    for (const k of keys) out.set(k, k ? (names.get(k) ?? k) : say(locale, UNOWNED))
    return out
  }
  if (dimension.kind === 'department') {
    const ids = keys.filter((k): k is string => Boolean(k))
    const rows = ids.length
      ? await ctx.db
          .select({ id: departments.id, name: departments.name })
          .from(departments)
          .where(and(eq(departments.tenantId, ctx.tenantId), inArray(departments.id, ids)))
      : []
    const names = new Map(rows.map((r) => [r.id, r.name]))
    for (const k of keys) out.set(k, k ? (names.get(k) ?? k) : say(locale, NOT_SET))
    return out
  }
  for (const k of keys) {
    if (k === null || k === '') out.set(k, say(locale, NOT_SET))
    else if (dimension.kind === 'province') out.set(k, regionLabel({ provinceCode: k }) || k)
    else if (dimension.kind === 'city') out.set(k, regionLabel({ cityCode: k }) || k)
    else out.set(k, k)
  }
  return out
}

/** A measure over one fact table: its aggregate, and which records stand behind it when drilled. */
export interface FactMeasure extends MeasureDef {
  agg: SQL
  /** Narrows the drilled records to those the measure counts (e.g. `tier = 'A'`). */
  where?: SQL
}

/** A dimension over one fact table: the SQL expression rows group by (it may depend on the run). */
export interface FactDimension extends DimensionDef {
  expr: SQL | AnyPgColumn | ((env: RunEnv) => SQL)
}

/**
 * A report over one table of facts (customers, approvals, deals...): group by a dimension, aggregate
 * measures, filtered by tenant, period and the caller's scope on the fact's person column. Most reports are
 * this. `join` adds one table the measures and dimensions may read (a deal's stage); `timeType: 'date'`
 * filters and buckets a calendar-day column (expected close) without any time-zone arithmetic.
 */
export function factReport(spec: {
  key: string
  title: Text
  description: Text
  table: PgTable
  join?: { table: PgTable; on: SQL }
  tenantColumn: AnyPgColumn
  timeColumn: AnyPgColumn
  timeType?: 'timestamp' | 'date'
  personColumn: AnyPgColumn
  timing: 'period' | 'snapshot'
  where?: (env: RunEnv) => SQL | undefined
  dimensions: FactDimension[]
  measures: FactMeasure[]
  record: {
    kind: RecordRef['kind']
    id: AnyPgColumn
    title: AnyPgColumn | SQL
    subtitle: AnyPgColumn | SQL | null
    /** The value `link` is built from (default: the record's id). */
    linkColumn?: AnyPgColumn
    link: (value: string) => string | null
  }
}): ReportDefinition {
  const dates = spec.timeType === 'date'
  const dimensionExpr = (env: RunEnv): SQL | AnyPgColumn => {
    const d = spec.dimensions.find((x) => x.key === env.dimension.key)
    if (!d) throw new Error(`dimension ${env.dimension.key} of ${spec.key}`)
    if (d.kind === 'period')
      return dates
        ? bucketOfDay(spec.timeColumn, d.key as 'month' | 'week' | 'day')
        : bucketOf(spec.timeColumn, d.key as 'month' | 'week' | 'day', env.period)
    return typeof d.expr === 'function' ? d.expr(env) : d.expr
  }
  const baseWhere = async (ctx: ServiceContext, env: RunEnv): Promise<SQL> => {
    const time = dates
      ? spec.timing === 'period'
        ? inDays(spec.timeColumn, env.q)
        : sql`${spec.timeColumn} <= ${env.q.to}::date`
      : spec.timing === 'period'
        ? inPeriod(spec.timeColumn, env.period)
        : sql`${spec.timeColumn} < ${env.period.end.toISOString()}::timestamptz`
    return and(
      eq(spec.tenantColumn, ctx.tenantId),
      time,
      await peopleFilter(ctx, env.scope, env.q, spec.personColumn),
      spec.where?.(env),
    ) as SQL
  }
  const select = <T extends Record<string, SQL | AnyPgColumn>>(ctx: ServiceContext, selection: T) => {
    const q = ctx.db.select(selection).from(spec.table).$dynamic()
    return spec.join ? q.innerJoin(spec.join.table, spec.join.on) : q
  }
  return {
    key: spec.key,
    title: spec.title,
    description: spec.description,
    dimensions: spec.dimensions.map(({ expr: _expr, ...d }) => d),
    measures: spec.measures.map(({ key, label, unit, additive }) => ({ key, label, unit, additive })),
    timing: spec.timing,
    async rows(ctx, env) {
      const expr = dimensionExpr(env)
      const selection: Record<string, SQL | AnyPgColumn> = { k: expr }
      for (const m of spec.measures) selection[m.key] = m.agg
      const rows = (await select(ctx, selection)
        .where(await baseWhere(ctx, env))
        .groupBy(expr)) as Array<Record<string, unknown>>
      return rows.map((r) => ({
        key: r.k === null || r.k === undefined ? null : String(r.k),
        label: '',
        values: Object.fromEntries(
          spec.measures.map((m) => [m.key, r[m.key] === null ? null : Number(r[m.key])]),
        ),
      }))
    },
    async totals(ctx, env) {
      const selection: Record<string, SQL> = {}
      for (const m of spec.measures) selection[m.key] = m.agg
      const [r] = (await select(ctx, selection).where(await baseWhere(ctx, env))) as Array<
        Record<string, unknown>
      >
      return Object.fromEntries(
        spec.measures.map((m) => [m.key, r?.[m.key] === null || !r ? null : Number(r[m.key])]),
      )
    },
    async records(ctx, env, drill) {
      const expr = dimensionExpr(env)
      const measure = spec.measures.find((m) => m.key === drill.measure)
      const rows = await select(ctx, {
        id: spec.record.id,
        title: spec.record.title,
        subtitle: spec.record.subtitle ?? sql<null>`null`,
        linkValue: spec.record.linkColumn ?? spec.record.id,
        at: spec.timeColumn,
      })
        .where(
          and(
            await baseWhere(ctx, env),
            drill.value === undefined
              ? undefined
              : drill.value === null
                ? isNull(expr)
                : sql`${expr} = ${drill.value}`,
            measure?.where,
          ),
        )
        .orderBy(desc(spec.timeColumn))
        .limit(drill.limit)
      return rows.map((r) => ({
        kind: spec.record.kind,
        id: String(r.id),
        title: String(r.title),
        subtitle: r.subtitle === null || r.subtitle === undefined ? null : String(r.subtitle),
        at: r.at instanceof Date ? r.at.toISOString() : r.at ? String(r.at) : null,
        link: spec.record.link(String(r.linkValue)),
      }))
    },
  }
}

/** `count(*)` as a JS number (PostgreSQL answers bigint as text). */
export const countAll = (filter?: SQL): SQL =>
  filter ? sql`(count(*) filter (where ${filter}))::int` : sql`count(*)::int`

/** `a` as a percentage of `b` with one decimal; null when there is nothing to divide by. */
export const pct = (a: number, b: number): number | null => (b > 0 ? Math.round((a * 1000) / b) / 10 : null)
