import { sql } from 'drizzle-orm'
import { leadDaily, leadMonthly } from '../../../db/schema'
import type { ServiceContext } from '../context'
import type { LeadRow } from './access'

const CHINA_OFFSET_MS = 8 * 3_600_000

/** The calendar day (China time) of an instant, `YYYY-MM-DD`: the rollup's and the reports' day. */
export const chinaDay = (d: Date): string =>
  new Date(d.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10)

/** The instant a China-time day starts. */
export const chinaDayStart = (day: string): Date => new Date(`${day}T00:00:00+08:00`)

type Counted = Pick<
  LeadRow,
  | 'createdAt'
  | 'channelId'
  | 'campaignId'
  | 'ownerId'
  | 'status'
  | 'firstContactedAt'
  | 'slaState'
  | 'mergedIntoId'
  | 'convertedAt'
>

/** Upper edges of the time-to-first-contact buckets, in minutes (the last bucket is open). */
export const CONTACT_MINUTE_EDGES = [5, 15, 30, 60, 120, 240, 480, 1440, 2880, 4320, 10080] as const
/** Upper edges of the time-to-conversion buckets, in days (the last bucket is open). */
export const CONVERT_DAY_EDGES = [1, 2, 3, 5, 7, 14, 30, 60, 90] as const

/** The bucket of a duration (`edges` are upper edges; below the first edge is bucket 0). */
export function bucketOf(value: number, edges: readonly number[]): number {
  const i = edges.findIndex((e) => value < e)
  return i === -1 ? edges.length : i
}

interface Facts {
  day: string
  channelId: string
  campaignId: string
  ownerId: string
  leads: number
  contacted: number
  qualified: number
  converted: number
  invalid: number
  slaBreached: number
  /** The lead's time-to-contact and time-to-conversion buckets (monthly rollup), or -1. */
  contactBucket: number
  convertBucket: number
}

const REACHED_CONTACT = new Set(['contacted', 'qualified', 'converted'])

/**
 * What one lead contributes to the rollup (the cohort of its creation day): counted once, and once for
 * every stage it has reached. The raw reference query in `analyse-channels.ts` uses the same definitions.
 */
export function factsOf(lead: Counted | null): Facts | null {
  if (!lead || lead.mergedIntoId) return null
  return {
    day: chinaDay(lead.createdAt),
    channelId: lead.channelId,
    campaignId: lead.campaignId ?? '',
    ownerId: lead.ownerId ?? '',
    leads: 1,
    contacted: REACHED_CONTACT.has(lead.status) || lead.firstContactedAt ? 1 : 0,
    qualified: lead.status === 'qualified' || lead.status === 'converted' ? 1 : 0,
    converted: lead.status === 'converted' ? 1 : 0,
    invalid: lead.status === 'invalid' ? 1 : 0,
    slaBreached: lead.slaState === 'breached' ? 1 : 0,
    contactBucket: lead.firstContactedAt
      ? bucketOf((lead.firstContactedAt.getTime() - lead.createdAt.getTime()) / 60_000, CONTACT_MINUTE_EDGES)
      : -1,
    convertBucket: lead.convertedAt
      ? bucketOf((lead.convertedAt.getTime() - lead.createdAt.getTime()) / 86_400_000, CONVERT_DAY_EDGES)
      : -1,
  }
}

const CONTACT_BUCKETS = CONTACT_MINUTE_EDGES.length + 1
const CONVERT_BUCKETS = CONVERT_DAY_EDGES.length + 1
type Buckets = { contact: number[]; convert: number[] }
const noBuckets = (): Buckets => ({
  contact: new Array(CONTACT_BUCKETS).fill(0),
  convert: new Array(CONVERT_BUCKETS).fill(0),
})

const NO_COUNTS = { leads: 0, contacted: 0, qualified: 0, converted: 0, invalid: 0, slaBreached: 0 }
const COUNTS = ['leads', 'contacted', 'qualified', 'converted', 'invalid', 'slaBreached'] as const
const keyOf = (f: Facts) => `${f.day}|${f.channelId}|${f.campaignId}|${f.ownerId}`

/**
 * Moves a lead's contribution from its state `before` to `after` (null = absent) in the same transaction as
 * the write. Unchanged facts cost nothing; a change writes one upsert.
 */
export async function applyRollup(
  ctx: ServiceContext,
  before: Counted | null,
  after: Counted | null,
): Promise<void> {
  await applyRollups(ctx, [[before, after]])
}

/** {@link applyRollup} for many leads at once: the deltas summed per rollup row, written by one statement. */
export async function applyRollups(
  ctx: ServiceContext,
  changes: Array<[before: Counted | null, after: Counted | null]>,
): Promise<void> {
  const deltas = new Map<string, Facts & { buckets: Buckets }>()
  const add = (f: Facts, sign: 1 | -1) => {
    const k = keyOf(f)
    const cur = deltas.get(k) ?? { ...f, ...NO_COUNTS, buckets: noBuckets() }
    for (const c of COUNTS) cur[c] += sign * f[c]
    if (f.contactBucket >= 0)
      cur.buckets.contact[f.contactBucket] = (cur.buckets.contact[f.contactBucket] ?? 0) + sign
    if (f.convertBucket >= 0)
      cur.buckets.convert[f.convertBucket] = (cur.buckets.convert[f.convertBucket] ?? 0) + sign
    deltas.set(k, cur)
  }
  for (const [before, after] of changes) {
    const a = factsOf(before)
    const b = factsOf(after)
    if (a) add(a, -1)
    if (b) add(b, 1)
  }
  const rows = [...deltas.values()].filter(
    (d) =>
      COUNTS.some((c) => d[c] !== 0) ||
      d.buckets.contact.some((n) => n !== 0) ||
      d.buckets.convert.some((n) => n !== 0),
  )
  await upsert(ctx, rows, 0)
}

/** Counts a discarded (spam) submission for the channel on the day it arrived. */
export async function countSpam(
  ctx: ServiceContext,
  channelId: string,
  at: Date,
  campaignId: string | null = null,
): Promise<void> {
  await upsert(
    ctx,
    [
      {
        day: chinaDay(at),
        channelId,
        campaignId: campaignId ?? '',
        ownerId: '',
        ...NO_COUNTS,
        contactBucket: -1,
        convertBucket: -1,
        buckets: noBuckets(),
      },
    ],
    1,
  )
}

const plus = (column: string) => sql.raw(`crm_lead_daily.${column} + excluded.${column}`)
const plusMonthly = (column: string) => sql.raw(`crm_lead_monthly.${column} + excluded.${column}`)

/** The first day of a `YYYY-MM-DD` day's month: the monthly rollup's key. */
export const monthOf = (day: string): string => `${day.slice(0, 7)}-01`

/**
 * Writes the deltas to the daily rollup and, summed per month without the owner, to the monthly one. Rows
 * go in key order, so two transactions touching the same rows lock them in the same order.
 */
async function upsert(
  ctx: ServiceContext,
  rows: Array<Facts & { buckets: Buckets }>,
  spam: number,
): Promise<void> {
  if (rows.length === 0) return
  rows.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
  const months = new Map<string, Facts & { spam: number; buckets: Buckets }>()
  for (const d of rows) {
    const k = `${monthOf(d.day)}|${d.channelId}|${d.campaignId}`
    const m = months.get(k) ?? {
      ...d,
      day: monthOf(d.day),
      ownerId: '',
      ...NO_COUNTS,
      spam: 0,
      buckets: noBuckets(),
    }
    for (const c of COUNTS) m[c] += d[c]
    d.buckets.contact.forEach((n, i) => {
      m.buckets.contact[i] = (m.buckets.contact[i] ?? 0) + n
    })
    d.buckets.convert.forEach((n, i) => {
      m.buckets.convert[i] = (m.buckets.convert[i] ?? 0) + n
    })
    m.spam += spam
    months.set(k, m)
  }
  const monthly = [...months.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, m]) => m)
  await ctx.db
    .insert(leadDaily)
    .values(
      rows.map((d) => ({
        tenantId: ctx.tenantId,
        day: d.day,
        channelId: d.channelId,
        campaignId: d.campaignId,
        ownerId: d.ownerId,
        leads: d.leads,
        contacted: d.contacted,
        qualified: d.qualified,
        converted: d.converted,
        invalid: d.invalid,
        slaBreached: d.slaBreached,
        spam,
      })),
    )
    .onConflictDoUpdate({
      target: [
        leadDaily.tenantId,
        leadDaily.day,
        leadDaily.channelId,
        leadDaily.campaignId,
        leadDaily.ownerId,
      ],
      set: {
        leads: plus('leads'),
        contacted: plus('contacted'),
        qualified: plus('qualified'),
        converted: plus('converted'),
        invalid: plus('invalid'),
        slaBreached: plus('sla_breached'),
        spam: plus('spam'),
      },
    })
  await ctx.db
    .insert(leadMonthly)
    .values(
      monthly.map((m) => ({
        tenantId: ctx.tenantId,
        month: m.day,
        channelId: m.channelId,
        campaignId: m.campaignId,
        leads: m.leads,
        contacted: m.contacted,
        qualified: m.qualified,
        converted: m.converted,
        invalid: m.invalid,
        slaBreached: m.slaBreached,
        spam: m.spam,
        ...bucketColumns(m.buckets),
      })),
    )
    .onConflictDoUpdate({
      target: [leadMonthly.tenantId, leadMonthly.month, leadMonthly.channelId, leadMonthly.campaignId],
      set: {
        leads: plusMonthly('leads'),
        contacted: plusMonthly('contacted'),
        qualified: plusMonthly('qualified'),
        converted: plusMonthly('converted'),
        invalid: plusMonthly('invalid'),
        slaBreached: plusMonthly('sla_breached'),
        spam: plusMonthly('spam'),
        ...Object.fromEntries(
          [
            ...Array.from({ length: CONTACT_BUCKETS }, (_, i) => [`contactB${i}`, `contact_b_${i}`]),
            ...Array.from({ length: CONVERT_BUCKETS }, (_, i) => [`convertB${i}`, `convert_b_${i}`]),
          ].map(([key, column]) => [key, plusMonthly(String(column))]),
        ),
      },
    })
}

/** The monthly rollup's bucket columns of a bucket delta. */
function bucketColumns(b: Buckets): Record<string, number> {
  const out: Record<string, number> = {}
  b.contact.forEach((n, i) => {
    out[`contactB${i}`] = n
  })
  b.convert.forEach((n, i) => {
    out[`convertB${i}`] = n
  })
  return out
}
