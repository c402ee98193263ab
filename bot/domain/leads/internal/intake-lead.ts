import { and, eq, or, sql } from 'drizzle-orm'
import { allOf, fullRow, insertRowsSql } from '../../../../db/json-rows'
import {
  fieldHistory,
  type LeadPriority,
  leadCampaigns,
  leadChannels,
  leads,
  leadTouches,
  type UtmValues,
} from '../../../../db/schema'
import { newId } from '../../../lib/ids'
import { actorId, type ServiceContext } from '../../context'
import { InvalidInputError } from '../../errors'
import { insertOutboxSql, type OutboxMessage } from '../../outbox'
import type { LeadRow } from '../access'
import { findMatchingCustomers, findSameLeads, sameLeadIn } from '../find-lead-duplicates'
import { planOwner } from '../lifecycle'
import { type NormalisedContact, normaliseContact } from '../normalise'
import { applyRollups } from '../rollup'
import { loadLeadSettings } from '../settings'
import { createAssigner } from './assign'

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

/**
 * Serialises intakes of the same person or source record (transaction-scoped advisory locks): one statement
 * for all keys (one array parameter: the same prepared text for any batch), taken in sorted order so two
 * batches never wait on each other in a circle.
 */
async function lockKeys(ctx: ServiceContext, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys.map((k) => `${ctx.tenantId}:${k}`))].sort()
  if (sorted.length === 0) return
  await ctx.db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(${sql.param(sorted)}::text[]) with ordinality as u(k, i) order by i`,
  )
}

/**
 * The one path every lead takes in (manual, chat, webhook, web form, import), inside the caller's
 * transaction: a known source lead id returns its lead (replay); the same person (normalised phone or
 * email) becomes a touch on the existing lead; otherwise a new lead is stored with its first touch, a
 * matching customer noted, an owner chosen (given, the rules, or the pool) with its SLA timers and card,
 * and the rollups moved — all in the same transaction.
 */
export async function intakeLead(ctx: ServiceContext, req: IntakeRequest): Promise<IntakeResult> {
  const [r] = await intakeLeads(ctx, [req])
  if (!r) throw new Error('intake returned nothing')
  return r
}

/** A new lead's state before its first owner (what `planOwner` starts from). */
const PRISTINE = {
  status: 'new' as const,
  firstContactedAt: null,
  slaState: 'none' as const,
  slaDueAt: null,
  assignmentSeq: 0,
  version: 1,
}

const sourceKey = (channelId: string, sourceLeadId: string) => `${channelId}|${sourceLeadId}`

/**
 * {@link intakeLead} for a batch, with the same outcome as taking the requests one after another, in a
 * fixed number of statements whatever the batch size: one lock statement, one replay lookup, one duplicate
 * lookup among leads and one among customers, then one insert each for the leads (with their owners),
 * touches, owner history, rollup and outbox. A later request for a person or source record already seen in
 * the batch becomes a touch or replay of the earlier one.
 */
export async function intakeLeads(ctx: ServiceContext, reqs: IntakeRequest[]): Promise<IntakeResult[]> {
  if (reqs.length === 0) return []
  const now = ctx.clock.now()
  const items = reqs.map((req) => ({
    req,
    contact: normaliseContact(req.fields),
    utm: clean(req.utm),
    sourceLeadId: req.sourceLeadId?.trim() || null,
  }))
  // The lock and the reads go out at once, in this order (postgres.js pipelines a transaction's queries on
  // its connection, and PostgreSQL runs them in order: each read's snapshot is taken after the locks are
  // held): the keys' locks, replays, the same people among the leads (for every request; replays simply do
  // not use theirs), matching customers, SLAs, settings, and last the rules (locked) with their members'
  // usage. One round trip instead of three.
  const locked = lockKeys(
    ctx,
    items.flatMap(({ req, contact, sourceLeadId }) => [
      ...(sourceLeadId ? [`src:${req.channelId}:${sourceLeadId}`] : []),
      ...(contact.phone ? [`p:${contact.phone}`] : []),
      ...(contact.email ? [`e:${contact.email}`] : []),
    ]),
  )
  const sourced = items.filter((i) => i.sourceLeadId)
  const [, replayRows, existing, customerMatches, channelSlas, settings, assigner] = await Promise.all([
    locked,
    sourced.length === 0
      ? []
      : ctx.db
          .select({ lead: leads, channelId: leadTouches.channelId, sourceLeadId: leadTouches.sourceLeadId })
          .from(leadTouches)
          .innerJoin(leads, eq(leads.id, leadTouches.leadId))
          .where(
            and(
              eq(leadTouches.tenantId, ctx.tenantId),
              sql`${leadTouches.channelId} = any(${sql.param([...new Set(sourced.map((i) => i.req.channelId))])}::text[])`,
              sql`${leadTouches.sourceLeadId} = any(${sql.param([...new Set(sourced.map((i) => i.sourceLeadId ?? ''))])}::text[])`,
            ),
          ),
    findSameLeads(
      ctx,
      items.map((i) => i.contact),
    ),
    // The matching customers too, for every request (only new leads use theirs): no second round trip.
    findMatchingCustomers(
      ctx,
      items.map((i) => i.contact),
    ),
    ctx.db
      .select({ id: leadChannels.id, sla: leadChannels.slaMinutes })
      .from(leadChannels)
      .where(
        and(
          eq(leadChannels.tenantId, ctx.tenantId),
          sql`${leadChannels.id} = any(${sql.param([...new Set(items.map((i) => i.req.channelId))])}::text[])`,
        ),
      ),
    loadLeadSettings(ctx.db, ctx.tenantId),
    // Started after the others are sent (a microtask later): the rule lock is the last to wait on.
    Promise.resolve().then(() => createAssigner(ctx)),
  ])
  const seen = new Map<string, LeadRow>()
  for (const r of replayRows) seen.set(sourceKey(r.channelId, r.sourceLeadId ?? ''), await live(ctx, r.lead))

  /** Each request's answer: a row already stored, or the index of a lead this batch inserts. */
  const answers: Array<{ outcome: IntakeResult['outcome']; lead: LeadRow | number }> = []
  const newRows: Array<typeof leads.$inferInsert> = []
  const messages: OutboxMessage[] = []
  const touchRows: Array<typeof leadTouches.$inferInsert> = []
  const historyRows: Array<typeof fieldHistory.$inferInsert> = []
  const batchSources = new Map<string, LeadRow | number>()
  const candidates: Array<{ contact: NormalisedContact; ref: number }> = []
  const owned: Array<{
    index: number
    userId: string
    ruleId: string | null
    how: 'rule' | 'intake' | 'manual'
  }> = []

  for (const [itemIndex, item] of items.entries()) {
    const { req, contact, sourceLeadId, utm } = item
    const src = sourceLeadId ? sourceKey(req.channelId, sourceLeadId) : null
    const replay = src ? (seen.get(src) ?? batchSources.get(src)) : undefined
    if (replay !== undefined) {
      answers.push({ outcome: 'replay', lead: replay })
      continue
    }
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
    const same: LeadRow | number | undefined =
      sameLeadIn(existing, contact) ??
      candidates.find(
        (c) =>
          (contact.phone && c.contact.phone === contact.phone) ||
          (contact.email && c.contact.email === contact.email),
      )?.ref
    if (same !== undefined) {
      const leadId = typeof same === 'number' ? String(newRows[same]?.id) : same.id
      touchRows.push(touch(leadId, 'repeat', req.campaignId ?? null))
      if (src) batchSources.set(src, same)
      answers.push({ outcome: 'touch', lead: same })
      continue
    }
    const f = req.fields
    const base = {
      id: newId('lea', now.getTime()),
      tenantId: ctx.tenantId,
      name: f.name.trim(),
      company: f.company?.trim() || null,
      ...contact,
      region: f.region?.trim() || null,
      productInterest: f.productInterest?.trim() || null,
      message: f.message?.trim() || null,
      priority: f.priority ?? ('normal' as const),
      ...PRISTINE,
      channelId: req.channelId,
      campaignId: req.campaignId ?? null,
      utm,
      consent: req.consent ?? false,
      matchedCustomerId: customerMatches[itemIndex]?.id ?? null,
      lastActivityAt: now,
      createdById: actorId(ctx.actor),
      createdAt: now,
      updatedAt: now,
    }
    let owner: { userId: string; ruleId: string | null } | null = null
    if (req.ownerId === undefined) owner = await assigner.pick(base)
    else if (req.ownerId) owner = { userId: req.ownerId, ruleId: null }
    if (owner) {
      const how = owner.ruleId ? 'rule' : owner.userId === actorId(ctx.actor) ? 'intake' : 'manual'
      owned.push({ index: newRows.length, userId: owner.userId, ruleId: owner.ruleId, how })
      historyRows.push({
        tenantId: ctx.tenantId,
        entityType: 'lead',
        entityId: base.id,
        field: 'ownerId',
        oldValue: null,
        newValue: owner.userId,
        actorId: actorId(ctx.actor),
        at: now,
      })
    }
    const ref = newRows.length
    newRows.push(base)
    candidates.push({ contact, ref })
    touchRows.push(touch(base.id, 'first', base.campaignId))
    if (src) batchSources.set(src, ref)
    answers.push({ outcome: 'created', lead: ref })
  }
  if (newRows.length > 0) {
    const sla = new Map(channelSlas.map((c) => [c.id, c.sla]))
    for (const o of owned) {
      const row = newRows[o.index]
      if (!row) continue
      const plan = planOwner(
        ctx,
        { ...PRISTINE, id: String(row.id), priority: row.priority ?? 'normal' },
        o.userId,
        o.how,
        {
          ruleId: o.ruleId,
          settings,
          channelSla: sla.get(row.channelId) ?? null,
        },
      )
      Object.assign(row, plan.set)
      messages.push(...plan.messages)
    }
  }
  // The leads as stored (every column, defaults filled in): no `returning` to read back.
  const inserted = newRows.map((r) => fullRow(leads, r))
  const byId = new Map(inserted.map((r) => [r.id, r]))
  // The leads, their touches, the owner history and the outbox in one statement, each insert's rows one
  // JSON parameter; the rollups and the rules' cursors go out with it (postgres.js pipelines a
  // transaction's statements).
  const writes = [
    inserted.length > 0 ? insertRowsSql(leads, inserted) : null,
    touchRows.length > 0 ? insertRowsSql(leadTouches, touchRows) : null,
    historyRows.length > 0 ? insertRowsSql(fieldHistory, historyRows) : null,
    messages.length > 0 ? insertOutboxSql(ctx, messages) : null,
  ].filter((w): w is NonNullable<typeof w> => w !== null)
  await Promise.all([
    writes.length > 0 ? ctx.db.execute(allOf(writes)) : null,
    applyRollups(
      ctx,
      inserted.map((r) => [null, r]),
    ),
    assigner.finish(),
  ])
  return answers.map(({ outcome, lead }) => {
    const row = typeof lead === 'number' ? byId.get(String(newRows[lead]?.id)) : lead
    if (!row) throw new Error('lead insert returned nothing')
    return { lead: row, outcome }
  })
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
