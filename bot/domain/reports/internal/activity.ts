import { and, desc, eq, isNull, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { customers, followUps, personDaily, visits } from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import type { ServiceContext } from '../../context'
import type { RecordRef, ReportDefinition, ReportRow, RunEnv } from './define'
import { bucketOf, bucketOfDay, inDays, inPeriod, type Period, peopleFilter } from './filters'

/** The grouping expression of one source (follow-ups by author, visits by visitor) for the dimension. */
const keyOf = (env: RunEnv, person: AnyPgColumn, time: AnyPgColumn): SQL | AnyPgColumn =>
  env.dimension.kind === 'period'
    ? bucketOf(time, env.dimension.key as 'month' | 'week' | 'day', env.period)
    : person

async function sources(ctx: ServiceContext, env: RunEnv) {
  const fWhere = and(
    eq(followUps.tenantId, ctx.tenantId),
    inPeriod(followUps.createdAt, env.period),
    await peopleFilter(ctx, env.scope, env.q, followUps.authorId),
  ) as SQL
  const vWhere = and(
    eq(visits.tenantId, ctx.tenantId),
    inPeriod(visits.checkInAt, env.period),
    await peopleFilter(ctx, env.scope, env.q, visits.userId),
  ) as SQL
  return {
    fWhere,
    vWhere,
    fKey: keyOf(env, followUps.authorId, followUps.createdAt),
    vKey: keyOf(env, visits.userId, visits.checkInAt),
  }
}

const visitMinutes = sql`extract(epoch from (${visits.checkOutAt} - ${visits.checkInAt})) / 60.0`

interface VisitFigures {
  k: string | null
  n: number
  flagged: number
  minutes: string | null
  followUps?: number
}

const rawFollowUps = (ctx: ServiceContext, k: SQL | AnyPgColumn, where: SQL) =>
  ctx.db
    .select({ k: sql<string | null>`${k}`, n: sql<number>`count(*)::int` })
    .from(followUps)
    .where(where)
    .groupBy(sql`1`)

const rawVisits = (ctx: ServiceContext, k: SQL | AnyPgColumn, where: SQL): Promise<VisitFigures[]> =>
  ctx.db
    .select({
      k: sql<string | null>`${k}`,
      n: sql<number>`count(*)::int`,
      flagged: sql<number>`(count(*) filter (where ${visits.checkInFlagged}))::int`,
      minutes: sql<
        string | null
      >`round((avg(${visitMinutes}) filter (where ${visits.checkOutAt} is not null))::numeric, 1)`,
    })
    .from(visits)
    .where(where)
    .groupBy(sql`1`)

/**
 * Follow-ups and visits per group from the person-day rollup (report_person_daily): the same figures as the
 * raw counts, read from one row per person and day. A person nobody (`''`, a follow-up without author) is
 * the null key, as in the raw rows; groups whose records were all deleted leave no row.
 */
async function rolledUp(ctx: ServiceContext, env: RunEnv, grouped: boolean): Promise<VisitFigures[]> {
  const k = !grouped
    ? sql`null`
    : env.dimension.kind === 'period'
      ? bucketOfDay(personDaily.day, env.dimension.key as 'month' | 'week' | 'day')
      : sql`nullif(${personDaily.userId}, '')`
  const rows = await ctx.db
    .select({
      k: sql<string | null>`${k}`,
      followUps: sql<number>`sum(${personDaily.followUps})::int`,
      n: sql<number>`sum(${personDaily.visits})::int`,
      flagged: sql<number>`sum(${personDaily.visitsFlagged})::int`,
      minutes: sql<
        string | null
      >`round(sum(${personDaily.visitSeconds}) / 60.0 / nullif(sum(${personDaily.visitsTimed}), 0), 1)`,
    })
    .from(personDaily)
    .where(
      and(
        eq(personDaily.tenantId, ctx.tenantId),
        inDays(personDaily.day, env.q),
        await peopleFilter(ctx, env.scope, env.q, personDaily.userId),
      ),
    )
    .groupBy(sql`1`)
  return rows.filter((r) => Number(r.followUps) !== 0 || Number(r.n) !== 0)
}

/**
 * Customers covered (follow-ups and visits together, each customer once) per group and in all, as the
 * reference computes them: one read of the records for both, the groups and the total row (`grouping
 * sets`, a sort per group), shared by the rows and the totals of a run.
 */
const coveredMemo = new WeakMap<RunEnv, Promise<{ groups: Map<string | null, number>; all: number }>>()
function coveredReference(ctx: ServiceContext, env: RunEnv) {
  let hit = coveredMemo.get(env)
  if (!hit) {
    hit = (async () => {
      const { fWhere, vWhere, fKey, vKey } = await sources(ctx, env)
      const rows = resultRows<{ k: string | null; whole: number; n: number }>(
        await ctx.db.execute(sql`
          select k, grouping(k)::int as whole, count(distinct customer_id)::int as n from (
            select ${fKey} as k, ${followUps.customerId} as customer_id from ${followUps} where ${fWhere}
            union all
            select ${vKey} as k, ${visits.customerId} as customer_id from ${visits} where ${vWhere}
          ) s group by grouping sets ((k), ())`),
      )
      const groups = new Map<string | null, number>()
      let all = 0
      for (const r of rows) {
        if (Number(r.whole) === 1) all = Number(r.n)
        else groups.set(r.k, Number(r.n))
      }
      return { groups, all }
    })()
    coveredMemo.set(env, hit)
  }
  return hit
}

/**
 * The zone's offset from UTC in milliseconds when it is the same all through the period (checked hourly,
 * by the database's own zone rules, as the reference buckets), else null. Asked once per database, zone and
 * period.
 */
const steadyOffsets = new WeakMap<object, Map<string, Promise<number | null>>>()
function steadyOffset(ctx: ServiceContext, period: Period): Promise<number | null> {
  const byDb = steadyOffsets.get(ctx.db) ?? new Map<string, Promise<number | null>>()
  steadyOffsets.set(ctx.db, byDb)
  const key = `${period.zone}|${period.start.toISOString()}|${period.end.toISOString()}`
  let hit = byDb.get(key)
  if (!hit) {
    hit = (async () => {
      const [r] = resultRows<{ lo: number | string | null; hi: number | string | null }>(
        await ctx.db.execute(sql`
          select min(o)::float8 as lo, max(o)::float8 as hi from (
            select extract(epoch from (x at time zone ${period.zone}) - (x at time zone 'UTC')) as o
            from generate_series(${period.start.toISOString()}::timestamptz, ${period.end.toISOString()}::timestamptz,
              interval '1 hour') x
          ) s`),
      )
      return r && r.lo !== null && Number(r.lo) === Number(r.hi) ? Number(r.lo) * 1000 : null
    })()
    const asked = hit
    // A failed question is asked again next time.
    asked.catch(() => {
      if (byDb.get(key) === asked) byDb.delete(key)
    })
    // A handful of periods are asked for again and again (this month, this year); the rest is let go.
    if (byDb.size >= 256) byDb.clear()
    byDb.set(key, hit)
  }
  return hit
}

/**
 * The period's buckets in a zone `offsetMs` ahead of UTC all through it: their labels (as `bucketOf`
 * writes them) and the instants they start at, the first at or before the period's start.
 */
function bucketsOf(period: Period, bucket: 'month' | 'week' | 'day', offsetMs: number) {
  const DAY = 86_400_000
  // Local wall-clock times written as UTC instants: calendar arithmetic without a zone.
  const first = new Date(period.start.getTime() + offsetMs)
  let at =
    bucket === 'month'
      ? Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1)
      : Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()) -
        (bucket === 'week' ? ((first.getUTCDay() + 6) % 7) * DAY : 0)
  const end = period.end.getTime() + offsetMs
  const labels: string[] = []
  const starts: string[] = []
  while (at < end) {
    const d = new Date(at)
    labels.push(d.toISOString().slice(0, bucket === 'month' ? 7 : 10))
    starts.push(new Date(at - offsetMs).toISOString())
    at =
      bucket === 'month'
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        : at + (bucket === 'week' ? 7 : 1) * DAY
  }
  return { labels, starts }
}

/**
 * Customers covered per group: the (group, customer) pairs deduplicated by hashing, then counted per group
 * — one pass, where `count(distinct)` sorts each group. A period's bucket is found by comparing the instant
 * with the buckets' starts (`width_bucket`) when the zone's offset holds all through the period (China's
 * does): the same bucket as the local time's, without converting every record to local time.
 */
async function coveredGroups(ctx: ServiceContext, env: RunEnv): Promise<Map<string | null, number>> {
  const [{ fWhere, vWhere, fKey, vKey }, offset] = await Promise.all([
    sources(ctx, env),
    env.dimension.kind === 'period' ? steadyOffset(ctx, env.period) : Promise.resolve(null),
  ])
  const buckets =
    offset === null ? null : bucketsOf(env.period, env.dimension.key as 'month' | 'week' | 'day', offset)
  const starts = buckets ? `{${buckets.starts.join(',')}}` : ''
  const fk = buckets ? sql`width_bucket(${followUps.createdAt}, ${starts}::timestamptz[])` : fKey
  const vk = buckets ? sql`width_bucket(${visits.checkInAt}, ${starts}::timestamptz[])` : vKey
  const rows = resultRows<{ k: string | number | null; n: number }>(
    await ctx.db.execute(sql`
      select k, count(*)::int as n from (
        select k, customer_id from (
          select ${fk} as k, ${followUps.customerId} as customer_id from ${followUps} where ${fWhere}
          union all
          select ${vk} as k, ${visits.customerId} as customer_id from ${visits} where ${vWhere}
        ) s group by k, customer_id
      ) g group by k`),
  )
  const out = new Map<string | null, number>()
  for (const r of rows) {
    const k = buckets ? (buckets.labels[Number(r.k) - 1] ?? null) : (r.k as string | null)
    out.set(k, Number(r.n))
  }
  return out
}

/** Customers covered in all: the customers of the period's records, deduplicated by hashing and counted. */
async function coveredTotal(ctx: ServiceContext, env: RunEnv): Promise<number> {
  const { fWhere, vWhere } = await sources(ctx, env)
  const [r] = resultRows<{ n: number }>(
    await ctx.db.execute(sql`
      select count(*)::int as n from (
        select customer_id from (
          select ${followUps.customerId} as customer_id from ${followUps} where ${fWhere}
          union all
          select ${visits.customerId} as customer_id from ${visits} where ${vWhere}
        ) s group by customer_id
      ) g`),
  )
  return Number(r?.n ?? 0)
}

/**
 * Customers covered as rows: per group, or the total as one row (none without records). The reference
 * reads both from one statement; the fast path runs the groups and the total as two statements, which the
 * rows and the totals of a run issue side by side.
 */
async function coveredRows(
  ctx: ServiceContext,
  env: RunEnv,
  grouped: boolean,
): Promise<Array<{ k: string | null; n: number }>> {
  if (env.reference) {
    const c = await coveredReference(ctx, env)
    return grouped
      ? [...c.groups].map(([k, n]) => ({ k, n }))
      : c.groups.size > 0
        ? [{ k: null, n: c.all }]
        : []
  }
  if (grouped) return [...(await coveredGroups(ctx, env))].map(([k, n]) => ({ k, n }))
  const all = await coveredTotal(ctx, env)
  return all > 0 ? [{ k: null, n: all }] : []
}

/** Figures of one group, or of all rows when `grouped` is false (the totals). */
async function figures(ctx: ServiceContext, env: RunEnv, grouped: boolean): Promise<ReportRow[]> {
  const { fWhere, vWhere, fKey, vKey } = await sources(ctx, env)
  const fk = grouped ? fKey : sql`null`
  const vk = grouped ? vKey : sql`null`
  const [f, v, c] = await Promise.all([
    env.reference ? rawFollowUps(ctx, fk, fWhere) : Promise.resolve([]),
    env.reference ? rawVisits(ctx, vk, vWhere) : rolledUp(ctx, env, grouped),
    coveredRows(ctx, env, grouped),
  ])
  const rows = new Map<string | null, ReportRow>()
  const row = (k: string | null): ReportRow => {
    let r = rows.get(k)
    if (!r) {
      r = {
        key: k,
        label: '',
        values: { followUps: 0, visits: 0, customersCovered: 0, flaggedVisits: 0, avgVisitMinutes: null },
      }
      rows.set(k, r)
    }
    return r
  }
  for (const x of f) row(x.k).values.followUps = Number(x.n)
  for (const x of v) {
    const r = row(x.k)
    if ('followUps' in x) r.values.followUps = Number(x.followUps)
    r.values.visits = Number(x.n)
    r.values.flaggedVisits = Number(x.flagged)
    r.values.avgVisitMinutes = x.minutes === null ? null : Number(x.minutes)
  }
  for (const x of c) row(x.k).values.customersCovered = x.n
  return [...rows.values()]
}

/**
 * Activity (行为统计): follow-ups and visits per rep or per period — how many, how many customers they
 * covered, visits checked in far from the customer, and time on site.
 */
export const activityReport: ReportDefinition = {
  key: 'activity',
  title: { zh: '跟进与拜访', en: 'Follow-ups and visits' },
  description: {
    zh: '期间内每人的跟进、拜访、覆盖客户数、异常签到与平均拜访时长',
    en: 'Follow-ups, visits, customers covered, far check-ins and time on site, per person',
  },
  dimensions: [
    { key: 'person', label: { zh: '人员', en: 'Person' }, kind: 'person' },
    { key: 'month', label: { zh: '按月', en: 'By month' }, kind: 'period' },
    { key: 'week', label: { zh: '按周', en: 'By week' }, kind: 'period' },
    { key: 'day', label: { zh: '按天', en: 'By day' }, kind: 'period' },
  ],
  measures: [
    { key: 'followUps', label: { zh: '跟进', en: 'Follow-ups' }, unit: 'count', additive: true },
    { key: 'visits', label: { zh: '拜访', en: 'Visits' }, unit: 'count', additive: true },
    {
      key: 'customersCovered',
      label: { zh: '覆盖客户', en: 'Customers covered' },
      unit: 'count',
      additive: false,
    },
    { key: 'flaggedVisits', label: { zh: '异常签到', en: 'Far check-ins' }, unit: 'count', additive: true },
    {
      key: 'avgVisitMinutes',
      label: { zh: '平均拜访时长（分钟）', en: 'Average visit (minutes)' },
      unit: 'minutes',
      additive: false,
    },
  ],
  timing: 'period',
  rows: (ctx, env) => figures(ctx, env, true),
  async totals(ctx, env) {
    const [all] = await figures(ctx, env, false)
    return all?.values ?? {}
  },
  async records(ctx, env, drill) {
    const { fWhere, vWhere, fKey, vKey } = await sources(ctx, env)
    const match = (key: SQL | AnyPgColumn) =>
      drill.value === undefined
        ? undefined
        : drill.value === null
          ? isNull(key)
          : sql`${key} = ${drill.value}`
    const wantFollowUps =
      !drill.measure || drill.measure === 'followUps' || drill.measure === 'customersCovered'
    const wantVisits = drill.measure !== 'followUps'
    const out: RecordRef[] = []
    if (wantFollowUps) {
      const rows = await ctx.db
        .select({
          id: followUps.id,
          customerId: followUps.customerId,
          name: customers.name,
          content: followUps.content,
          at: followUps.createdAt,
        })
        .from(followUps)
        .innerJoin(customers, eq(customers.id, followUps.customerId))
        .where(and(fWhere, match(fKey)))
        .orderBy(desc(followUps.createdAt))
        .limit(drill.limit)
      for (const r of rows)
        out.push({
          kind: 'follow_up',
          id: r.id,
          title: r.name,
          subtitle: r.content.slice(0, 80),
          at: r.at.toISOString(),
          link: `/app/customers/${r.customerId}`,
        })
    }
    if (wantVisits) {
      const rows = await ctx.db
        .select({
          id: visits.id,
          customerId: visits.customerId,
          name: customers.name,
          summary: visits.summary,
          at: visits.checkInAt,
          flagged: visits.checkInFlagged,
        })
        .from(visits)
        .innerJoin(customers, eq(customers.id, visits.customerId))
        .where(
          and(
            vWhere,
            match(vKey),
            drill.measure === 'flaggedVisits' ? eq(visits.checkInFlagged, true) : undefined,
          ),
        )
        .orderBy(desc(visits.checkInAt))
        .limit(drill.limit)
      for (const r of rows)
        out.push({
          kind: 'visit',
          id: r.id,
          title: r.name,
          subtitle: r.summary,
          at: r.at ? r.at.toISOString() : null,
          link: `/app/customers/${r.customerId}`,
        })
    }
    return out.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '')).slice(0, drill.limit)
  },
}
