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
>

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
  }
}

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
  const deltas = new Map<string, Facts>()
  const add = (f: Facts, sign: 1 | -1) => {
    const k = keyOf(f)
    const cur = deltas.get(k) ?? { ...f, ...NO_COUNTS }
    for (const c of COUNTS) cur[c] += sign * f[c]
    deltas.set(k, cur)
  }
  for (const [before, after] of changes) {
    const a = factsOf(before)
    const b = factsOf(after)
    if (a) add(a, -1)
    if (b) add(b, 1)
  }
  const rows = [...deltas.values()].filter((d) => COUNTS.some((c) => d[c] !== 0))
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
async function upsert(ctx: ServiceContext, rows: Facts[], spam: number): Promise<void> {
  if (rows.length === 0) return
  rows.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
  const months = new Map<string, Facts & { spam: number }>()
  for (const d of rows) {
    const k = `${monthOf(d.day)}|${d.channelId}|${d.campaignId}`
    const m = months.get(k) ?? { ...d, day: monthOf(d.day), ownerId: '', ...NO_COUNTS, spam: 0 }
    for (const c of COUNTS) m[c] += d[c]
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
      },
    })
}
