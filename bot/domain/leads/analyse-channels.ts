import { and, eq, gte, lt, type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import {
  leadOwnerMonthly,
  leadOwnerWeekly,
  leadOwnerWeeklyChannel,
  leads,
  opportunities,
} from '../../../db/schema'
import { UNNAMED_STATEMENT } from '../../../db/unnamed'
import { resultRows } from '../../lib/sql-rows'
import { zonedDayStart } from '../../lib/zoned'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { scopeFilter } from '../org/data-scope'
import { tenantTimeZone } from '../org/time-zone'
import { type LeadAccess, loadLeadAccess } from './access'
import {
  bucketSql,
  CONTACT_BUCKETS,
  CONTACT_MINUTE_EDGES,
  CONVERT_BUCKETS,
  CONVERT_DAY_EDGES,
  chinaDayStart,
  ROLLUP_COLUMNS,
  rebuildRollups,
  rollupZone,
} from './rollup'
import { type AnalysisInput, analysisInput, parseInput } from './schemas'

const DAY = 86_400_000

export interface Counts {
  leads: number
  contacted: number
  qualified: number
  converted: number
  invalid: number
  slaBreached: number
  spam: number
}

export interface AnalysisRow extends Counts {
  channelId: string
  channelName: string
  campaignId: string | null
  campaignName: string | null
  contactRate: number | null
  qualifyRate: number | null
  conversionRate: number | null
  slaBreachRate: number | null
  /** Actual cost in the period (monthly entries prorated by day); null when the caller may not see costs. */
  costCents: number | null
  costPerLeadCents: number | null
  costPerConvertedCents: number | null
  /** Opportunities won from this row's leads (linked by `leadId`) and their amount. */
  wonDeals: number
  wonAmountCents: number
  /** Return on the cost: won amount ÷ cost (null without a cost or when costs are hidden). */
  roi: number | null
  medianMinutesToFirstContact: number | null
  medianDaysToConversion: number | null
  /** Query parameters of `GET /api/v1/crm/leads` listing the leads behind this row. */
  drill: Record<string, string>
}

export interface ChannelAnalysis {
  from: string
  to: string
  by: 'channel' | 'campaign'
  rows: AnalysisRow[]
  total: AnalysisRow
  trend: Array<{ week: string } & Omit<Counts, 'invalid' | 'slaBreached' | 'spam'>>
  /** Whether costs are shown (lead managers) and the figures cover everyone's leads. */
  allLeads: boolean
}

const EMPTY: Counts = {
  leads: 0,
  contacted: 0,
  qualified: 0,
  converted: 0,
  invalid: 0,
  slaBreached: 0,
  spam: 0,
}
const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null)
const per = (cost: number | null, n: number): number | null =>
  cost === null || n === 0 ? null : Math.round(cost / n)

type Grain = { channelId: string; campaignId: string }
const keyOf = (g: Grain, by: 'channel' | 'campaign') =>
  by === 'channel' ? g.channelId : `${g.channelId}|${g.campaignId}`

const addDay = (day: string, n: number): string =>
  new Date(new Date(`${day}T00:00:00Z`).getTime() + n * DAY).toISOString().slice(0, 10)
const nextMonth = (month: string): string => {
  const d = new Date(`${month}T00:00:00Z`)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10)
}
const monthOf = (day: string): string => `${day.slice(0, 7)}-01`
/** ISO weekday of a day: 1 = Monday … 7 = Sunday. */
const weekday = (day: string): number => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1
/** Week pieces start on Mondays and on the first of each month. */
const isBoundary = (day: string): boolean => weekday(day) === 1 || day.endsWith('-01')
const firstBoundaryFrom = (day: string): string => {
  let x = day
  while (!isBoundary(x)) x = addDay(x, 1)
  return x
}
const lastBoundaryUpTo = (day: string): string => {
  let x = day
  while (!isBoundary(x)) x = addDay(x, -1)
  return x
}

/** How a period of days is read: whole months, whole week pieces, and raw edge days. */
export interface PeriodSplit {
  /** `[start, end)` month-first days read from the monthly rollup, or null. */
  months: [string, string] | null
  /** `[start, end)` day ranges of whole week pieces read from the weekly rollup (before and after the months). */
  pieces: Array<[string, string]>
  /** `[from, to]` (inclusive) days read from the leads: at most six at each end. */
  days: Array<[string, string]>
  /** `[start, end)` the rollups cover (the trend reads it as week pieces), or null. */
  covered: [string, string] | null
}

/**
 * Splits `[from, to]` (inclusive days) into whole calendar months, then whole week pieces (a Monday-to-Sunday
 * week cut at month starts), then the days left at either end (fewer than seven each).
 */
export function splitPeriod(from: string, to: string): PeriodSplit {
  const b0 = firstBoundaryFrom(from)
  const b1 = lastBoundaryUpTo(addDay(to, 1))
  if (b0 >= b1) return { months: null, pieces: [], days: [[from, to]], covered: null }
  const days: Array<[string, string]> = []
  if (from < b0) days.push([from, addDay(b0, -1)])
  if (b1 <= to) days.push([b1, to])
  const m0 = b0.endsWith('-01') ? b0 : nextMonth(monthOf(b0))
  const m1 = monthOf(b1)
  if (m0 >= m1) return { months: null, pieces: [[b0, b1]], days, covered: [b0, b1] }
  const pieces: Array<[string, string]> = []
  if (b0 < m0) pieces.push([b0, m0])
  if (m1 < b1) pieces.push([m1, b1])
  return { months: [m0, m1], pieces, days, covered: [b0, b1] }
}

type CountRow = Counts & { channelId: string; campaignId: string; buckets: number[] }
const COUNT_KEYS = ['leads', 'contacted', 'qualified', 'converted', 'invalid', 'slaBreached', 'spam'] as const
const STAGES = ['leads', 'contacted', 'qualified', 'converted', 'invalid', 'slaBreached'] as const
type Parsed = ReturnType<typeof analysisInput.parse>

/**
 * The rollup columns summed over the leads' distinct facts: `n` leads with the same status, SLA state and time
 * buckets `cb`, `vb` (null = never contacted / converted). Counting the leads per fact first and filtering the
 * few hundred facts after costs less than filtering every lead for every column.
 */
const RAW_COUNTS: Record<string, string> = {
  leads: 'sum(n)',
  contacted: `sum(n) filter (where cb is not null or status in ('contacted', 'qualified', 'converted'))`,
  qualified: `sum(n) filter (where status in ('qualified', 'converted'))`,
  converted: `sum(n) filter (where status = 'converted')`,
  invalid: `sum(n) filter (where status = 'invalid')`,
  sla_breached: `sum(n) filter (where sla_state = 'breached')`,
  ...Object.fromEntries(
    Array.from({ length: CONTACT_BUCKETS }, (_, i) => [`contact_b_${i}`, `sum(n) filter (where cb = ${i})`]),
  ),
  ...Object.fromEntries(
    Array.from({ length: CONVERT_BUCKETS }, (_, i) => [`convert_b_${i}`, `sum(n) filter (where vb = ${i})`]),
  ),
}

interface Reader {
  ctx: ServiceContext
  access: LeadAccess
  d: Parsed
  zone: string
}

/** The instant a day starts in the tenant's zone. */
const dayStart = (r: Reader, day: string): Date => zonedDayStart(day, r.zone)

/** Conditions on raw leads equivalent to the rollup's scope and period (days in the tenant's zone). */
function rawConds(r: Reader, from = r.d.from, to = r.d.to): SQL[] {
  const { ctx, access, d } = r
  const conds: SQL[] = [
    eq(leads.tenantId, ctx.tenantId),
    sql`${leads.mergedIntoId} is null`,
    gte(leads.createdAt, dayStart(r, from)),
    lt(leads.createdAt, dayStart(r, addDay(to, 1))),
  ]
  if (d.channelId) conds.push(eq(leads.channelId, d.channelId))
  if (d.campaignId) conds.push(eq(leads.campaignId, d.campaignId))
  if (!access.canManage) conds.push(scopeFilter(access, leads.ownerId))
  return conds
}

/**
 * The leads of the days `[from, to]` ranges (the period's edge days, or all of a short period) counted per
 * distinct fact: row (channel, campaign), week, status, SLA state and time buckets, `n` leads each. Read once
 * (the CTE `edge`) for both the counts and the trend; the per-column filters then run over a few hundred facts
 * instead of every lead.
 */
function edgeFacts(r: Reader, days: Array<[string, string]>): SQL {
  const contact = bucketSql(sql`first_contacted_at`, sql`created_at`, 60, CONTACT_MINUTE_EDGES)
  const convert = bucketSql(sql`converted_at`, sql`created_at`, 86_400, CONVERT_DAY_EDGES)
  const campaign = r.d.by === 'campaign' ? sql`coalesce(campaign_id, '')` : sql`''`
  const ranges = days.map(
    ([from, to]) => sql`select channel_id, ${campaign} as campaign,
        date_trunc('week', created_at at time zone ${r.zone})::date as wk, status, sla_state, ${contact} as cb,
        ${convert} as vb
      from crm_leads where ${and(...rawConds(r, from, to))}`,
  )
  return sql`select channel_id, campaign, wk, status, sla_state, cb, vb, count(*) as n
    from (${sql.join(ranges, sql` union all `)}) l group by 1, 2, 3, 4, 5, 6, 7`
}

/** A branch summing the edge facts per row (`weekly`: per row and week). */
function edgeBranch(cols: string[], weekly: boolean): SQL {
  return sql`select channel_id, campaign, ${weekly ? sql`wk` : sql`null::date`} as wk,
      ${sql.raw(cols.map((c) => `${RAW_COUNTS[c]}::int as ${c}`).join(', '))}
    from edge group by 1, 2, 3`
}

type RollupTable = 'crm_lead_monthly' | 'crm_lead_weekly' | 'crm_lead_weekly_channel'
/** The owner rollup of each of everyone's rollups: a scoped caller reads its owners' rows there. */
const OWNER_TABLE = {
  crm_lead_monthly: leadOwnerMonthly,
  crm_lead_weekly: leadOwnerWeekly,
  crm_lead_weekly_channel: leadOwnerWeeklyChannel,
} as const

/**
 * A branch over a rollup's rows with keys in `[start, end)`: everyone's rollup for lead managers, else the
 * owner rollup limited to the owners in the caller's scope (the pool's row, owner '', is never in it).
 */
function rollupBranch(
  r: Reader,
  table: RollupTable,
  [start, end]: [string, string],
  cols: string[],
  weekly: boolean,
): SQL {
  const key = sql.raw(table === 'crm_lead_monthly' ? 'month' : 'start')
  const owned = r.access.canManage ? null : OWNER_TABLE[table]
  const filters = [
    r.d.channelId ? sql` and channel_id = ${r.d.channelId}` : sql``,
    r.d.campaignId ? sql` and campaign_id = ${r.d.campaignId}` : sql``,
    owned ? sql` and ${scopeFilter(r.access, owned.ownerId)}` : sql``,
  ]
  const byCampaign = r.d.by === 'campaign' && table !== 'crm_lead_weekly_channel'
  return sql`select channel_id, ${byCampaign ? sql`campaign_id` : sql`''`} as campaign,
      ${weekly ? sql`date_trunc('week', ${key})::date` : sql`null::date`} as wk, ${sql.raw(cols.join(', '))}
    from ${owned ?? sql.raw(table)}
    where tenant_id = ${r.ctx.tenantId} and ${key} >= ${start}::date and ${key} < ${end}::date${sql.join(filters, sql``)}`
}

/** The SQL summing the branches (UNION ALL) per row (channel or campaign) or per week. */
function sumSql(branches: SQL[], cols: string[], by: 'row' | 'week'): SQL {
  const group = by === 'row' ? sql`channel_id, campaign` : sql`wk`
  const sums = sql.raw(cols.map((c) => `coalesce(sum(${c}), 0)::int as ${c}`).join(', '))
  const select =
    by === 'row'
      ? sql`select channel_id, campaign, ${sums}`
      : sql`select to_char(wk, 'YYYY-MM-DD') as week, ${sums}`
  return sql`${select} from (${sql.join(branches, sql` union all `)}) u group by ${group}`
}

/** A counted row as the statement sends it: `[channel_id, campaign, ...ROLLUP_COLUMNS]` (see {@link COUNT_ROW}). */
const toCount = (row: unknown[], spam = 0): CountRow => ({
  channelId: String(row[0]),
  campaignId: String(row[1] ?? ''),
  leads: Number(row[2]),
  contacted: Number(row[3]),
  qualified: Number(row[4]),
  converted: Number(row[5]),
  invalid: Number(row[6]),
  slaBreached: Number(row[7]),
  spam,
  buckets: row.slice(2 + STAGES.length).map(Number),
})
/**
 * The counted rows' JSON: arrays, not objects. With the time buckets a row has 28 columns; as objects their
 * keys were most of the ~250 KB a by-campaign analysis parsed per call (and built on the server).
 */
const COUNT_ROW = `json_build_array(channel_id, campaign, ${ROLLUP_COLUMNS.join(', ')})`
const ZERO_COUNTS = ROLLUP_COLUMNS.map(() => 0)

/**
 * The branches counting (with time buckets) per row for the period: whole months from the monthly rollup,
 * whole week pieces from the weekly one and at most six days at each end from the leads. Everyone's figures
 * (lead managers) read everyone's rollups; a caller limited to some owners' leads (rep, department manager)
 * the owner rollups' rows of those owners and, for the edge days, those owners' leads (the owner index).
 */
function countBranches(r: Reader, split: PeriodSplit): SQL[] {
  const branches: SQL[] = []
  if (split.months) branches.push(rollupBranch(r, 'crm_lead_monthly', split.months, ROLLUP_COLUMNS, false))
  for (const p of split.pieces) branches.push(rollupBranch(r, 'crm_lead_weekly', p, ROLLUP_COLUMNS, false))
  if (split.days.length > 0) branches.push(edgeBranch(ROLLUP_COLUMNS, false))
  return branches
}

/** The counted rows with each row's spam added (a row with spam only still shows). */
function withSpam(
  rows: unknown[][],
  spam: Array<{ channel_id: string; campaign: string; spam: number }>,
): CountRow[] {
  const out = new Map<string, CountRow>(rows.map((x) => [`${x[0]}|${x[1]}`, toCount(x)]))
  for (const s of spam) {
    const k = `${s.channel_id}|${s.campaign}`
    const cur = out.get(k) ?? toCount([s.channel_id, s.campaign, ...ZERO_COUNTS])
    cur.spam = Number(s.spam)
    out.set(k, cur)
  }
  return [...out.values()]
}

/** Discarded submissions per row over the period's days. */
function spamSql(r: Reader): SQL {
  const { d, ctx } = r
  return sql`
      select channel_id, ${d.by === 'campaign' ? sql`campaign_id` : sql`''`} as campaign, sum(spam)::int as spam
      from crm_lead_spam_daily
      where tenant_id = ${ctx.tenantId} and day >= ${d.from}::date and day <= ${d.to}::date
        ${d.channelId ? sql`and channel_id = ${d.channelId}` : sql``}
        ${d.campaignId ? sql`and campaign_id = ${d.campaignId}` : sql``}
      group by 1, 2 having sum(spam) > 0`
}

const TREND_COLS = ['leads', 'contacted', 'qualified', 'converted']

/** The weekly trend's branches: the covered days as week pieces summed per week, the edge days from the leads. */
function trendBranches(r: Reader, split: PeriodSplit): SQL[] {
  const branches: SQL[] = []
  // Campaigns summed per channel (a tenth of the rows), unless one campaign is asked for.
  const table = r.d.campaignId ? 'crm_lead_weekly' : 'crm_lead_weekly_channel'
  if (split.covered) branches.push(rollupBranch(r, table, split.covered, TREND_COLS, true))
  if (split.days.length > 0) branches.push(edgeBranch(TREND_COLS, true))
  return branches
}

type TrendRow = { week: string; leads: number; contacted: number; qualified: number; converted: number }

/**
 * The period's counts per row, its spam, its weekly trend, the won deals of its leads, the tenant's channels
 * and campaigns and (for lead managers) each campaign's cost prorated to the period, in one statement: each part a CTE, sent back as one row `(part, json array)`. One statement
 * instead of eight: on a busy server the analysis's cost is per statement sent, more than per row read.
 */
async function readFigures(r: Reader, split: PeriodSplit) {
  const { ctx, d, access } = r
  const t = ctx.tenantId
  // [part, statement, how each row is sent (default: as an object)]
  const parts: Array<[string, SQLWrapper, string?]> = [
    ['c', sumSql(countBranches(r, split), ROLLUP_COLUMNS, 'row'), COUNT_ROW],
    ['t', sumSql(trendBranches(r, split), TREND_COLS, 'week')],
    ['h', sql`select id, name, sort from crm_lead_channels where tenant_id = ${t}`],
    ['w', wonDeals(r)],
  ]
  // Campaign names: every campaign's by campaign; by channel only the one filtered on (the total's name).
  if (d.by === 'campaign')
    parts.push(['a', sql`select id, name, channel_id from crm_lead_campaigns where tenant_id = ${t}`])
  else if (d.campaignId)
    parts.push([
      'a',
      sql`select id, name, channel_id from crm_lead_campaigns where tenant_id = ${t} and id = ${d.campaignId}`,
    ])
  if (access.canManage) {
    parts.push(['s', spamSql(r)])
    // Each month's cost prorated by the days of the period inside it, rounded half up per month as entered
    // (costs are ≥ 0: integer arithmetic), summed per campaign; each month's days worked out once; the
    // campaigns' channels joined to the sums (one row a campaign), not to every month's cost; by channel
    // summed per channel (a tenth of the rows to send).
    const perChannel = d.by === 'channel'
    parts.push([
      'k',
      sql`select ${perChannel ? sql`'' as campaign_id, ca.channel_id, sum(x.cost)::bigint as cost` : sql`x.campaign_id, ca.channel_id, x.cost`}
        from (select k.campaign_id, sum((k.amount_cents * m.overlap * 2 + m.days) / (2 * m.days))::bigint as cost
              from crm_lead_campaign_costs k
              join (select s::date as month, (s + interval '1 month')::date - s::date as days,
                      greatest(0, least((s + interval '1 month')::date, ${d.to}::date + 1) - greatest(s::date, ${d.from}::date)) as overlap
                    from generate_series(${`${d.from.slice(0, 7)}-01`}::date, ${d.to}::date, interval '1 month') s) m
                on m.month = k.month
              where k.tenant_id = ${t} and k.month >= ${`${d.from.slice(0, 7)}-01`}::date and k.month <= ${d.to}::date
                ${d.campaignId ? sql`and k.campaign_id = ${d.campaignId}` : sql``}
              group by 1) x
        join crm_lead_campaigns ca on ca.id = x.campaign_id
        where ca.tenant_id = ${t} ${d.channelId ? sql`and ca.channel_id = ${d.channelId}` : sql``}
        ${perChannel ? sql`group by ca.channel_id` : sql``}`,
    ])
  }
  // One row per part, its rows as one JSON array (one parse per part, not one per row).
  const rows = resultRows<{ part: string; rows: Array<Record<string, unknown>> | unknown[][] }>(
    await ctx.db.execute(
      sql`${sql.raw(UNNAMED_STATEMENT)} with ${split.days.length > 0 ? sql`edge as (${edgeFacts(r, split.days)}), ` : sql``}${sql.join(
        parts.map(([k, q]) => sql`${sql.raw(`p_${k}`)} as (${q})`),
        sql`, `,
      )} ${sql.join(
        parts.map(([k, , row]) =>
          sql.raw(`select '${k}' as part, coalesce(json_agg(${row ?? `p_${k}`}), '[]') as rows from p_${k}`),
        ),
        sql` union all `,
      )}`,
    ),
  )
  const of = (k: string) => (rows.find((x) => x.part === k)?.rows ?? []) as Array<Record<string, unknown>>
  const counts = withSpam(
    of('c') as unknown as unknown[][],
    of('s') as unknown as Array<{ channel_id: string; campaign: string; spam: number }>,
  )
  const trend = (of('t') as TrendRow[]).sort((a, b) => a.week.localeCompare(b.week))
  const channels = of('h').map((x) => ({ id: String(x.id), name: String(x.name), sort: Number(x.sort) }))
  const campaigns = of('a').map((x) => ({
    id: String(x.id),
    name: String(x.name),
    channelId: String(x.channel_id),
  }))
  const costs = access.canManage
    ? of('k').map((x) => ({
        campaignId: String(x.campaign_id),
        channelId: String(x.channel_id),
        costCents: Number(x.cost),
      }))
    : null
  const won = of('w') as unknown as WonRow[]
  return { counts, trend, channels, campaigns, costs, won }
}

/**
 * Above this many leads in a period, the medians come from the rollups' time buckets (interpolated
 * within a bucket): the exact percentile sorts every lead of the period, the costliest statement of the
 * analysis at 100k (EXPLAIN ANALYZE).
 */
export const EXACT_MEDIAN_LEADS = 2_000

interface MedianRow {
  total: number
  channelId: string
  campaignId: string
  medianContactSeconds: number | null
  medianConvertSeconds: number | null
}

const campaignOfLead = (d: Parsed) =>
  d.by === 'campaign' ? sql<string>`coalesce(${leads.campaignId}, '')` : sql<string>`''`

/**
 * Exact medians per row and for the total in one scan of the period's leads (grouping sets). Every column
 * is named as its field, so the query reads the same as part of the combined statement (JSON keys).
 */
function exactMedians(r: Reader) {
  const { ctx, d } = r
  const campaignExpr = campaignOfLead(d)
  return ctx.db
    .select({
      total: sql<number>`grouping(${leads.channelId})`.as('total'),
      channelId: sql<string>`${leads.channelId}`.as('channelId'),
      campaignId: sql<string>`${campaignExpr}`.as('campaignId'),
      medianContactSeconds: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${leads.firstContactedAt} - ${leads.createdAt}))`.as(
        'medianContactSeconds',
      ),
      medianConvertSeconds: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${leads.convertedAt} - ${leads.createdAt}))`.as(
        'medianConvertSeconds',
      ),
    })
    .from(leads)
    .where(
      and(...rawConds(r), sql`(${leads.firstContactedAt} is not null or ${leads.convertedAt} is not null)`),
    )
    .groupBy(
      d.by === 'campaign'
        ? sql`grouping sets ((${leads.channelId}, ${campaignExpr}), ())`
        : sql`grouping sets ((${leads.channelId}), ())`,
    )
}

/** Won opportunities converted from the period's leads, per row and in total (columns named as fields). */
function wonDeals(r: Reader) {
  const { ctx, d } = r
  const campaignExpr = campaignOfLead(d)
  return ctx.db
    .select({
      total: sql<number>`grouping(${leads.channelId})`.as('total'),
      channelId: sql<string>`${leads.channelId}`.as('channelId'),
      campaignId: sql<string>`${campaignExpr}`.as('campaignId'),
      wonDeals: sql<number>`count(*)::int`.as('wonDeals'),
      wonAmountCents: sql<string>`coalesce(sum(${opportunities.amountCents}), 0)::text`.as('wonAmountCents'),
    })
    .from(opportunities)
    .innerJoin(leads, and(eq(leads.tenantId, opportunities.tenantId), eq(leads.id, opportunities.leadId)))
    .where(
      and(
        eq(opportunities.tenantId, ctx.tenantId),
        eq(opportunities.status, 'won'),
        sql`${opportunities.leadId} is not null`,
        ...rawConds(r),
      ),
    )
    .groupBy(
      d.by === 'campaign'
        ? sql`grouping sets ((${leads.channelId}, ${campaignExpr}), ())`
        : sql`grouping sets ((${leads.channelId}), ())`,
    )
}

type WonRow = {
  total: number
  channelId: string
  campaignId: string
  wonDeals: number
  wonAmountCents: string
}

/** The interpolated median of a bucket histogram (`edges` upper edges, in `unit` seconds), or null. */
export function histogramMedian(
  counts: number[],
  edges: readonly number[],
  unitSeconds: number,
): number | null {
  const n = counts.reduce((a, b) => a + b, 0)
  if (n <= 0) return null
  const half = n / 2
  let before = 0
  for (const [i, c] of counts.entries()) {
    if (c > 0 && before + c >= half) {
      const lo = i === 0 ? 0 : (edges[i - 1] ?? 0)
      const hi = edges[i]
      if (hi === undefined) return lo * unitSeconds
      return (lo + ((half - before) / c) * (hi - lo)) * unitSeconds
    }
    before += c
  }
  return null
}

/** Medians per row and in total from the counted rows' time buckets, interpolated within the median's bucket. */
function bucketMedians(counts: CountRow[]): MedianRow[] {
  const all = new Array<number>(CONTACT_BUCKETS + CONVERT_BUCKETS).fill(0)
  const row = (total: number, channelId: string, campaignId: string, b: number[]): MedianRow => ({
    total,
    channelId,
    campaignId,
    medianContactSeconds: histogramMedian(b.slice(0, CONTACT_BUCKETS), CONTACT_MINUTE_EDGES, 60),
    medianConvertSeconds: histogramMedian(b.slice(CONTACT_BUCKETS), CONVERT_DAY_EDGES, 86_400),
  })
  const rows = counts.map((c) => {
    c.buckets.forEach((n, i) => {
      all[i] = (all[i] ?? 0) + n
    })
    return row(0, c.channelId, c.campaignId, c.buckets)
  })
  return [...rows, row(1, '', '', all)]
}

/**
 * The reference: the same counts by a plain GROUP BY over the leads table (no rollup). Tests check the
 * rollup against it after random writes; the benchmark reports both timings. Spam is only in the rollup.
 */
export async function rawChannelCounts({ ctx, input }: { ctx: ServiceContext; input: AnalysisInput }) {
  const d = parseInput(analysisInput, input)
  const [access, zone] = await Promise.all([loadLeadAccess(ctx), tenantTimeZone(ctx)])
  const r: Reader = { ctx, access, d, zone }
  const campaignCol = d.by === 'campaign' ? sql<string>`coalesce(${leads.campaignId}, '')` : sql<string>`''`
  return ctx.db
    .select({
      channelId: leads.channelId,
      campaignId: campaignCol,
      leads: sql<number>`count(*)::int`,
      contacted: sql<number>`count(*) filter (where ${leads.firstContactedAt} is not null or ${leads.status} in ('contacted','qualified','converted'))::int`,
      qualified: sql<number>`count(*) filter (where ${leads.status} in ('qualified','converted'))::int`,
      converted: sql<number>`count(*) filter (where ${leads.status} = 'converted')::int`,
      invalid: sql<number>`count(*) filter (where ${leads.status} = 'invalid')::int`,
      slaBreached: sql<number>`count(*) filter (where ${leads.slaState} = 'breached')::int`,
      medianContactSeconds: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${leads.firstContactedAt} - ${leads.createdAt}))`,
      medianConvertSeconds: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${leads.convertedAt} - ${leads.createdAt}))`,
    })
    .from(leads)
    .where(and(...rawConds(r)))
    .groupBy(...(d.by === 'campaign' ? [leads.channelId, campaignCol] : [leads.channelId]))
}

/**
 * Channel conversion analysis per channel (or campaign) for a period of creation days (the tenant's zone): leads,
 * contacted, qualified, converted and invalid (each lead counted in every stage it reached), rates, the SLA
 * breach rate, spam, actual cost prorated to the period, cost per lead and per converted lead, median time
 * to first contact and to conversion, won opportunities converted from the leads with their amount and the
 * ROI (won amount ÷ cost), a weekly trend, and drill-down parameters for the lead list. Everyone's
 * counts come from the monthly and weekly rollups maintained with every write (current to the last commit)
 * plus the edge days' leads, a scoped caller's from the owner rollups' rows of the owners in scope plus those
 * owners' edge-day leads; medians are exact up to
 * {@link EXACT_MEDIAN_LEADS} leads, else interpolated from the rollups' time buckets. A rep sees their own leads' figures without costs; `crm.leads.manage` sees all.
 */
export async function analyseChannels({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: AnalysisInput
}): Promise<ChannelAnalysis> {
  const d = parseInput(analysisInput, input)
  if (d.to < d.from) throw new InvalidInputError('to', 'to is before from')
  if (chinaDayStart(d.to).getTime() - chinaDayStart(d.from).getTime() > 800 * DAY)
    throw new InvalidInputError('to', 'at most 800 days per analysis')
  // No transaction: every figure comes from one statement (one snapshot; the exact medians of a small
  // period, when asked, from a second). BEGIN, SET and COMMIT were three of the call's six round trips. The
  // statement plans serially without `max_parallel_workers_per_gather = 0` (checked at 1M leads for every
  // caller and period shape): it reads the rollups' rows and at most six days of leads at each end.
  // Sent together: the caller's access (one statement), the tenant's zone (cached) and the rollups' zone.
  const [access, zone, cutIn] = await Promise.all([loadLeadAccess(ctx), tenantTimeZone(ctx), rollupZone(ctx)])
  return analyse(ctx, d, access, zone, cutIn)
}

async function analyse(
  ctx: ServiceContext,
  d: Parsed,
  access: LeadAccess,
  zone: string,
  cutIn: string,
): Promise<ChannelAnalysis> {
  // The tenant moved to another zone: its rollups are cut again in the new one before they are read.
  if (cutIn !== zone) await withTransaction(ctx, (_tx, c) => rebuildRollups(c))
  const r: Reader = { ctx, access, d, zone }
  const split = splitPeriod(d.from, d.to)
  // The medians wait for the counts: from the time buckets over many leads, exact over few.
  const { counts, trend, channels, campaigns, costs, won: wonRows } = await readFigures(r, split)
  // Medians: exact over the period's leads, or — for everyone's figures over many leads — from the
  // time buckets of the monthly rollup (whole months) and of the edge days' leads, interpolated.
  const periodLeads = counts.reduce((n, c) => n + c.leads, 0)
  const medianRows = periodLeads > EXACT_MEDIAN_LEADS ? bucketMedians(counts) : await exactMedians(r)
  const channelName = new Map(channels.map((c) => [c.id, c.name]))
  const channelSort = new Map(channels.map((c) => [c.id, c.sort]))
  const campaignOf = new Map(campaigns.map((c) => [c.id, c]))
  const cost = new Map<string, number>()
  let totalCost: number | null = costs ? 0 : null
  for (const c of costs ?? []) {
    const k = keyOf(c, d.by)
    cost.set(k, (cost.get(k) ?? 0) + c.costCents)
    totalCost = (totalCost ?? 0) + c.costCents
  }
  const raw = medianRows.filter((r) => Number(r.total) === 0)
  const allMedian = medianRows.find((r) => Number(r.total) === 1)
  const medians = new Map(raw.map((r) => [keyOf(r, d.by), r]))
  const wonOf = (r: { wonDeals: number; wonAmountCents: string }) => ({
    wonDeals: Number(r.wonDeals),
    wonAmountCents: Number(r.wonAmountCents),
  })
  const won = new Map(wonRows.filter((r) => Number(r.total) === 0).map((r) => [keyOf(r, d.by), wonOf(r)]))
  const wonTotal = wonRows.find((r) => Number(r.total) === 1)
  const drillBase: Record<string, string> = {
    from: d.from,
    to: d.to,
    ...(access.canManage ? {} : { scope: 'owned' }),
  }
  const build = (
    g: Grain,
    c: Counts,
    costCents: number | null,
    m: { medianContactSeconds: number | null; medianConvertSeconds: number | null } | undefined,
    w: { wonDeals: number; wonAmountCents: number } = { wonDeals: 0, wonAmountCents: 0 },
  ): AnalysisRow => ({
    channelId: g.channelId,
    channelName: channelName.get(g.channelId) ?? '',
    campaignId: g.campaignId || null,
    campaignName: g.campaignId ? (campaignOf.get(g.campaignId)?.name ?? null) : null,
    ...c,
    contactRate: ratio(c.contacted, c.leads),
    qualifyRate: ratio(c.qualified, c.contacted),
    conversionRate: ratio(c.converted, c.leads),
    slaBreachRate: ratio(c.slaBreached, c.leads),
    costCents,
    costPerLeadCents: per(costCents, c.leads),
    costPerConvertedCents: per(costCents, c.converted),
    ...w,
    roi: costCents ? Math.round((w.wonAmountCents / costCents) * 100) / 100 : null,
    medianMinutesToFirstContact:
      m?.medianContactSeconds != null ? Math.round(Number(m.medianContactSeconds) / 60) : null,
    medianDaysToConversion:
      m?.medianConvertSeconds != null
        ? Math.round((Number(m.medianConvertSeconds) / 86_400) * 10) / 10
        : null,
    drill: {
      ...drillBase,
      ...(g.channelId ? { channelId: g.channelId } : {}),
      ...(g.campaignId ? { campaignId: g.campaignId } : {}),
    },
  })
  const groups = new Map<string, { g: Grain; c: Counts }>()
  for (const row of counts) {
    const g = { channelId: row.channelId, campaignId: row.campaignId }
    const c = { ...EMPTY }
    for (const k of COUNT_KEYS) c[k] = row[k]
    groups.set(keyOf(g, d.by), { g, c })
  }
  for (const k of [...cost.keys(), ...won.keys()]) {
    if (groups.has(k)) continue
    const [channelId = '', campaignId = ''] = k.split('|')
    groups.set(k, { g: { channelId, campaignId }, c: { ...EMPTY } })
  }
  const rows = [...groups.entries()]
    .map(([k, { g, c }]) =>
      build(g, c, access.canManage ? (cost.get(k) ?? 0) : null, medians.get(k), won.get(k)),
    )
    .sort(
      (a, b) =>
        (channelSort.get(a.channelId) ?? 0) - (channelSort.get(b.channelId) ?? 0) ||
        a.channelId.localeCompare(b.channelId) ||
        (a.campaignName ?? '').localeCompare(b.campaignName ?? ''),
    )
  const sum = { ...EMPTY }
  for (const r of rows) for (const k of Object.keys(EMPTY) as Array<keyof Counts>) sum[k] += r[k]
  const total = build(
    { channelId: d.channelId ?? '', campaignId: d.campaignId ?? '' },
    sum,
    totalCost,
    allMedian,
    wonTotal ? wonOf(wonTotal) : undefined,
  )
  total.channelName = d.channelId ? (channelName.get(d.channelId) ?? '') : '合计'
  return { from: d.from, to: d.to, by: d.by, rows, total, trend, allLeads: access.canManage }
}
