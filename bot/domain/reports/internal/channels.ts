import { and, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import { leadChannels, leads, opportunities } from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import type { ServiceContext } from '../../context'
import { dealLink } from './deals'
import {
  type MeasureDef,
  pct,
  type RecordRef,
  type ReportDefinition,
  type ReportRow,
  type RunEnv,
} from './define'
import { bucketOf, inPeriod, peopleFilter } from './filters'

const keyOf = (env: RunEnv): SQL =>
  env.dimension.key === 'month'
    ? bucketOf(leads.createdAt, 'month', env.period)
    : env.dimension.key === 'owner'
      ? sql`${leads.ownerId}`
      : sql`${leads.channelId}`

/** Leads created in the period, in the caller's scope (by lead owner), not merged away, of the channel. */
export const leadCohort = async (ctx: ServiceContext, env: RunEnv): Promise<SQL> =>
  and(
    eq(leads.tenantId, ctx.tenantId),
    isNull(leads.mergedIntoId),
    inPeriod(leads.createdAt, env.period),
    await peopleFilter(ctx, env.scope, env.q, leads.ownerId),
    env.q.channelId ? eq(leads.channelId, env.q.channelId) : undefined,
  ) as SQL

// The same stage definitions as the channel analysis rollup (bot/domain/leads/rollup.ts).
const CONTACTED = sql`(${leads.firstContactedAt} is not null or ${leads.status} in ('contacted', 'qualified', 'converted'))`
const QUALIFIED = sql`${leads.status} in ('qualified', 'converted')`
const CONVERTED = sql`${leads.status} = 'converted'`
const INVALID = sql`${leads.status} = 'invalid'`

/** Leads behind a figure, newest first; a converted one opens its customer (there is no lead page). */
export async function leadRecords(ctx: ServiceContext, where: SQL, limit: number): Promise<RecordRef[]> {
  const rows = await ctx.db
    .select({
      id: leads.id,
      name: leads.name,
      company: leads.company,
      status: leads.status,
      customerId: leads.customerId,
      at: leads.createdAt,
    })
    .from(leads)
    .where(where)
    .orderBy(sql`${leads.createdAt} desc`)
    .limit(limit)
  return rows.map((r) => ({
    kind: 'lead',
    id: r.id,
    title: r.company ? `${r.name} · ${r.company}` : r.name,
    subtitle: r.status,
    at: r.at.toISOString(),
    link: r.customerId ? dealLink(r.customerId) : null,
  }))
}

/**
 * The cohort's lead counts per key, and beside them (a second statement, in parallel) the deals of its
 * converted leads per key: a join over the converted leads only, where a lateral sum per lead ran once for
 * every lead of the cohort (a department's year: 25,000 runs for 5,000 converted leads).
 */
async function figures(ctx: ServiceContext, env: RunEnv, grouped: boolean): Promise<ReportRow[]> {
  const k = grouped ? keyOf(env) : sql`null`
  const cohort = await leadCohort(ctx, env)
  const [counts, deals] = await Promise.all([
    ctx.db.execute(sql`
      select ${k} as k, count(*)::int as leads,
        (count(*) filter (where ${CONTACTED}))::int as contacted,
        (count(*) filter (where ${QUALIFIED}))::int as qualified,
        (count(*) filter (where ${CONVERTED}))::int as converted,
        (count(*) filter (where ${INVALID}))::int as invalid
      from ${leads}
      where ${cohort}
      group by 1`),
    ctx.db.execute(sql`
      select ${k} as k, count(*)::int as deals,
        (count(*) filter (where ${opportunities.status} = 'won'))::int as won,
        coalesce(sum(${opportunities.amountCents}) filter (where ${opportunities.status} = 'won'), 0)::float8 as won_amount
      from ${leads}
      inner join ${opportunities} on ${opportunities.tenantId} = ${leads.tenantId} and ${opportunities.leadId} = ${leads.id}
      where ${cohort} and ${CONVERTED}
      group by 1`),
  ])
  const dealsOf = new Map(
    resultRows<Record<string, number | string | null>>(deals).map((r) => [
      r.k === null ? null : String(r.k),
      r,
    ]),
  )
  const rows = resultRows<Record<string, number | string | null>>(counts).map((r) => ({
    ...r,
    ...dealsOf.get(r.k === null ? null : String(r.k)),
  }))
  return rows.map((r) => {
    const n = (x: unknown) => Number(x ?? 0)
    return {
      key: r.k === null ? null : String(r.k),
      label: '',
      values: {
        leads: n(r.leads),
        contacted: n(r.contacted),
        qualified: n(r.qualified),
        converted: n(r.converted),
        conversionRate: pct(n(r.converted), n(r.leads)),
        invalid: n(r.invalid),
        deals: n(r.deals),
        won: n(r.won),
        wonAmount: n(r.won_amount),
      },
    }
  })
}

/** The grouped figures of a run, computed once: its rows and its totals share them. */
const grouped = new WeakMap<RunEnv, Promise<ReportRow[]>>()
function groupedFigures(ctx: ServiceContext, env: RunEnv): Promise<ReportRow[]> {
  let hit = grouped.get(env)
  if (!hit) {
    hit = figures(ctx, env, true)
    grouped.set(env, hit)
  }
  return hit
}

const measures: MeasureDef[] = [
  { key: 'leads', label: { zh: '线索', en: 'Leads' }, unit: 'count', additive: true },
  { key: 'contacted', label: { zh: '已联系', en: 'Contacted' }, unit: 'count', additive: true },
  { key: 'qualified', label: { zh: '已确认', en: 'Qualified' }, unit: 'count', additive: true },
  { key: 'converted', label: { zh: '已转化', en: 'Converted' }, unit: 'count', additive: true },
  { key: 'conversionRate', label: { zh: '转化率', en: 'Conversion' }, unit: 'percent', additive: false },
  { key: 'invalid', label: { zh: '无效', en: 'Invalid' }, unit: 'count', additive: true },
  { key: 'deals', label: { zh: '商机', en: 'Deals' }, unit: 'count', additive: true },
  { key: 'won', label: { zh: '赢单', en: 'Won' }, unit: 'count', additive: true },
  { key: 'wonAmount', label: { zh: '赢单金额', en: 'Won amount' }, unit: 'cents', additive: true },
]

const LEAD_MEASURE: Record<string, SQL> = {
  contacted: CONTACTED,
  qualified: QUALIFIED,
  converted: CONVERTED,
  conversionRate: CONVERTED,
  invalid: INVALID,
}

/**
 * Channel conversion (渠道转化): the leads created in the period by channel (or owner, or month) — how many
 * were contacted, qualified, converted and invalid, the conversion rate, and the deals converted leads
 * became: how many, how many won and for how much. "Which channel converts" at a glance; costs stay in the
 * channel analysis for lead managers.
 */
export const channelsReport: ReportDefinition = {
  key: 'channels',
  title: { zh: '渠道转化', en: 'Channel conversion' },
  description: {
    zh: '期间内的线索按渠道：联系、确认、转化、无效、转化率，以及转化后的商机与赢单金额',
    en: 'Leads of the period by channel: contacted, qualified, converted, invalid, rate, and the deals won',
  },
  dimensions: [
    {
      key: 'channel',
      label: { zh: '渠道', en: 'Channel' },
      kind: 'text',
      async labelsOf(ctx, keys) {
        if (keys.length === 0) return new Map()
        const rows = await ctx.db
          .select({ id: leadChannels.id, name: leadChannels.name })
          .from(leadChannels)
          .where(and(eq(leadChannels.tenantId, ctx.tenantId), inArray(leadChannels.id, keys)))
        return new Map(rows.map((r) => [r.id, r.name]))
      },
    },
    { key: 'owner', label: { zh: '负责人', en: 'Owner' }, kind: 'person' },
    { key: 'month', label: { zh: '按月', en: 'By month' }, kind: 'period' },
  ],
  measures,
  timing: 'period',
  filters: ['channelId'],
  rows: (ctx, env) => groupedFigures(ctx, env),
  async totals(ctx, env) {
    // Every lead of the cohort is in exactly one group (its channel, owner — the pool is the null group — or
    // month), so the totals are the rows' sums: the additive measures are summed by the framework, the rate
    // is recomputed from the summed counts. The reference counts all rows over again, for the tests.
    if (env.reference) {
      const [all] = await figures(ctx, env, false)
      return all?.values ?? {}
    }
    const rows = await groupedFigures(ctx, env)
    const sum = (m: string) => rows.reduce((s, r) => s + (r.values[m] ?? 0), 0)
    return { conversionRate: rows.length ? pct(sum('converted'), sum('leads')) : null }
  },
  async records(ctx, env, drill) {
    const k = keyOf(env)
    const match =
      drill.value === undefined
        ? undefined
        : drill.value === null
          ? sql`${k} is null`
          : sql`${k} = ${drill.value}`
    const where = and(await leadCohort(ctx, env), match) as SQL
    if (drill.measure === 'deals' || drill.measure === 'won' || drill.measure === 'wonAmount') {
      const rows = await ctx.db
        .select({
          id: opportunities.id,
          name: opportunities.name,
          status: opportunities.status,
          customerId: opportunities.customerId,
          at: opportunities.createdAt,
        })
        .from(opportunities)
        .innerJoin(leads, and(eq(leads.tenantId, opportunities.tenantId), eq(leads.id, opportunities.leadId)))
        .where(and(where, drill.measure === 'deals' ? undefined : eq(opportunities.status, 'won')))
        .orderBy(sql`${opportunities.createdAt} desc`)
        .limit(drill.limit)
      return rows.map(
        (r): RecordRef => ({
          kind: 'opportunity',
          id: r.id,
          title: r.name,
          subtitle: r.status,
          at: r.at.toISOString(),
          link: dealLink(r.customerId),
        }),
      )
    }
    return leadRecords(
      ctx,
      and(where, drill.measure ? LEAD_MEASURE[drill.measure] : undefined) as SQL,
      drill.limit,
    )
  },
}
