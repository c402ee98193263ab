import { and, eq } from 'drizzle-orm'
import { fieldHistory, type LeadStatus, leadChannels, leads } from '../../../db/schema'
import { actorId, type ServiceContext } from '../context'
import { emit, type OutboxMessage } from '../outbox'
import type { LeadRow } from './access'
import { applyRollup } from './rollup'
import { type LeadSettings, loadLeadSettings, slaMinutesFor } from './settings'

/** Outbox topic: tell a person about a lead (the job renders the card at send time). */
export const LEAD_NOTIFY = 'leads.notify'
/** Outbox topic: a lead timer came due (SLA reminder, escalation, recycling). */
export const LEAD_TIMER = 'leads.timer'

export type LeadNotifyKind = 'assigned' | 'sla_reminder' | 'sla_escalation' | 'recycled' | 'claimed_back'

export interface LeadNotifyPayload {
  tenantId: string
  leadId: string
  kind: LeadNotifyKind
  to: string
  seq: number
}

export interface LeadTimerPayload {
  tenantId: string
  leadId: string
  step: 'sla_reminder' | 'sla_escalation' | 'recycle'
  seq: number
}

export async function notify(ctx: ServiceContext, p: Omit<LeadNotifyPayload, 'tenantId'>): Promise<void> {
  await emit(ctx, { topic: LEAD_NOTIFY, payload: { tenantId: ctx.tenantId, ...p } })
}

export async function timer(
  ctx: ServiceContext,
  p: Omit<LeadTimerPayload, 'tenantId'>,
  at: Date,
): Promise<void> {
  await emit(ctx, { topic: LEAD_TIMER, payload: { tenantId: ctx.tenantId, ...p }, availableAt: at })
}

async function history(
  ctx: ServiceContext,
  leadId: string,
  field: string,
  oldValue: unknown,
  newValue: unknown,
) {
  await ctx.db.insert(fieldHistory).values({
    tenantId: ctx.tenantId,
    entityType: 'lead',
    entityId: leadId,
    field,
    oldValue: oldValue ?? null,
    newValue: newValue ?? null,
    actorId: actorId(ctx.actor),
    at: ctx.clock.now(),
  })
}

async function channelSlaOf(ctx: ServiceContext, channelId: string): Promise<number | null> {
  const [c] = await ctx.db
    .select({ sla: leadChannels.slaMinutes })
    .from(leadChannels)
    .where(and(eq(leadChannels.tenantId, ctx.tenantId), eq(leadChannels.id, channelId)))
  return c?.sla ?? null
}

type OwnerHow = 'rule' | 'claim' | 'manual' | 'transfer' | 'recycle' | 'intake'

/** Whether giving the lead to `ownerId` starts its first-contact SLA (then the channel's SLA is needed). */
export const startsSla = (
  lead: Pick<LeadRow, 'status' | 'firstContactedAt' | 'slaState'>,
  ownerId: string | null,
): boolean => !!ownerId && lead.status === 'new' && !lead.firstContactedAt && lead.slaState !== 'breached'

/**
 * What giving a lead to `ownerId` writes, computed without touching the database: the lead's new owner
 * fields (assignment sequence bumped, SLA restarted or stopped) and the outbox messages (SLA reminder at
 * 50 %, escalation at 100 %, the recycling check, and the owner's card unless they did it themselves).
 * Shared by {@link setOwner} and the batch intake, which writes a new lead with its owner in one insert.
 */
export function planOwner(
  ctx: ServiceContext,
  lead: Pick<
    LeadRow,
    'id' | 'status' | 'firstContactedAt' | 'slaState' | 'slaDueAt' | 'priority' | 'assignmentSeq' | 'version'
  >,
  ownerId: string | null,
  how: OwnerHow,
  options: { ruleId?: string | null; settings: LeadSettings; channelSla: number | null; silent?: boolean },
): { set: Partial<typeof leads.$inferInsert>; messages: OutboxMessage[] } {
  const now = ctx.clock.now()
  const { settings } = options
  const seq = lead.assignmentSeq + 1
  let slaState = lead.slaState
  let slaDueAt = lead.slaDueAt
  if (startsSla(lead, ownerId)) {
    const minutes = slaMinutesFor(settings, options.channelSla, lead.priority)
    slaState = 'pending'
    slaDueAt = new Date(now.getTime() + minutes * 60_000)
  } else if (!ownerId && slaState === 'pending') {
    slaState = 'none'
    slaDueAt = null
  }
  const messages: OutboxMessage[] = []
  const timer = (step: LeadTimerPayload['step'], at: Date) =>
    messages.push({
      topic: LEAD_TIMER,
      payload: { tenantId: ctx.tenantId, leadId: lead.id, step, seq },
      availableAt: at,
    })
  if (ownerId) {
    if (slaState === 'pending' && slaDueAt) {
      timer('sla_reminder', new Date(now.getTime() + (slaDueAt.getTime() - now.getTime()) / 2))
      timer('sla_escalation', slaDueAt)
    }
    if (settings.recycleAfterDays > 0 && lead.status !== 'converted' && lead.status !== 'invalid')
      timer('recycle', new Date(now.getTime() + settings.recycleAfterDays * 86_400_000))
    if (!options.silent && ownerId !== actorId(ctx.actor))
      messages.push({
        topic: LEAD_NOTIFY,
        payload: { tenantId: ctx.tenantId, leadId: lead.id, kind: 'assigned', to: ownerId, seq },
      })
  }
  return {
    set: {
      ownerId,
      assignedAt: ownerId ? now : null,
      assignedBy: ownerId ? how : null,
      assignmentRuleId: options.ruleId ?? null,
      acceptedAt: null,
      assignmentSeq: seq,
      slaState,
      slaDueAt,
      lastActivityAt: now,
      version: lead.version + 1,
      updatedAt: now,
    },
    messages,
  }
}

/**
 * Gives a lead to `ownerId` (null = the pool) inside the caller's transaction: bumps the assignment
 * sequence (older timers become no-ops), restarts the first-contact SLA when the lead has not been
 * contacted yet, schedules the reminder at 50 %, the escalation at 100 % and the recycling check, records
 * the change, moves the rollup, and tells the new owner unless they did it themselves.
 */
export async function setOwner(
  ctx: ServiceContext,
  lead: LeadRow,
  ownerId: string | null,
  how: OwnerHow,
  options: { ruleId?: string | null; settings?: LeadSettings; silent?: boolean } = {},
): Promise<LeadRow> {
  const settings = options.settings ?? (await loadLeadSettings(ctx.db, ctx.tenantId))
  const channelSla = startsSla(lead, ownerId) ? await channelSlaOf(ctx, lead.channelId) : null
  const plan = planOwner(ctx, lead, ownerId, how, { ...options, settings, channelSla })
  const [after] = await ctx.db.update(leads).set(plan.set).where(eq(leads.id, lead.id)).returning()
  if (!after) throw new Error('lead update returned nothing')
  if (lead.ownerId !== ownerId) await history(ctx, lead.id, 'ownerId', lead.ownerId, ownerId)
  await applyRollup(ctx, lead, after)
  await emit(ctx, plan.messages)
  return after
}

const ORDER: Record<LeadStatus, number> = { new: 0, contacted: 1, qualified: 2, converted: 3, invalid: 3 }

/** Whether `to` follows `from` in new → contacted → qualified → converted | invalid. */
export function canMove(from: LeadStatus, to: LeadStatus): boolean {
  if (from === 'converted' || from === 'invalid') return false
  if (to === 'invalid') return true
  return ORDER[to] > ORDER[from]
}

/**
 * Records first contact and/or a status change in the caller's transaction: the SLA is met (or stays
 * breached), activity is stamped, the change goes to the field history and the rollup moves.
 */
export async function progress(
  ctx: ServiceContext,
  lead: LeadRow,
  change: { status?: LeadStatus; contacted?: boolean; patch?: Partial<typeof leads.$inferInsert> },
): Promise<LeadRow> {
  const now = ctx.clock.now()
  const status = change.status ?? lead.status
  const contactedNow =
    !lead.firstContactedAt &&
    (change.contacted || status === 'contacted' || status === 'qualified' || status === 'converted')
  const slaState =
    contactedNow && lead.slaState === 'pending'
      ? lead.slaDueAt && now > lead.slaDueAt
        ? 'breached'
        : 'met'
      : status === 'invalid' && lead.slaState === 'pending'
        ? 'none'
        : lead.slaState
  const [after] = await ctx.db
    .update(leads)
    .set({
      status,
      ...(contactedNow ? { firstContactedAt: now } : {}),
      slaState,
      lastActivityAt: now,
      version: lead.version + 1,
      updatedAt: now,
      ...change.patch,
    })
    .where(eq(leads.id, lead.id))
    .returning()
  if (!after) throw new Error('lead update returned nothing')
  if (status !== lead.status) await history(ctx, lead.id, 'status', lead.status, status)
  await applyRollup(ctx, lead, after)
  return after
}

export { history as recordLeadHistory }
