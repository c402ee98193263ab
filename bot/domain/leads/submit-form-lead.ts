import { and, eq, gt, lt, lte, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Database, DbOrTx } from '../../../db/client'
import { leadChannels, leadFormHits, type UtmValues } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import type { Logger } from '../../lib/logger'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, NotFoundError } from '../errors'
import { intakeLead, resolveCampaign } from './internal/intake-lead'
import { countSpam } from './rollup'
import { leadFields, parseInput } from './schemas'
import { loadLeadSettings } from './settings'

/** The rate window is counted as a sliding window of ten one-minute buckets. */
const BUCKET_MS = 60_000
const WINDOW_BUCKETS = 10

const formSchema = z.object({
  ...leadFields,
  consent: z.literal(true, 'please agree to be contacted'),
})

export interface FormChannel {
  tenantId: string
  channelId: string
  channelName: string
  formKey: string
}

/**
 * Counts one public-form submission of `ip` on the form `key` at `now` and returns how many it made in the
 * ten minutes up to `now` (a sliding window of one-minute buckets, so a flood is not forgiven at a clock
 * edge). Shared by every public form: lead forms and service intake codes. Older buckets are swept now and
 * then.
 */
export async function countFormHit(db: DbOrTx, key: string, ip: string, now: Date): Promise<number> {
  const bucket = Math.floor(now.getTime() / BUCKET_MS)
  const addr = ip.slice(0, 64)
  await db
    .insert(leadFormHits)
    .values({ formKey: key, ip: addr, bucket, hits: 1 })
    .onConflictDoUpdate({
      target: [leadFormHits.formKey, leadFormHits.ip, leadFormHits.bucket],
      set: { hits: sql`${leadFormHits.hits} + 1` },
    })
  const [hit] = await db
    .select({ hits: sql<number>`coalesce(sum(${leadFormHits.hits}), 0)::int` })
    .from(leadFormHits)
    .where(
      and(
        eq(leadFormHits.formKey, key),
        eq(leadFormHits.ip, addr),
        gt(leadFormHits.bucket, bucket - WINDOW_BUCKETS),
        lte(leadFormHits.bucket, bucket),
      ),
    )
  if (Math.random() < 0.01)
    await db
      .delete(leadFormHits)
      .where(and(eq(leadFormHits.formKey, key), lt(leadFormHits.bucket, bucket - WINDOW_BUCKETS)))
  return hit?.hits ?? 0
}

/**
 * {@link countFormHit} for a batch in the caller's transaction, in one statement: each submission's count
 * so far, in order (several from one address in a batch count one after another). Rows are written in key
 * order, so two batches never wait on each other in a cycle.
 */
export async function countFormHits(
  db: DbOrTx,
  items: Array<{ key: string; ip: string }>,
  now: Date,
): Promise<number[]> {
  if (items.length === 0) return []
  const bucket = Math.floor(now.getTime() / BUCKET_MS)
  const slot = (i: { key: string; ip: string }) => `${i.key}\u0000${i.ip.slice(0, 64)}`
  const groups = new Map<string, { formKey: string; ip: string; n: number }>()
  for (const i of items) {
    const g = groups.get(slot(i)) ?? { formKey: i.key, ip: i.ip.slice(0, 64), n: 0 }
    g.n++
    groups.set(slot(i), g)
  }
  const rows = await db
    .insert(leadFormHits)
    .values(
      [...groups.values()]
        .sort((a, b) =>
          a.formKey === b.formKey ? a.ip.localeCompare(b.ip) : a.formKey.localeCompare(b.formKey),
        )
        .map((g) => ({ formKey: g.formKey, ip: g.ip, bucket, hits: g.n })),
    )
    .onConflictDoUpdate({
      target: [leadFormHits.formKey, leadFormHits.ip, leadFormHits.bucket],
      set: { hits: sql`${leadFormHits.hits} + excluded.hits` },
    })
    .returning({ formKey: leadFormHits.formKey, ip: leadFormHits.ip, hits: leadFormHits.hits })
  // The total after the batch, minus what this batch added, plus each submission's place in it.
  const before = new Map(
    rows.map((r) => [
      `${r.formKey}\u0000${r.ip}`,
      r.hits - (groups.get(`${r.formKey}\u0000${r.ip}`)?.n ?? 0),
    ]),
  )
  const seen = new Map<string, number>()
  const counts = items.map((i) => {
    const k = slot(i)
    const n = (seen.get(k) ?? 0) + 1
    seen.set(k, n)
    return (before.get(k) ?? 0) + n
  })
  if (Math.random() < 0.01)
    for (const key of new Set(items.map((i) => i.key)))
      await db
        .delete(leadFormHits)
        .where(and(eq(leadFormHits.formKey, key), lt(leadFormHits.bucket, bucket - 1)))
  return counts
}

/** The active channel behind a web-form key, or 404. */
export async function findFormChannel(database: Pick<Database, 'db'>, formKey: string): Promise<FormChannel> {
  const [c] =
    formKey.length <= 64
      ? await database.db.select().from(leadChannels).where(eq(leadChannels.formKey, formKey))
      : []
  if (!c?.active) throw new NotFoundError('form', formKey)
  return { tenantId: c.tenantId, channelId: c.id, channelName: c.name, formKey }
}

/**
 * A submission of the embeddable web form (`/f/{formKey}`). A filled honeypot or more submissions from one
 * IP than the tenant allows in any 10 minutes are discarded and counted as spam for the channel (the caller
 * answers 202 either way, so a bot learns nothing). Consent is required. UTM values come from the page
 * URL and pick the campaign. The lead then goes through the same intake as every other.
 */
export async function submitFormLead({
  database,
  clock,
  logger,
  formKey,
  ip,
  input,
}: {
  database: Pick<Database, 'db'>
  clock: Clock
  logger: Logger
  formKey: string
  ip: string
  input: { fields: Record<string, unknown>; honeypot?: string | null; utm: UtmValues }
}): Promise<{ outcome: 'created' | 'touch' | 'replay' | 'spam'; leadId: string | null }> {
  const form = await findFormChannel(database, formKey)
  const ctx: ServiceContext = {
    tenantId: form.tenantId,
    actor: { kind: 'system', reason: `form:${form.channelId}` },
    db: database.db,
    clock,
    logger,
  }
  const now = clock.now()
  return withTransaction(ctx, async (_tx, txCtx) => {
    const settings = await loadLeadSettings(txCtx.db, txCtx.tenantId)
    const hits = await countFormHit(txCtx.db, formKey, ip, now)
    if ((input.honeypot ?? '').trim() !== '' || hits > settings.formRateLimit) {
      await countSpam(txCtx, form.channelId, now)
      return { outcome: 'spam' as const, leadId: null }
    }
    const data = parseInput(formSchema, input.fields)
    if (!data.phone && !data.email)
      throw new InvalidInputError('phone', 'please leave a phone number or an email')
    const campaignId = await resolveCampaign(txCtx, form.channelId, null, input.utm)
    const r = await intakeLead(txCtx, {
      fields: data,
      channelId: form.channelId,
      campaignId,
      utm: input.utm,
      via: 'form',
      consent: true,
    })
    return { outcome: r.outcome, leadId: r.lead.id }
  })
}
