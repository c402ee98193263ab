import { type SQL, sql } from 'drizzle-orm'
import { resultRows } from '../../lib/sql-rows'
import { DEFAULT_TIME_ZONE } from '../../lib/time-zone'
import type { ServiceContext } from '../context'
import { tenantTimeZone } from '../org/time-zone'
import type { LeadRow } from './access'

const CHINA_OFFSET_MS = 8 * 3_600_000

/** The calendar day (China time) of an instant, `YYYY-MM-DD` (daily quotas, the chat card's default month). */
export const chinaDay = (d: Date): string =>
  new Date(d.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10)

/** The instant a China-time day starts. */
export const chinaDayStart = (day: string): Date => new Date(`${day}T00:00:00+08:00`)

type Counted = Pick<
  LeadRow,
  | 'createdAt'
  | 'channelId'
  | 'campaignId'
  | 'status'
  | 'firstContactedAt'
  | 'slaState'
  | 'mergedIntoId'
  | 'convertedAt'
  | 'ownerId'
>

/** Upper edges of the time-to-first-contact buckets, in minutes (the last bucket is open). */
export const CONTACT_MINUTE_EDGES = [5, 15, 30, 60, 120, 240, 480, 1440, 2880, 4320, 10080] as const
/** Upper edges of the time-to-conversion buckets, in days (the last bucket is open). */
export const CONVERT_DAY_EDGES = [1, 2, 3, 5, 7, 14, 30, 60, 90] as const
export const CONTACT_BUCKETS = CONTACT_MINUTE_EDGES.length + 1
export const CONVERT_BUCKETS = CONVERT_DAY_EDGES.length + 1

/** The bucket of a duration (`edges` are upper edges; below the first edge is bucket 0). */
export function bucketOf(value: number, edges: readonly number[]): number {
  const i = edges.findIndex((e) => value < e)
  return i === -1 ? edges.length : i
}

/** One lead's contribution (`n` = +1 added, -1 taken away), as the rollup statements read it. */
interface Fact {
  at: string
  ch: string
  ca: string
  /** The owner ('' = the pool): the owner rollups' key. */
  ow: string
  /** 1 = counted in everyone's rollups too; 0 = the owner rollups only (the lead changed owner, nothing else). */
  g: number
  n: number
  co: number
  qu: number
  cv: number
  inv: number
  sla: number
  cb: number | null
  vb: number | null
}

const REACHED_CONTACT = new Set(['contacted', 'qualified', 'converted'])

/**
 * What one lead contributes to the rollups (the cohort of its creation time): counted once, and once for
 * every stage it has reached, with its time buckets, under its owner (the owner rollups; reassignment
 * moves it there and writes nothing to everyone's rollups). The raw reference query in `analyse-channels.ts` uses the same definitions.
 */
function factOf(lead: Counted | null, n: 1 | -1): Fact | null {
  if (!lead || lead.mergedIntoId) return null
  const created = lead.createdAt.getTime()
  return {
    at: lead.createdAt.toISOString(),
    ch: lead.channelId,
    ca: lead.campaignId ?? '',
    ow: lead.ownerId ?? '',
    g: 1,
    n,
    co: REACHED_CONTACT.has(lead.status) || lead.firstContactedAt ? n : 0,
    qu: lead.status === 'qualified' || lead.status === 'converted' ? n : 0,
    cv: lead.status === 'converted' ? n : 0,
    inv: lead.status === 'invalid' ? n : 0,
    sla: lead.slaState === 'breached' ? n : 0,
    cb: lead.firstContactedAt
      ? bucketOf((lead.firstContactedAt.getTime() - created) / 60_000, CONTACT_MINUTE_EDGES)
      : null,
    vb: lead.convertedAt
      ? bucketOf((lead.convertedAt.getTime() - created) / 86_400_000, CONVERT_DAY_EDGES)
      : null,
  }
}

/**
 * Moves a lead's contribution from its state `before` to `after` (null = absent) in the same transaction as
 * the write. Unchanged facts cost nothing; a change writes one statement.
 */
export async function applyRollup(
  ctx: ServiceContext,
  before: Counted | null,
  after: Counted | null,
): Promise<void> {
  await applyRollups(ctx, [[before, after]])
}

/** Whether two facts count the same (the owner aside unless `owner`). */
const same = (a: Fact | null, b: Fact | null, owner: boolean) =>
  a !== null &&
  b !== null &&
  (!owner || a.ow === b.ow) &&
  JSON.stringify({ ...a, ow: '', n: 0, co: !!a.co, qu: !!a.qu, cv: !!a.cv, inv: !!a.inv, sla: !!a.sla }) ===
    JSON.stringify({ ...b, ow: '', n: 0, co: !!b.co, qu: !!b.qu, cv: !!b.cv, inv: !!b.inv, sla: !!b.sla })

/**
 * {@link applyRollup} for many leads at once: one statement sums the facts per week piece and per month in
 * the rollup's time zone (SQL cuts the days, so no zone look-up goes before it) and upserts both rollups,
 * rows in key order so two transactions lock shared rows in the same order.
 */
export async function applyRollups(
  ctx: ServiceContext,
  changes: Array<[before: Counted | null, after: Counted | null]>,
): Promise<void> {
  const facts: Fact[] = []
  for (const [before, after] of changes) {
    const a = factOf(before, -1)
    const b = factOf(after, 1)
    if (same(a, b, true)) continue
    // Only the owner changed: the owner rollups move, everyone's stay as they are.
    const g = same(a, b, false) ? 0 : 1
    if (a) facts.push({ ...a, g })
    if (b) facts.push({ ...b, g })
  }
  if (facts.length === 0) return
  await ctx.db.execute(sql`
    with z as (${zoneOf(ctx.tenantId)}),
    f as (
      select (r.at at time zone z.zone) as local, r.*
      from z, jsonb_to_recordset(${JSON.stringify(facts)}::jsonb)
        as r(at timestamptz, ch text, ca text, ow text, g int, n int, co int, qu int, cv int, inv int, sla int, cb int, vb int)
    ),
    w as (
      insert into crm_lead_weekly as t (tenant_id, start, channel_id, campaign_id, ${COLUMNS})
      select ${ctx.tenantId}, greatest(date_trunc('week', local), date_trunc('month', local))::date, ch, ca, ${SUMS}
      from f where g = 1 group by 2, 3, 4 order by 2, 3, 4
      on conflict (tenant_id, start, channel_id, campaign_id) do update set ${ADD}
      returning 1
    ),
    wc as (
      insert into crm_lead_weekly_channel as t (tenant_id, start, channel_id, ${TREND})
      select ${ctx.tenantId}, greatest(date_trunc('week', local), date_trunc('month', local))::date, ch,
        sum(n), sum(co), sum(qu), sum(cv)
      from f where g = 1 group by 2, 3 order by 2, 3
      on conflict (tenant_id, start, channel_id) do update set ${ADD_TREND}
      returning 1
    ),
    m as (
      insert into crm_lead_monthly as t (tenant_id, month, channel_id, campaign_id, ${COLUMNS})
      select ${ctx.tenantId}, date_trunc('month', local)::date, ch, ca, ${SUMS}
      from f where g = 1 group by 2, 3, 4 order by 2, 3, 4
      on conflict (tenant_id, month, channel_id, campaign_id) do update set ${ADD}
      returning 1
    ),
    ow as (
      insert into crm_lead_owner_weekly as t (tenant_id, owner_id, start, channel_id, campaign_id, ${COLUMNS})
      select ${ctx.tenantId}, ow, greatest(date_trunc('week', local), date_trunc('month', local))::date, ch, ca, ${SUMS}
      from f group by 2, 3, 4, 5 order by 2, 3, 4, 5
      on conflict (tenant_id, owner_id, start, channel_id, campaign_id) do update set ${ADD}
      returning 1
    ),
    owc as (
      insert into crm_lead_owner_weekly_channel as t (tenant_id, owner_id, start, channel_id, ${TREND})
      select ${ctx.tenantId}, ow, greatest(date_trunc('week', local), date_trunc('month', local))::date, ch,
        sum(n), sum(co), sum(qu), sum(cv)
      from f group by 2, 3, 4 order by 2, 3, 4
      on conflict (tenant_id, owner_id, start, channel_id) do update set ${ADD_TREND}
      returning 1
    )
    insert into crm_lead_owner_monthly as t (tenant_id, owner_id, month, channel_id, campaign_id, ${COLUMNS})
    select ${ctx.tenantId}, ow, date_trunc('month', local)::date, ch, ca, ${SUMS}
    from f
    where (select count(*) from w) + (select count(*) from wc) + (select count(*) from m)
      + (select count(*) from ow) + (select count(*) from owc) >= 0
    group by 2, 3, 4, 5 order by 2, 3, 4, 5
    on conflict (tenant_id, owner_id, month, channel_id, campaign_id) do update set ${ADD}`)
}

/** The time zone the tenant's rollup rows are cut in (China time until a rebuild records another). */
const zoneOf = (tenantId: string) =>
  sql`select coalesce((select zone from crm_lead_rollup_zone where tenant_id = ${tenantId}), ${DEFAULT_TIME_ZONE}) as zone`

const BUCKET_COLUMNS = [
  ...Array.from({ length: CONTACT_BUCKETS }, (_, i) => `contact_b_${i}`),
  ...Array.from({ length: CONVERT_BUCKETS }, (_, i) => `convert_b_${i}`),
]
/** The rollups' count columns, in order: stages, then time buckets. */
export const ROLLUP_COLUMNS = [
  'leads',
  'contacted',
  'qualified',
  'converted',
  'invalid',
  'sla_breached',
  ...BUCKET_COLUMNS,
]
const COLUMNS = sql.raw(ROLLUP_COLUMNS.join(', '))
const SUMS = sql.raw(
  [
    'sum(n)',
    'sum(co)',
    'sum(qu)',
    'sum(cv)',
    'sum(inv)',
    'sum(sla)',
    ...Array.from({ length: CONTACT_BUCKETS }, (_, i) => `coalesce(sum(n) filter (where cb = ${i}), 0)`),
    ...Array.from({ length: CONVERT_BUCKETS }, (_, i) => `coalesce(sum(n) filter (where vb = ${i}), 0)`),
  ].join(', '),
)
const SUMMED = sql.raw(ROLLUP_COLUMNS.map((c) => `sum(${c})`).join(', '))
const ADD = sql.raw(ROLLUP_COLUMNS.map((c) => `${c} = t.${c} + excluded.${c}`).join(', '))
/** The trend rollup's columns (`crm_lead_weekly_channel`). */
const TREND_COLUMNS = ['leads', 'contacted', 'qualified', 'converted']
const TREND = sql.raw(TREND_COLUMNS.join(', '))
const ADD_TREND = sql.raw(TREND_COLUMNS.map((c) => `${c} = t.${c} + excluded.${c}`).join(', '))

/** Counts `n` discarded (spam) submissions for the channel on the day they arrived (rollup's time zone). */
export async function countSpam(
  ctx: ServiceContext,
  channelId: string,
  at: Date,
  campaignId: string | null = null,
  n = 1,
): Promise<void> {
  await ctx.db.execute(sql`
    insert into crm_lead_spam_daily as t (tenant_id, day, channel_id, campaign_id, spam)
    select ${ctx.tenantId}, (${at.toISOString()}::timestamptz at time zone z.zone)::date, ${channelId}, ${campaignId ?? ''}, ${n}::int
    from (${zoneOf(ctx.tenantId)}) z
    on conflict (tenant_id, day, channel_id, campaign_id) do update set spam = t.spam + excluded.spam`)
}

/**
 * SQL of a lead's time bucket (as {@link bucketOf}): `width_bucket` counts the edges at or below the value.
 * `date_part` (float8, as the edges) rather than `extract` (numeric): a third of the cost per lead.
 */
export function bucketSql(column: SQL, created: SQL, unitSeconds: number, edges: readonly number[]): SQL {
  return sql`width_bucket(date_part('epoch', ${column} - ${created}) / ${sql.raw(String(unitSeconds))}, ${sql.raw(`array[${edges.join(',')}]::float8[]`)})`
}

/**
 * Recomputes the tenant's weekly, weekly-per-channel and monthly rollups (everyone's and per owner) from its leads in the tenant's current time zone and
 * records that zone (after a zone change; the bench after a bulk load). Spam days stay as counted.
 */
export async function rebuildRollups(ctx: ServiceContext): Promise<string> {
  const zone = await tenantTimeZone(ctx)
  const contact = bucketSql(sql`first_contacted_at`, sql`created_at`, 60, CONTACT_MINUTE_EDGES)
  const convert = bucketSql(sql`converted_at`, sql`created_at`, 86_400, CONVERT_DAY_EDGES)
  const facts = sql`
    select created_at at time zone ${zone} as local, channel_id as ch, coalesce(campaign_id, '') as ca,
      coalesce(owner_id, '') as ow, 1 as n,
      (first_contacted_at is not null or status in ('contacted', 'qualified', 'converted'))::int as co,
      (status in ('qualified', 'converted'))::int as qu, (status = 'converted')::int as cv,
      (status = 'invalid')::int as inv, (sla_state = 'breached')::int as sla,
      ${contact} as cb, ${convert} as vb
    from crm_leads where tenant_id = ${ctx.tenantId} and merged_into_id is null`
  await ctx.db.execute(sql`
    insert into crm_lead_rollup_zone (tenant_id, zone) values (${ctx.tenantId}, ${zone})
    on conflict (tenant_id) do update set zone = excluded.zone`)
  await ctx.db.execute(sql`delete from crm_lead_weekly where tenant_id = ${ctx.tenantId}`)
  await ctx.db.execute(sql`delete from crm_lead_monthly where tenant_id = ${ctx.tenantId}`)
  await ctx.db.execute(sql`delete from crm_lead_weekly_channel where tenant_id = ${ctx.tenantId}`)
  for (const t of ['crm_lead_owner_weekly', 'crm_lead_owner_monthly', 'crm_lead_owner_weekly_channel'])
    await ctx.db.execute(sql`delete from ${sql.raw(t)} where tenant_id = ${ctx.tenantId}`)
  // The leads are read once, into the owner rollup; everyone's and the coarser ones are its sums.
  await ctx.db.execute(sql`
    insert into crm_lead_owner_weekly (tenant_id, owner_id, start, channel_id, campaign_id, ${COLUMNS})
    select ${ctx.tenantId}, ow, greatest(date_trunc('week', local), date_trunc('month', local))::date, ch, ca, ${SUMS}
    from (${facts}) f group by 2, 3, 4, 5`)
  await ctx.db.execute(sql`
    insert into crm_lead_owner_monthly (tenant_id, owner_id, month, channel_id, campaign_id, ${COLUMNS})
    select ${ctx.tenantId}, owner_id, date_trunc('month', start)::date, channel_id, campaign_id, ${SUMMED}
    from crm_lead_owner_weekly where tenant_id = ${ctx.tenantId} group by 2, 3, 4, 5`)
  await ctx.db.execute(sql`
    insert into crm_lead_owner_weekly_channel (tenant_id, owner_id, start, channel_id, ${TREND})
    select ${ctx.tenantId}, owner_id, start, channel_id, ${sql.raw(TREND_COLUMNS.map((c) => `sum(${c})`).join(', '))}
    from crm_lead_owner_weekly where tenant_id = ${ctx.tenantId} group by 2, 3, 4`)
  await ctx.db.execute(sql`
    insert into crm_lead_weekly (tenant_id, start, channel_id, campaign_id, ${COLUMNS})
    select ${ctx.tenantId}, start, channel_id, campaign_id, ${SUMMED}
    from crm_lead_owner_weekly where tenant_id = ${ctx.tenantId} group by 2, 3, 4`)
  await ctx.db.execute(sql`
    insert into crm_lead_monthly (tenant_id, month, channel_id, campaign_id, ${COLUMNS})
    select ${ctx.tenantId}, date_trunc('month', start)::date, channel_id, campaign_id,
      ${SUMMED}
    from crm_lead_weekly where tenant_id = ${ctx.tenantId} group by 2, 3, 4`)
  await ctx.db.execute(sql`
    insert into crm_lead_weekly_channel (tenant_id, start, channel_id, ${TREND})
    select ${ctx.tenantId}, start, channel_id, ${sql.raw(TREND_COLUMNS.map((c) => `sum(${c})`).join(', '))}
    from crm_lead_weekly where tenant_id = ${ctx.tenantId} group by 2, 3`)
  return zone
}

/** The zone the tenant's rollup rows are cut in. */
export async function rollupZone(ctx: ServiceContext): Promise<string> {
  const [row] = resultRows<{ zone: string }>(await ctx.db.execute(zoneOf(ctx.tenantId)))
  return row?.zone ?? DEFAULT_TIME_ZONE
}
