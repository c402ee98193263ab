import { and, eq, or, sql } from 'drizzle-orm'
import {
  type LeadPriority,
  leadCampaigns,
  leadChannels,
  leads,
  leadTouches,
  type UtmValues,
} from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import type { LeadRow } from './access'
import { pickAssignee } from './assign'
import { findMatchingCustomer, findSameLead } from './find-lead-duplicates'
import { setOwner } from './lifecycle'
import { normaliseContact } from './normalise'
import { applyRollup } from './rollup'
import { loadLeadSettings } from './settings'

export type IntakeVia = 'manual' | 'chat' | 'webhook' | 'form' | 'import'

export interface IntakeFields {
  name: string
  company?: string | null
  phone?: string | null
  email?: string | null
  region?: string | null
  productInterest?: string | null
  message?: string | null
  priority?: LeadPriority
}

export interface IntakeRequest {
  fields: IntakeFields
  channelId: string
  campaignId?: string | null
  utm?: UtmValues
  via: IntakeVia
  sourceLeadId?: string | null
  payload?: Record<string, unknown> | null
  /** undefined: run the assignment rules; null: the pool; a user id: that owner. */
  ownerId?: string | null
  consent?: boolean
}

/** created: a new lead; touch: the same person again (a touch on the existing lead); replay: same source id. */
export interface IntakeResult {
  lead: LeadRow
  outcome: 'created' | 'touch' | 'replay'
}

const clean = (u: UtmValues | undefined): UtmValues =>
  Object.fromEntries(
    Object.entries(u ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
  ) as UtmValues

/** The campaign a lead belongs to: named, or found by the UTM campaign value within the channel. */
export async function resolveCampaign(
  ctx: ServiceContext,
  channelId: string,
  campaignId: string | null | undefined,
  utm: UtmValues,
  externalId?: string | null,
): Promise<string | null> {
  if (campaignId) {
    const [c] = await ctx.db
      .select({ id: leadCampaigns.id })
      .from(leadCampaigns)
      .where(
        and(
          eq(leadCampaigns.tenantId, ctx.tenantId),
          eq(leadCampaigns.id, campaignId),
          eq(leadCampaigns.channelId, channelId),
        ),
      )
    if (!c) throw new InvalidInputError('campaignId', `no campaign ${campaignId} in this channel`)
    return c.id
  }
  const keys = [
    utm.campaign ? eq(leadCampaigns.utmCampaign, utm.campaign) : null,
    externalId ? eq(leadCampaigns.externalId, externalId) : null,
  ].filter((x): x is NonNullable<typeof x> => x !== null)
  if (keys.length === 0) return null
  const [c] = await ctx.db
    .select({ id: leadCampaigns.id })
    .from(leadCampaigns)
    .where(and(eq(leadCampaigns.tenantId, ctx.tenantId), eq(leadCampaigns.channelId, channelId), or(...keys)))
    .limit(1)
  return c?.id ?? null
}

/** Serialises intakes of the same person or source record (transaction-scoped advisory locks, sorted). */
async function lockKeys(ctx: ServiceContext, keys: string[]): Promise<void> {
  for (const k of [...new Set(keys)].sort()) {
    await ctx.db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${ctx.tenantId}:${k}`}, 0))`)
  }
}

/**
 * The one path every lead takes in (manual, chat, webhook, web form, import), inside the caller's
 * transaction: a known source lead id returns its lead (replay); the same person (normalised phone or
 * email) becomes a touch on the existing lead; otherwise a new lead is stored with its first touch, a
 * matching customer noted, an owner chosen (given, the rules, or the pool) with its SLA timers and card,
 * and the daily rollup moved — all in the same transaction.
 */
export async function intakeLead(ctx: ServiceContext, req: IntakeRequest): Promise<IntakeResult> {
  const contact = normaliseContact(req.fields)
  const utm = clean(req.utm)
  const sourceLeadId = req.sourceLeadId?.trim() || null
  await lockKeys(ctx, [
    ...(sourceLeadId ? [`src:${req.channelId}:${sourceLeadId}`] : []),
    ...(contact.phone ? [`p:${contact.phone}`] : []),
    ...(contact.email ? [`e:${contact.email}`] : []),
  ])
  if (sourceLeadId) {
    const [seen] = await ctx.db
      .select({ lead: leads })
      .from(leadTouches)
      .innerJoin(leads, eq(leads.id, leadTouches.leadId))
      .where(
        and(
          eq(leadTouches.tenantId, ctx.tenantId),
          eq(leadTouches.channelId, req.channelId),
          eq(leadTouches.sourceLeadId, sourceLeadId),
        ),
      )
    if (seen) return { lead: await live(ctx, seen.lead), outcome: 'replay' }
  }
  const now = ctx.clock.now()
  const touch = (leadId: string, kind: 'first' | 'repeat', campaignId: string | null) => ({
    tenantId: ctx.tenantId,
    leadId,
    channelId: req.channelId,
    campaignId,
    kind,
    via: req.via,
    sourceLeadId,
    utm,
    payload: req.payload ?? null,
    at: now,
  })
  const same = await findSameLead(ctx, contact)
  if (same) {
    await ctx.db.insert(leadTouches).values(touch(same.id, 'repeat', req.campaignId ?? null))
    return { lead: same, outcome: 'touch' }
  }
  const settings = await loadLeadSettings(ctx.db, ctx.tenantId)
  const customer = await findMatchingCustomer(ctx, contact)
  const f = req.fields
  const row = {
    id: newId('lea', now.getTime()),
    tenantId: ctx.tenantId,
    name: f.name.trim(),
    company: f.company?.trim() || null,
    ...contact,
    region: f.region?.trim() || null,
    productInterest: f.productInterest?.trim() || null,
    message: f.message?.trim() || null,
    priority: f.priority ?? 'normal',
    channelId: req.channelId,
    campaignId: req.campaignId ?? null,
    utm,
    consent: req.consent ?? false,
    matchedCustomerId: customer?.id ?? null,
    lastActivityAt: now,
    createdById: actorId(ctx.actor),
    createdAt: now,
    updatedAt: now,
  }
  const [inserted] = await ctx.db.insert(leads).values(row).returning()
  if (!inserted) throw new Error('lead insert returned nothing')
  await ctx.db.insert(leadTouches).values(touch(inserted.id, 'first', row.campaignId))
  await applyRollup(ctx, null, inserted)
  let owner: { userId: string; ruleId: string | null } | null = null
  if (req.ownerId === undefined) owner = await pickAssignee(ctx, inserted)
  else if (req.ownerId) owner = { userId: req.ownerId, ruleId: null }
  if (!owner) return { lead: inserted, outcome: 'created' }
  const how = owner.ruleId ? 'rule' : owner.userId === actorId(ctx.actor) ? 'intake' : 'manual'
  const lead = await setOwner(ctx, inserted, owner.userId, how, { ruleId: owner.ruleId, settings })
  return { lead, outcome: 'created' }
}

/** A merged lead answers with the lead it was merged into. */
async function live(ctx: ServiceContext, lead: LeadRow): Promise<LeadRow> {
  let cur = lead
  for (let i = 0; i < 5 && cur.mergedIntoId; i++) {
    const [next] = await ctx.db.select().from(leads).where(eq(leads.id, cur.mergedIntoId))
    if (!next) break
    cur = next
  }
  return cur
}

/** The tenant's channel by id (active or not), or a 400 naming `field`. */
export async function requireChannel(ctx: ServiceContext, channelId: string, field = 'channelId') {
  const [c] = await ctx.db
    .select()
    .from(leadChannels)
    .where(and(eq(leadChannels.tenantId, ctx.tenantId), eq(leadChannels.id, channelId)))
  if (!c) throw new InvalidInputError(field, `no channel ${channelId} in this tenant`)
  return c
}
