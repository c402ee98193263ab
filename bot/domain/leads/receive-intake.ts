import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { Database } from '../../../db/client'
import { leadChannels, type UtmValues } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import { groupCommitPer } from '../../lib/group-commit'
import type { Logger } from '../../lib/logger'
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

const refuse = (message: string, field?: string) =>
  new DomainError('unauthenticated', message, field ? { field } : {})

const fieldsSchema = z.object(leadFields)

/**
 * Receives one lead pushed to a channel's intake URL, signed like the external-approvals API:
 * `X-Flowcard-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<nonce>.<raw body>")>` with
 * `X-Flowcard-Timestamp` (±300 s) and `X-Flowcard-Nonce`. An unknown key, a channel without a secret, a
 * bad or stale signature all answer 401 alike and store nothing. The body is mapped by the channel's preset
 * (巨量引擎, 腾讯广告) or its generic JSON mapping; the source's lead id makes redelivery idempotent (the
 * same lead, 200); a platform-flagged test submission is counted as spam and discarded. The new lead is
 * assigned by the rules in the same transaction, so its owner's card is already queued when this returns.
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
}): Promise<IntakeResponse> {
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
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidInputError('body', 'body must be one JSON object (one lead)')
  const mapped = mapPushedLead(channel.preset, channel.fieldMapping, parsed as Record<string, unknown>)
  const ctx: ServiceContext = {
    tenantId: channel.tenantId,
    actor: { kind: 'system', reason: 'intake' },
    db: database.db,
    clock,
    logger,
  }
  if (mapped.spam) {
    await countSpam(ctx, channel.id, now)
    return { outcome: 'spam', leadId: null }
  }
  const f = mapped.fields
  if (!f.name && !f.phone && !f.email)
    throw new InvalidInputError(mapped.sourceField.phone ?? 'phone', 'a lead needs a name, phone or email')
  const candidate = { ...f, name: f.name ?? (f.phone || f.email || '') }
  const check = fieldsSchema.safeParse(candidate)
  if (!check.success) {
    const issue = check.error.issues[0]
    const ours = String(issue?.path[0] ?? 'body')
    throw new InvalidInputError(
      mapped.sourceField[ours] ?? ours,
      `${mapped.sourceField[ours] ?? ours}: ${issue?.message}`,
    )
  }
  return intakeBatcher(database.db, ctx.tenantId).submit({
    ctx,
    channelId: channel.id,
    fields: check.data,
    utm: mapped.utm,
    campaignExternalId: mapped.campaignExternalId,
    sourceLeadId: mapped.sourceLeadId,
    payload: parsed as Record<string, unknown>,
  })
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
  const [row] = await database.db.select().from(leadChannels).where(eq(leadChannels.intakeKey, intakeKey))
  if (channelCache.size >= 1000) channelCache.clear()
  if (row) channelCache.set(intakeKey, { owner: database.db, row, at: now.getTime() })
  else channelCache.delete(intakeKey)
  return row
}

/** Forgets a remembered channel once a change to it (switched off, new secret) has committed. */
export function forgetIntakeChannel(intakeKey: string): void {
  channelCache.delete(intakeKey)
}

interface PushedLead {
  ctx: ServiceContext
  channelId: string
  fields: z.infer<typeof fieldsSchema>
  utm: UtmValues
  campaignExternalId: string | null | undefined
  sourceLeadId: string | null | undefined
  payload: Record<string, unknown>
}

/** One group-commit queue per database and tenant: concurrent pushes of a tenant share a transaction. */
const intakeBatcher = groupCommitPer<PushedLead, IntakeResponse>(([first, ...rest]) =>
  withTransaction(first?.ctx as ServiceContext, async (_tx, txCtx) => {
    const reqs: IntakeRequest[] = []
    for (const p of first ? [first, ...rest] : []) {
      reqs.push({
        fields: p.fields,
        channelId: p.channelId,
        campaignId: await resolveCampaign(txCtx, p.channelId, null, p.utm, p.campaignExternalId),
        utm: p.utm,
        via: 'webhook',
        sourceLeadId: p.sourceLeadId ?? null,
        payload: p.payload,
      })
    }
    const results = await intakeLeads(txCtx, reqs)
    return results.map((r) => ({ outcome: r.outcome, leadId: r.lead.id }))
  }),
)
