import { and, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm'
import {
  leadCampaignCosts,
  leadCampaigns,
  leadChannels,
  leadDaily,
  leadMonthly,
  leads,
  opportunities,
} from '../../../db/schema'
import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import { scopeFilter } from '../org/data-scope'
import { type LeadAccess, loadLeadAccess } from './access'
import { CONTACT_MINUTE_EDGES, CONVERT_DAY_EDGES, chinaDayStart, monthOf } from './rollup'
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

/** Whole days of `[from, to]` (inclusive) inside the calendar month starting at `month`. */
function overlapDays(month: string, from: string, to: string): { overlap: number; days: number } {
  const start = new Date(`${month.slice(0, 7)}-01T00:00:00Z`)
  const next = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
  const days = Math.round((next.getTime() - start.getTime()) / DAY)
  const a = Math.max(start.getTime(), new Date(`${from}T00:00:00Z`).getTime())
  const b = Math.min(next.getTime(), new Date(`${to}T00:00:00Z`).getTime() + DAY)
  return { overlap: Math.max(0, Math.round((b - a) / DAY)), days }
}

type Grain = { channelId: string; campaignId: string }
const keyOf = (g: Grain, by: 'channel' | 'campaign') =>
  by === 'channel' ? g.channelId : `${g.channelId}|${g.campaignId}`

const nextDay = (day: string): string =>
  new Date(new Date(`${day}T00:00:00Z`).getTime() + DAY).toISOString().slice(0, 10)
const nextMonth = (month: string): string => {
  const d = new Date(`${month}T00:00:00Z`)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10)
}

/**
 * The whole calendar months inside `[from, to]` (`[start, end)` of month-first days) and the days around
 * them, or null when the period holds no whole month.
 */
export function splitMonths(
  from: string,
  to: string,
): { start: string; end: string; days: Array<[string, string]> } | null {
  const start = from.endsWith('-01') ? from : nextMonth(monthOf(from))
  const end = monthOf(nextDay(to))
  if (start >= end) return null
  const days: Array<[string, string]> = []
  if (from < start)
    days.push([from, new Date(new Date(`${start}T00:00:00Z`).getTime() - DAY).toISOString().slice(0, 10)])
  if (end <= to) days.push([end, to])
  return { start, end, days }
}

type CountRow = Counts & { channelId: string; campaignId: string }
const COUNT_KEYS = ['leads', 'contacted', 'qualified', 'converted', 'invalid', 'slaBreached', 'spam'] as const

/** Daily rollup counts per group for days `[from, to]`, in the caller's scope. */
function dailyCounts(
  ctx: ServiceContext,
  access: LeadAccess,
  d: ReturnType<typeof analysisInput.parse>,
  from: string,
  to: string,
) {
  const conds: SQL[] = [
    eq(leadDaily.tenantId, ctx.tenantId),
    gte(leadDaily.day, from),
    lte(leadDaily.day, to),
  ]
  if (d.channelId) conds.push(eq(leadDaily.channelId, d.channelId))
  if (d.campaignId) conds.push(eq(leadDaily.campaignId, d.campaignId))
  if (!access.canManage) conds.push(scopeFilter(access, leadDaily.ownerId))
  const campaignCol = d.by === 'campaign' ? leadDaily.campaignId : sql<string>`''`
  return ctx.db
    .select({
      channelId: leadDaily.channelId,
      campaignId: campaignCol,
      leads: sql<number>`sum(${leadDaily.leads})::int`,
      contacted: sql<number>`sum(${leadDaily.contacted})::int`,
      qualified: sql<number>`sum(${leadDaily.qualified})::int`,
      converted: sql<number>`sum(${leadDaily.converted})::int`,
      invalid: sql<number>`sum(${leadDaily.invalid})::int`,
      slaBreached: sql<number>`sum(${leadDaily.slaBreached})::int`,
      spam: sql<number>`sum(${leadDaily.spam})::int`,
    })
    .from(leadDaily)
    .where(and(...conds))
    .groupBy(...(d.by === 'campaign' ? [leadDaily.channelId, leadDaily.campaignId] : [leadDaily.channelId]))
}

/** Monthly rollup counts per group for months `[start, end)` (everyone's leads: lead managers only). */
function monthlyCounts(
  ctx: ServiceContext,
  d: ReturnType<typeof analysisInput.parse>,
  start: string,
  end: string,
) {
  const conds: SQL[] = [
    eq(leadMonthly.tenantId, ctx.tenantId),
    gte(leadMonthly.month, start),
    lt(leadMonthly.month, end),
  ]
  if (d.channelId) conds.push(eq(leadMonthly.channelId, d.channelId))
  if (d.campaignId) conds.push(eq(leadMonthly.campaignId, d.campaignId))
  const campaignCol = d.by === 'campaign' ? leadMonthly.campaignId : sql<string>`''`
  return ctx.db
    .select({
      channelId: leadMonthly.channelId,
      campaignId: campaignCol,
      leads: sql<number>`sum(${leadMonthly.leads})::int`,
      contacted: sql<number>`sum(${leadMonthly.contacted})::int`,
      qualified: sql<number>`sum(${leadMonthly.qualified})::int`,
      converted: sql<number>`sum(${leadMonthly.converted})::int`,
      invalid: sql<number>`sum(${leadMonthly.invalid})::int`,
      slaBreached: sql<number>`sum(${leadMonthly.slaBreached})::int`,
      spam: sql<number>`sum(${leadMonthly.spam})::int`,
    })
    .from(leadMonthly)
    .where(and(...conds))
    .groupBy(
      ...(d.by === 'campaign' ? [leadMonthly.channelId, leadMonthly.campaignId] : [leadMonthly.channelId]),
    )
}

/**
 * Rollup counts per group, in the caller's scope (the figures the analysis shows). Everyone's figures
 * (lead managers) read whole months from the monthly rollup and only the edge days from the daily one; a
 * rep's own figures read the daily rollup by owner.
 */
async function rollupCounts(
  ctx: ServiceContext,
  access: LeadAccess,
  d: ReturnType<typeof analysisInput.parse>,
): Promise<CountRow[]> {
  const split = access.canManage ? splitMonths(d.from, d.to) : null
  if (!split) return dailyCounts(ctx, access, d, d.from, d.to)
  const parts = await Promise.all([
    monthlyCounts(ctx, d, split.start, split.end),
    ...split.days.map(([a, b]) => dailyCounts(ctx, access, d, a, b)),
  ])
  const sum = new Map<string, CountRow>()
  for (const r of parts.flat()) {
    const k = `${r.channelId}|${r.campaignId}`
    const cur = sum.get(k)
    if (!cur) sum.set(k, { ...r })
    else for (const c of COUNT_KEYS) cur[c] += Number(r[c])
  }
  return [...sum.values()]
}

/** Conditions on raw leads equivalent to the rollup's scope and period. */
function rawConds(
  ctx: ServiceContext,
  access: LeadAccess,
  d: ReturnType<typeof analysisInput.parse>,
  from = d.from,
  to = d.to,
): SQL[] {
  const conds: SQL[] = [
    eq(leads.tenantId, ctx.tenantId),
    sql`${leads.mergedIntoId} is null`,
    gte(leads.createdAt, chinaDayStart(from)),
    lt(leads.createdAt, new Date(chinaDayStart(to).getTime() + DAY)),
  ]
  if (d.channelId) conds.push(eq(leads.channelId, d.channelId))
  if (d.campaignId) conds.push(eq(leads.campaignId, d.campaignId))
  if (!access.canManage) conds.push(scopeFilter(access, leads.ownerId))
  return conds
}

/** Above this many leads in a period, everyone's medians come from the rollup's time buckets. */
export const EXACT_MEDIAN_LEADS = 20_000

interface MedianRow {
  total: number
  channelId: string
  campaignId: string
  medianContactSeconds: number | null
  medianConvertSeconds: number | null
}

const campaignOfLead = (d: ReturnType<typeof analysisInput.parse>) =>
  d.by === 'campaign' ? sql<string>`coalesce(${leads.campaignId}, '')` : sql<string>`''`

/** Exact medians per row and for the total in one scan of the period's leads (grouping sets). */
function exactMedians(
  ctx: ServiceContext,
  access: LeadAccess,
  d: ReturnType<typeof analysisInput.parse>,
): Promise<MedianRow[]> {
  const campaignExpr = campaignOfLead(d)
  return ctx.db
    .select({
      total: sql<number>`grouping(${leads.channelId})`,
      channelId: leads.channelId,
      campaignId: campaignExpr,
      medianContactSeconds: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${leads.firstContactedAt} - ${leads.createdAt}))`,
      medianConvertSeconds: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${leads.convertedAt} - ${leads.createdAt}))`,
    })
    .from(leads)
    .where(
      and(
        ...rawConds(ctx, access, d),
        sql`(${leads.firstContactedAt} is not null or ${leads.convertedAt} is not null)`,
      ),
    )
    .groupBy(
      d.by === 'campaign'
        ? sql`grouping sets ((${leads.channelId}, ${campaignExpr}), ())`
        : sql`grouping sets ((${leads.channelId}), ())`,
    )
}

/** `case` expression of a lead's bucket for a duration column (null when it has none). */
function bucketExpr(
  column: typeof leads.firstContactedAt | typeof leads.convertedAt,
  unitSeconds: number,
  edges: readonly number[],
) {
  const x = sql`extract(epoch from ${column} - ${leads.createdAt}) / ${sql.raw(String(unitSeconds))}`
  return sql.join(
    [
      sql`case when ${column} is null then null`,
      ...edges.map((e, i) => sql`when ${x} < ${sql.raw(String(e))} then ${sql.raw(String(i))}`),
      sql`else ${sql.raw(String(edges.length))} end`,
    ],
    sql` `,
  )
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

/**
 * Everyone's medians from time buckets: the monthly rollup's for the whole months, the edge days' leads
 * bucketed in the query, summed per row and in total and interpolated within the median's bucket.
 */
async function bucketMedians(
  ctx: ServiceContext,
  access: LeadAccess,
  d: ReturnType<typeof analysisInput.parse>,
  split: { start: string; end: string; days: Array<[string, string]> },
): Promise<MedianRow[]> {
  const nc = CONTACT_MINUTE_EDGES.length + 1
  const nv = CONVERT_DAY_EDGES.length + 1
  const conds: SQL[] = [
    eq(leadMonthly.tenantId, ctx.tenantId),
    gte(leadMonthly.month, split.start),
    lt(leadMonthly.month, split.end),
  ]
  if (d.channelId) conds.push(eq(leadMonthly.channelId, d.channelId))
  if (d.campaignId) conds.push(eq(leadMonthly.campaignId, d.campaignId))
  const monthCampaign = d.by === 'campaign' ? leadMonthly.campaignId : sql<string>`''`
  const bucketCols = [
    ...Array.from({ length: nc }, (_, i) => sql.raw(`contact_b_${i}`)),
    ...Array.from({ length: nv }, (_, i) => sql.raw(`convert_b_${i}`)),
  ]
  const monthly = ctx.db
    .select({
      channelId: leadMonthly.channelId,
      campaignId: monthCampaign,
      b: sql<string>`array[${sql.join(
        bucketCols.map((c) => sql`sum(${c})`),
        sql`, `,
      )}]::int[]::text`,
    })
    .from(leadMonthly)
    .where(and(...conds))
    .groupBy(
      ...(d.by === 'campaign' ? [leadMonthly.channelId, leadMonthly.campaignId] : [leadMonthly.channelId]),
    )
  const contactBucket = bucketExpr(leads.firstContactedAt, 60, CONTACT_MINUTE_EDGES)
  const convertBucket = bucketExpr(leads.convertedAt, 86_400, CONVERT_DAY_EDGES)
  const edges = split.days.map(([from, to]) => {
    const campaignExpr = campaignOfLead(d)
    return ctx.db
      .select({
        channelId: leads.channelId,
        campaignId: campaignExpr,
        b: sql<string>`array[${sql.join(
          [
            ...Array.from(
              { length: nc },
              (_, i) => sql`count(*) filter (where ${contactBucket} = ${sql.raw(String(i))})`,
            ),
            ...Array.from(
              { length: nv },
              (_, i) => sql`count(*) filter (where ${convertBucket} = ${sql.raw(String(i))})`,
            ),
          ],
          sql`, `,
        )}]::int[]::text`,
      })
      .from(leads)
      .where(and(...rawConds(ctx, access, d, from, to)))
      .groupBy(...(d.by === 'campaign' ? [leads.channelId, campaignExpr] : [leads.channelId]))
  })
  const parts = (await Promise.all([monthly, ...edges])).flat()
  const per = new Map<string, { channelId: string; campaignId: string; b: number[] }>()
  const all = new Array<number>(nc + nv).fill(0)
  for (const r of parts) {
    const b = String(r.b).replace(/[{}]/g, '').split(',').map(Number)
    const k = `${r.channelId}|${r.campaignId}`
    const cur = per.get(k) ?? {
      channelId: r.channelId,
      campaignId: r.campaignId,
      b: new Array(nc + nv).fill(0),
    }
    b.forEach((n, i) => {
      cur.b[i] = (cur.b[i] ?? 0) + n
      all[i] = (all[i] ?? 0) + n
    })
    per.set(k, cur)
  }
  const row = (total: number, channelId: string, campaignId: string, b: number[]): MedianRow => ({
    total,
    channelId,
    campaignId,
    medianContactSeconds: histogramMedian(b.slice(0, nc), CONTACT_MINUTE_EDGES, 60),
    medianConvertSeconds: histogramMedian(b.slice(nc), CONVERT_DAY_EDGES, 86_400),
  })
  return [...[...per.values()].map((r) => row(0, r.channelId, r.campaignId, r.b)), row(1, '', '', all)]
}

/**
 * The reference: the same counts by a plain GROUP BY over the leads table (no rollup). Tests check the
 * rollup against it after random writes; the benchmark reports both timings. Spam is only in the rollup.
 */
export async function rawChannelCounts({ ctx, input }: { ctx: ServiceContext; input: AnalysisInput }) {
  const d = parseInput(analysisInput, input)
  const access = await loadLeadAccess(ctx)
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
    .where(and(...rawConds(ctx, access, d)))
    .groupBy(...(d.by === 'campaign' ? [leads.channelId, campaignCol] : [leads.channelId]))
}

/**
 * Channel conversion analysis per channel (or campaign) for a period of creation days (China time): leads,
 * contacted, qualified, converted and invalid (each lead counted in every stage it reached), rates, the SLA
 * breach rate, spam, actual cost prorated to the period, cost per lead and per converted lead, median time
 * to first contact and to conversion, won opportunities converted from the leads with their amount and the
 * ROI (won amount ÷ cost), a weekly trend, and drill-down parameters for the lead list. Counts
 * come from the daily rollup maintained with every write, so they are current to the last commit; medians
 * come from the leads. A rep sees their own leads' figures without costs; `crm.leads.manage` sees all.
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
  const access = await loadLeadAccess(ctx)
  const campaignExpr = d.by === 'campaign' ? sql<string>`coalesce(${leads.campaignId}, '')` : sql<string>`''`
  const [counts, channels, campaigns, costs, trend, wonRows] = await Promise.all([
    rollupCounts(ctx, access, d),
    ctx.db
      .select({ id: leadChannels.id, name: leadChannels.name, sort: leadChannels.sort })
      .from(leadChannels)
      .where(eq(leadChannels.tenantId, ctx.tenantId)),
    ctx.db
      .select({ id: leadCampaigns.id, name: leadCampaigns.name, channelId: leadCampaigns.channelId })
      .from(leadCampaigns)
      .where(eq(leadCampaigns.tenantId, ctx.tenantId)),
    access.canManage
      ? ctx.db
          .select({
            campaignId: leadCampaignCosts.campaignId,
            month: leadCampaignCosts.month,
            amountCents: leadCampaignCosts.amountCents,
          })
          .from(leadCampaignCosts)
          .where(
            and(
              eq(leadCampaignCosts.tenantId, ctx.tenantId),
              gte(leadCampaignCosts.month, `${d.from.slice(0, 7)}-01`),
              lte(leadCampaignCosts.month, d.to),
            ),
          )
      : Promise.resolve(null),
    ctx.db
      .select({
        week: sql<string>`to_char(date_trunc('week', ${leadDaily.day}::timestamp), 'YYYY-MM-DD')`,
        leads: sql<number>`sum(${leadDaily.leads})::int`,
        contacted: sql<number>`sum(${leadDaily.contacted})::int`,
        qualified: sql<number>`sum(${leadDaily.qualified})::int`,
        converted: sql<number>`sum(${leadDaily.converted})::int`,
      })
      .from(leadDaily)
      .where(
        and(
          eq(leadDaily.tenantId, ctx.tenantId),
          gte(leadDaily.day, d.from),
          lte(leadDaily.day, d.to),
          d.channelId ? eq(leadDaily.channelId, d.channelId) : undefined,
          d.campaignId ? eq(leadDaily.campaignId, d.campaignId) : undefined,
          access.canManage ? undefined : scopeFilter(access, leadDaily.ownerId),
        ),
      )
      .groupBy(sql`1`)
      .orderBy(sql`1`),
    // Won opportunities converted from the period's leads, per row and in total.
    ctx.db
      .select({
        total: sql<number>`grouping(${leads.channelId})`,
        channelId: leads.channelId,
        campaignId: campaignExpr,
        wonDeals: sql<number>`count(*)::int`,
        wonAmountCents: sql<string>`coalesce(sum(${opportunities.amountCents}), 0)::text`,
      })
      .from(opportunities)
      .innerJoin(leads, and(eq(leads.tenantId, opportunities.tenantId), eq(leads.id, opportunities.leadId)))
      .where(
        and(
          eq(opportunities.tenantId, ctx.tenantId),
          eq(opportunities.status, 'won'),
          sql`${opportunities.leadId} is not null`,
          ...rawConds(ctx, access, d),
        ),
      )
      .groupBy(
        d.by === 'campaign'
          ? sql`grouping sets ((${leads.channelId}, ${campaignExpr}), ())`
          : sql`grouping sets ((${leads.channelId}), ())`,
      ),
  ])
  // Medians: exact over the period's leads, or — for everyone's figures over many leads — from the
  // time buckets of the monthly rollup (whole months) and of the edge days' leads, interpolated.
  const split = access.canManage ? splitMonths(d.from, d.to) : null
  const periodLeads = counts.reduce((n, r) => n + Number(r.leads), 0)
  const medianRows =
    split && periodLeads > EXACT_MEDIAN_LEADS
      ? await bucketMedians(ctx, access, d, split)
      : await exactMedians(ctx, access, d)
  const channelName = new Map(channels.map((c) => [c.id, c.name]))
  const channelSort = new Map(channels.map((c) => [c.id, c.sort]))
  const campaignOf = new Map(campaigns.map((c) => [c.id, c]))
  const cost = new Map<string, number>()
  let totalCost: number | null = costs ? 0 : null
  for (const c of costs ?? []) {
    const camp = campaignOf.get(c.campaignId)
    if (!camp) continue
    if (d.channelId && camp.channelId !== d.channelId) continue
    if (d.campaignId && c.campaignId !== d.campaignId) continue
    const { overlap, days } = overlapDays(c.month, d.from, d.to)
    if (overlap === 0) continue
    const share = Math.round((c.amountCents * overlap) / days)
    const k = keyOf({ channelId: camp.channelId, campaignId: c.campaignId }, d.by)
    cost.set(k, (cost.get(k) ?? 0) + share)
    totalCost = (totalCost ?? 0) + share
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
  for (const r of counts) {
    const g = { channelId: r.channelId, campaignId: r.campaignId }
    groups.set(keyOf(g, d.by), { g, c: { ...EMPTY, ...r } })
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
