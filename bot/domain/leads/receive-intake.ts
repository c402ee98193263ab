import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { Database } from '../../../db/client'
import { leadChannels, type UtmValues } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import { groupCommitPer } from '../../lib/group-commit'
import type { Logger } from '../../lib/logger'
import { findUnsafeString } from '../../lib/safe-strings'
import { verifySignedCall } from '../../lib/signed-call'
import { type ServiceContext, withTransaction } from '../context'
import { DomainError, InvalidInputError } from '../errors'
import { type IntakeRequest, intakeLeads, resolveCampaign } from './internal/intake-lead'
import { mapPushedLead } from './internal/presets'
import { countSpam } from './rollup'
import { leadFields } from './schemas'

export interface IntakeResponse {
  outcome: 'created' | 'touch' | 'replay' | 'spam'
  leadId: string | null
}

/** The answer to a push of many leads (a JSON array body): one result per lead, in the pushed order. */
export interface IntakeBatchResponse {
  items: IntakeResponse[]
}

/** Most leads in one push (a JSON array body); more is a 400 naming `body`. */
export const MAX_LEADS_PER_PUSH = 500

const refuse = (message: string, field?: string) =>
  new DomainError('unauthenticated', message, field ? { field } : {})

const fieldsSchema = z.object(leadFields)

/**
 * Receives a push to a channel's intake URL, signed like the external-approvals API:
 * `X-Flowcard-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<nonce>.<raw body>")>` with
 * `X-Flowcard-Timestamp` (±300 s) and `X-Flowcard-Nonce`. An unknown key, a channel without a secret, a
 * bad or stale signature all answer 401 alike and store nothing. The body is one lead (a JSON object) or up
 * to {@link MAX_LEADS_PER_PUSH} leads (a JSON array of such objects, answered item by item); each is mapped
 * by the channel's preset (巨量引擎, 腾讯广告) or its generic JSON mapping. Every lead of a push is checked
 * before anything is stored: a bad one is a 400 naming its field (`[3].telephone` in an array) and nothing
 * of the push is written. The source's lead id makes redelivery idempotent (the same lead, 200); a
 * platform-flagged test submission is counted as spam and discarded. Concurrent pushes of a tenant share a
 * transaction (group commit); a push's leads are stored together or not at all, assigned by the rules in
 * that transaction, so every owner's card is already queued when this returns.
 */
export async function receiveIntake({
  database,
  clock,
  logger,
  intakeKey,
  headers,
  body,
}: {
  database: Pick<Database, 'db'>
  clock: Clock
  logger: Logger
  intakeKey: string
  headers: (name: string) => string | undefined
  body: string
}): Promise<IntakeResponse | IntakeBatchResponse> {
  const now = clock.now()
  const verify = (fresh: boolean) =>
    verifySignedCall({
      headers,
      body,
      now,
      refuse,
      purpose: 'lead-channel',
      load: () =>
        intakeKey.length <= 64 ? loadChannel(database, intakeKey, now, fresh) : Promise.resolve(undefined),
    })
  // A remembered channel that refuses the signature is read again before refusing (its secret may have
  // been rotated a moment ago, in this process or another).
  const { holder: channel } = await verify(false).catch((err) =>
    remembered(database, intakeKey, now) ? verify(true) : Promise.reject(err),
  )
  if (!channel.active) throw refuse('this channel is switched off')
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new InvalidInputError('body', 'body is not valid JSON')
  }
  // As the API's validation hook refuses in any other body (the route reads this one itself, once): a NUL
  // or a lone surrogate anywhere, key or value, is a 400 naming its path (`3.name`), not a 500 at the insert.
  const unsafe = findUnsafeString(parsed)
  if (unsafe) {
    const field = unsafe.field || 'body'
    throw new InvalidInputError(field, `${field}: ${unsafe.reason}`)
  }
  const many = Array.isArray(parsed)
  const pushed: unknown[] = many ? (parsed as unknown[]) : [parsed]
  if (many && pushed.length === 0) throw new InvalidInputError('body', 'the array holds no lead')
  if (pushed.length > MAX_LEADS_PER_PUSH)
    throw new InvalidInputError('body', `at most ${MAX_LEADS_PER_PUSH} leads per push`)
  const ctx: ServiceContext = {
    tenantId: channel.tenantId,
    actor: { kind: 'system', reason: 'intake' },
    db: database.db,
    clock,
    logger,
  }
  const leads = pushed.map((item, i) => mapOne(channel, item, many ? `[${i}]` : null))
  if (!many && leads[0] === null) {
    await countSpam(ctx, channel.id, now)
    return { outcome: 'spam', leadId: null }
  }
  const push: Push = { ctx, channelId: channel.id, leads }
  const items = await intakeBatcher(database.db, ctx.tenantId).submit(push)
  if (many) return { items }
  const [one] = items
  if (!one) throw new Error('intake returned nothing')
  return one
}

/**
 * One pushed lead mapped and checked (null: discarded as spam); errors name the sender's field, prefixed
 * with the lead's place in an array push (`[3].telephone`).
 */
function mapOne(channel: ChannelRow, item: unknown, at: string | null): PushedLead | null {
  const named = (field: string) => (at === null ? field : `${at}.${field}`)
  if (!item || typeof item !== 'object' || Array.isArray(item))
    throw new InvalidInputError(
      at ?? 'body',
      at === null
        ? 'body must be a JSON object (one lead) or an array of them'
        : `${at} must be a JSON object (one lead)`,
    )
  const mapped = mapPushedLead(channel.preset, channel.fieldMapping, item as Record<string, unknown>)
  if (mapped.spam) return null
  const f = mapped.fields
  if (!f.name && !f.phone && !f.email)
    throw new InvalidInputError(
      named(mapped.sourceField.phone ?? 'phone'),
      'a lead needs a name, phone or email',
    )
  const candidate = { ...f, name: f.name ?? (f.phone || f.email || '') }
  const check = fieldsSchema.safeParse(candidate)
  if (!check.success) {
    const issue = check.error.issues[0]
    const ours = String(issue?.path[0] ?? 'body')
    const field = named(mapped.sourceField[ours] ?? ours)
    throw new InvalidInputError(field, `${field}: ${issue?.message}`)
  }
  return {
    fields: check.data,
    utm: mapped.utm,
    campaignExternalId: mapped.campaignExternalId,
    sourceLeadId: mapped.sourceLeadId,
    payload: item as Record<string, unknown>,
  }
}

type ChannelRow = typeof leadChannels.$inferSelect

/** How long a channel read for a signed push is reused (a switched-off channel stops within this). */
export const CHANNEL_TTL_MS = 5_000
/** Remembered channels by intake key (keys are unique), each with the database handle it was read from. */
const channelCache = new Map<string, { owner: object; row: ChannelRow; at: number }>()

function remembered(database: Pick<Database, 'db'>, intakeKey: string, now: Date) {
  const hit = channelCache.get(intakeKey)
  return hit && hit.owner === database.db && now.getTime() - hit.at < CHANNEL_TTL_MS ? hit : undefined
}

/**
 * The channel of an intake key, read at most every {@link CHANNEL_TTL_MS} per database handle (a push
 * burst costs one read, not one per lead); `fresh` reads it again. Unknown keys are not remembered.
 */
async function loadChannel(
  database: Pick<Database, 'db'>,
  intakeKey: string,
  now: Date,
  fresh: boolean,
): Promise<ChannelRow | undefined> {
  const hit = fresh ? undefined : remembered(database, intakeKey, now)
  if (hit) return hit.row
  // Pushes arriving while the key's read is under way wait for that read: when the remembered row expires
  // under load, 32 pushes in flight made 32 reads at once, and each took a pooled connection (the pool grew
  // to its maximum, and every connection then had to prepare the intake's statements again).
  const pending = fresh ? undefined : channelReads.get(intakeKey)
  if (pending && pending.owner === database.db) return pending.row
  const read = database.db
    .select()
    .from(leadChannels)
    .where(eq(leadChannels.intakeKey, intakeKey))
    .then(([row]) => {
      if (channelCache.size >= 1000) channelCache.clear()
      if (row) channelCache.set(intakeKey, { owner: database.db, row, at: now.getTime() })
      else channelCache.delete(intakeKey)
      return row
    })
  if (!fresh) channelReads.set(intakeKey, { owner: database.db, row: read })
  try {
    return await read
  } finally {
    if (channelReads.get(intakeKey)?.row === read) channelReads.delete(intakeKey)
  }
}

/** Channel reads under way by intake key (at most one each), with the database handle they read from. */
const channelReads = new Map<string, { owner: object; row: Promise<ChannelRow | undefined> }>()

/** Forgets a remembered channel once a change to it (switched off, new secret) has committed. */
export function forgetIntakeChannel(intakeKey: string): void {
  channelCache.delete(intakeKey)
  channelReads.delete(intakeKey)
}

interface PushedLead {
  fields: z.infer<typeof fieldsSchema>
  utm: UtmValues
  campaignExternalId: string | null | undefined
  sourceLeadId: string | null | undefined
  payload: Record<string, unknown>
}

/** One signed push: its leads in order (null = discarded as spam, counted in the same transaction). */
interface Push {
  ctx: ServiceContext
  channelId: string
  leads: Array<PushedLead | null>
}

/**
 * One group-commit queue per database and tenant: concurrent pushes of a tenant share a transaction, up to
 * 200 leads a batch (a larger push runs alone). A failed batch is run again push by push, so a push's leads
 * are stored together or not at all. One batch of a tenant at a time: a batch locks the tenant's assignment
 * rules (FOR UPDATE) until it commits, so a second batch in flight only waited on that lock, and it halved
 * the batches (32 single pushes in flight: ~11 leads a batch, ~19 with one) and so doubled the share of
 * each batch's fixed statements (begin, locks, reads, rollups, commit) that a lead pays.
 */
const intakeBatcher = groupCommitPer<Push, IntakeResponse[]>(
  (pushes) =>
    withTransaction(pushes[0]?.ctx as ServiceContext, async (_tx, txCtx) => {
      const now = txCtx.clock.now()
      const reqs: Array<Omit<IntakeRequest, 'campaignId'> & { campaignId: Promise<string | null> }> = []
      const spam = new Map<string, number>()
      // A campaign is looked up once per batch for each (channel, UTM campaign, external id) pushed.
      const campaigns = new Map<string, Promise<string | null>>()
      for (const p of pushes)
        for (const l of p.leads) {
          if (!l) {
            spam.set(p.channelId, (spam.get(p.channelId) ?? 0) + 1)
            continue
          }
          const key = `${p.channelId}|${l.utm.campaign ?? ''}|${l.campaignExternalId ?? ''}`
          let campaign = campaigns.get(key)
          if (!campaign) {
            campaign = resolveCampaign(txCtx, p.channelId, null, l.utm, l.campaignExternalId)
            campaigns.set(key, campaign)
          }
          reqs.push({
            fields: l.fields,
            channelId: p.channelId,
            campaignId: campaign,
            utm: l.utm,
            via: 'webhook',
            sourceLeadId: l.sourceLeadId ?? null,
            payload: l.payload,
          })
        }
      const resolved = await Promise.all(
        reqs.map(async (r): Promise<IntakeRequest> => ({ ...r, campaignId: await r.campaignId })),
      )
      const [results] = await Promise.all([
        intakeLeads(txCtx, resolved),
        ...[...spam].map(([channelId, n]) => countSpam(txCtx, channelId, now, null, n)),
      ])
      let next = 0
      return pushes.map((p) =>
        p.leads.map((l): IntakeResponse => {
          if (!l) return { outcome: 'spam', leadId: null }
          const r = results[next++]
          if (!r) throw new Error('intake returned nothing')
          return { outcome: r.outcome, leadId: r.lead.id }
        }),
      )
    }),
  { maxBatch: 200, maxInFlight: 1, weight: (p) => p.leads.length },
)
