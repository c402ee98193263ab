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
 * raw counts, read from one row per person and day — the groups and the totals in one statement (`grouping
 * sets`), shared by the rows and the totals of a run. A person nobody (`''`, a follow-up without author) is
 * the null key, as in the raw rows; groups whose records were all deleted leave no row.
 */
const rolledMemo = new WeakMap<RunEnv, Promise<{ groups: VisitFigures[]; all: VisitFigures[] }>>()
function rolledUp(ctx: ServiceContext, env: RunEnv, grouped: boolean): Promise<VisitFigures[]> {
  let hit = rolledMemo.get(env)
  if (!hit) {
    hit = rollupBoth(ctx, env)
    rolledMemo.set(env, hit)
  }
  return hit.then((r) => (grouped ? r.groups : r.all))
}

async function rollupBoth(ctx: ServiceContext, env: RunEnv) {
  // Without parameters, so that GROUP BY and grouping() match the selected expression by its text.
  const k =
    env.dimension.kind === 'period'
      ? bucketOfDay(personDaily.day, env.dimension.key as 'month' | 'week' | 'day')
      : sql`nullif(${personDaily.userId}, '')`
  const rows = await ctx.db
    .select({
      k: sql<string | null>`${k}`,
      whole: sql<number>`grouping(${k})::int`,
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
    .groupBy(sql`grouping sets ((${k}), ())`)
  const some = (r: VisitFigures) => Number(r.followUps) !== 0 || Number(r.n) !== 0
  return {
    groups: rows.filter((r) => Number(r.whole) === 0 && some(r)),
    all: rows.filter((r) => Number(r.whole) === 1 && some(r)).map((r) => ({ ...r, k: null })),
  }
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

/** A stretch of the period in which the zone's offset from UTC holds: from `start` (ms) on, `offsetMs` ahead. */
interface ZoneStretch {
  start: number
  offsetMs: number
}

/**
 * The period cut where the zone's offset changes (daylight saving, a new standard time), by the database's
 * own zone rules — those the reference's local times follow: the offset at the start, then each change at
 * the second it happens (the offsets are sampled hourly; a change is looked for second by second in the hour
 * it shows in; two changes within an hour would be seen as one, which no zone has). Null past 64 changes
 * (never in two years of a real zone). Asked once per database, zone and period.
 */
const stretchesAsked = new WeakMap<object, Map<string, Promise<ZoneStretch[] | null>>>()
function zoneStretches(ctx: ServiceContext, period: Period): Promise<ZoneStretch[] | null> {
  const byDb = stretchesAsked.get(ctx.db) ?? new Map<string, Promise<ZoneStretch[] | null>>()
  stretchesAsked.set(ctx.db, byDb)
  const key = `${period.zone}|${period.start.toISOString()}|${period.end.toISOString()}`
  let hit = byDb.get(key)
  if (!hit) {
    const offset = (x: SQL) =>
      sql`extract(epoch from (${x} at time zone ${period.zone}) - (${x} at time zone 'UTC'))`
    hit = (async () => {
      const rows = resultRows<{ at: number | string; o: number | string }>(
        await ctx.db.execute(sql`
          with h as (
            select x, ${offset(sql`x`)} as o from (
              select generate_series(${period.start.toISOString()}::timestamptz,
                ${period.end.toISOString()}::timestamptz, interval '1 hour') as x
              -- The end too, when the period is not whole hours (an offset changed by 30 or 45 minutes).
              union select ${period.end.toISOString()}::timestamptz
            ) xs
          ), c as (select x, o, lag(o) over (order by x) as p from h)
          select extract(epoch from x)::float8 as at, o::float8 as o from c where p is null
          union all
          select (select extract(epoch from min(y))::float8
                  from generate_series(c.x - interval '3599 seconds', c.x, interval '1 second') y
                  where ${offset(sql`y`)} = c.o), c.o::float8
          from c where c.o <> c.p
          order by 1`),
      )
      if (rows.length === 0 || rows.length > 65) return null
      return rows.map((r) => ({ start: Number(r.at) * 1000, offsetMs: Number(r.o) * 1000 }))
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
 * The period's buckets as `bucketOf` labels them (`labels`), and the instants where the bucket of a local
 * time changes (`starts`, ascending: each stretch's start and the local midnights that begin a bucket in
 * it), each with the index of its label (`label`, 1-based): a record's bucket is the label of the last start
 * at or before it. A day cut by an offset change has two starts and one label; a local day that comes back
 * (an offset going back over midnight) gets its label again.
 */
function bucketsOf(period: Period, bucket: 'month' | 'week' | 'day', stretches: ZoneStretch[]) {
  const DAY = 86_400_000
  // Local wall-clock times written as UTC instants: calendar arithmetic without a zone.
  const bucketStart = (local: number) => {
    const d = new Date(local)
    return bucket === 'month'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) -
          (bucket === 'week' ? ((d.getUTCDay() + 6) % 7) * DAY : 0)
  }
  const nextStart = (at: number) => {
    const d = new Date(at)
    return bucket === 'month'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
      : at + (bucket === 'week' ? 7 : 1) * DAY
  }
  const labels: string[] = []
  const index = new Map<string, number>()
  const starts: string[] = []
  const label: number[] = []
  const cut = (instant: number, local: number) => {
    const text = new Date(local).toISOString().slice(0, bucket === 'month' ? 7 : 10)
    let i = index.get(text)
    if (i === undefined) {
      labels.push(text)
      i = labels.length
      index.set(text, i)
    }
    starts.push(new Date(instant).toISOString())
    label.push(i)
  }
  stretches.forEach((s, j) => {
    const from = Math.max(s.start, period.start.getTime())
    const to = Math.min(stretches[j + 1]?.start ?? period.end.getTime(), period.end.getTime())
    if (from >= to) return
    cut(from, bucketStart(from + s.offsetMs))
    for (let at = nextStart(bucketStart(from + s.offsetMs)); at - s.offsetMs < to; at = nextStart(at))
      cut(at - s.offsetMs, at)
  })
  return { labels, starts, label }
}

/**
 * Customers covered per group: the (group, customer) pairs deduplicated by hashing, then counted per group
 * — one pass, where `count(distinct)` sorts each group. A period's bucket is found by comparing the instant
 * with the instants the buckets start at (`width_bucket`, daylight saving included): the same bucket as its
 * local time's, without converting every record to local time.
 */
async function coveredGroups(ctx: ServiceContext, env: RunEnv): Promise<Map<string | null, number>> {
  const [{ fWhere, vWhere, fKey, vKey }, stretches] = await Promise.all([
    sources(ctx, env),
    env.dimension.kind === 'period' ? zoneStretches(ctx, env.period) : Promise.resolve(null),
  ])
  const buckets =
    stretches === null
      ? null
      : bucketsOf(env.period, env.dimension.key as 'month' | 'week' | 'day', stretches)
  const bucketOfInstant = (at: AnyPgColumn) =>
    buckets
      ? sql`(${`{${buckets.label.join(',')}}`}::int[])[width_bucket(${at}, ${`{${buckets.starts.join(',')}}`}::timestamptz[])]`
      : null
  const fk = bucketOfInstant(followUps.createdAt) ?? fKey
  const vk = bucketOfInstant(visits.checkInAt) ?? vKey
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
