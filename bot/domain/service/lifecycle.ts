import { and, eq, inArray } from 'drizzle-orm'
import {
  customers,
  roles,
  serviceTicketEvents,
  serviceTickets,
  type TicketStatus,
  userRoles,
  users,
} from '../../../db/schema'
import { notify } from '../chat/send'
import { actorId, type ServiceContext } from '../context'
import { InvalidTransitionError } from '../errors'
import { grants } from '../org/permissions'
import { tenantTimeZone } from '../org/time-zone'
import { emit, type OutboxMessage } from '../outbox'
import type { TicketRow } from './access'
import { loadServiceSettings, planSla, type ServiceSettings } from './settings'
import { type TicketCardKind, ticketCardView } from './views'

/** Outbox topic: a ticket SLA timer came due (reminder at 50 %, escalation at 100 %). */
export const SERVICE_TIMER = 'service.timer'

export type ServiceTimerStep =
  | 'response_reminder'
  | 'response_escalation'
  | 'resolution_reminder'
  | 'resolution_escalation'

export interface ServiceTimerPayload {
  tenantId: string
  ticketId: string
  step: ServiceTimerStep
  seq: number
}

type EventKind = typeof serviceTicketEvents.$inferInsert.kind

/** Appends one entry to the ticket's timeline (same transaction as the change). */
export async function recordEvent(
  ctx: ServiceContext,
  ticketId: string,
  kind: EventKind,
  extra: {
    body?: string | null
    data?: Record<string, unknown>
    internal?: boolean
    actorId?: string | null
  } = {},
): Promise<void> {
  await ctx.db.insert(serviceTicketEvents).values({
    tenantId: ctx.tenantId,
    ticketId,
    kind,
    actorId: extra.actorId === undefined ? actorId(ctx.actor) : extra.actorId,
    body: extra.body ?? null,
    data: extra.data ?? {},
    internal: extra.internal ?? false,
    at: ctx.clock.now(),
  })
}

/** Where each status may go (rejected, duplicate and closed end a ticket; resolved may reopen). */
const NEXT: Record<TicketStatus, TicketStatus[]> = {
  new: ['assigned', 'in_progress', 'resolved', 'rejected', 'duplicate'],
  assigned: ['in_progress', 'waiting_customer', 'resolved', 'rejected', 'duplicate'],
  in_progress: ['waiting_customer', 'resolved', 'rejected', 'duplicate'],
  waiting_customer: ['in_progress', 'resolved', 'closed'],
  resolved: ['closed', 'in_progress'],
  closed: [],
  rejected: [],
  duplicate: [],
}

export const OPEN_STATUSES: TicketStatus[] = ['new', 'assigned', 'in_progress', 'waiting_customer']

export function canMove(from: TicketStatus, to: TicketStatus): boolean {
  return NEXT[from].includes(to)
}

export function requireMove(ticket: TicketRow, to: TicketStatus): void {
  if (!canMove(ticket.status, to))
    throw new InvalidTransitionError(`a ${ticket.status} ticket cannot become ${to}`, {
      from: ticket.status,
      to,
    })
}

/** The SLA timers of the current assignment: reminders at 50 %, escalations at 100 %. */
export async function scheduleTimers(
  ctx: ServiceContext,
  t: TicketRow,
  settings: ServiceSettings,
): Promise<void> {
  await emit(ctx, timerMessages(ctx, t, settings, await tenantTimeZone(ctx)))
}

/** The outbox rows {@link scheduleTimers} writes, for a batch that writes them in one insert. */
export function timerMessages(
  ctx: ServiceContext,
  t: TicketRow,
  settings: ServiceSettings,
  zone: string,
): OutboxMessage[] {
  const plan = planSla(settings, t.priority, t.createdAt, zone)
  const rows: Array<{ step: ServiceTimerStep; at: Date }> = []
  if (t.responseSla === 'pending' && t.firstResponseDueAt)
    rows.push(
      { step: 'response_reminder', at: plan.responseHalfAt },
      { step: 'response_escalation', at: t.firstResponseDueAt },
    )
  if (t.resolutionSla === 'pending' && t.resolutionDueAt)
    rows.push(
      { step: 'resolution_reminder', at: plan.resolutionHalfAt },
      { step: 'resolution_escalation', at: t.resolutionDueAt },
    )
  const now = ctx.clock.now()
  return rows.map((r) => ({
    topic: SERVICE_TIMER,
    payload: { tenantId: ctx.tenantId, ticketId: t.id, step: r.step, seq: t.assignmentSeq },
    availableAt: new Date(Math.max(r.at.getTime(), now.getTime())),
  }))
}

/** The snapshot a ticket card shows. */
export async function cardData(
  ctx: ServiceContext,
  t: TicketRow,
  kind: TicketCardKind,
  extra: Partial<Parameters<typeof ticketCardView>[0]> = {},
) {
  const [customer] = t.customerId
    ? await ctx.db
        .select({ name: customers.name })
        .from(customers)
        .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, t.customerId)))
    : []
  const [owner] = t.ownerId
    ? await ctx.db
        .select({ name: users.name })
        .from(users)
        .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, t.ownerId)))
    : []
  return ticketCard(t, kind, customer?.name ?? null, owner?.name ?? null, extra)
}

/** {@link cardData} with the names already at hand (a batch that read them once). */
export function ticketCard(
  t: Pick<TicketRow, 'id' | 'number' | 'subject' | 'type' | 'priority' | 'status'>,
  kind: TicketCardKind,
  customerName: string | null,
  ownerName: string | null,
  extra: Partial<Parameters<typeof ticketCardView>[0]> = {},
) {
  return ticketCardView({
    kind,
    ticketId: t.id,
    number: t.number,
    subject: t.subject,
    type: t.type,
    priority: t.priority,
    status: t.status,
    customerName,
    ownerName,
    dueAt: null,
    ...extra,
  })
}

/** Sends a ticket card to a person (rendered at send time in their language). */
export async function tell(
  ctx: ServiceContext,
  t: TicketRow,
  to: string,
  kind: TicketCardKind,
  extra: Partial<Parameters<typeof ticketCardView>[0]> = {},
): Promise<void> {
  await notify(ctx, {
    to: { userId: to },
    view: await cardData(ctx, t, kind, extra),
    ref: `service:${t.id}:${kind}:${to}`,
    version: t.version,
  })
}

/** Who hears about a breach: the owner's manager, else the tenant's dispatchers (service.manage). */
export async function escalationTargets(
  ctx: ServiceContext,
  t: Pick<TicketRow, 'ownerId'>,
): Promise<string[]> {
  if (t.ownerId) {
    const [owner] = await ctx.db
      .select({ managerId: users.managerId })
      .from(users)
      .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, t.ownerId)))
    if (owner?.managerId) return [owner.managerId]
  }
  const rows = await ctx.db
    .select({ userId: userRoles.userId, permissions: roles.permissions, status: users.status })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.tenantId, ctx.tenantId), inArray(roles.key, ['service_manager', 'admin'])))
  const managers = rows.filter((r) => r.status === 'active' && grants(r.permissions, 'service.manage'))
  const service = managers.filter((r) => !r.permissions.includes('*'))
  return [...new Set((service.length ? service : managers).map((r) => r.userId))].slice(0, 5)
}

/**
 * Gives a ticket to `ownerId` inside the caller's transaction: the status becomes assigned (when new),
 * the assignment sequence moves on (older timers become no-ops), the SLA timers are set for the new
 * owner, the timeline records it and the owner gets the card with 接单 / 转派 / 需要协助.
 */
export async function setOwner(
  ctx: ServiceContext,
  t: TicketRow,
  ownerId: string,
  how: 'rule' | 'manual' | 'transfer' | 'self',
  options: { settings?: ServiceSettings; note?: string | null } = {},
): Promise<TicketRow> {
  const now = ctx.clock.now()
  const [owner] = await ctx.db
    .select({ departmentId: users.departmentId })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, ownerId)))
  const [after] = await ctx.db
    .update(serviceTickets)
    .set({
      ownerId,
      departmentId: owner?.departmentId ?? null,
      assignedAt: now,
      status: t.status === 'new' ? (how === 'self' ? 'in_progress' : 'assigned') : t.status,
      assignmentSeq: t.assignmentSeq + 1,
      version: t.version + 1,
      updatedAt: now,
    })
    .where(eq(serviceTickets.id, t.id))
    .returning()
  if (!after) throw new Error('ticket update returned nothing')
  await recordEvent(ctx, t.id, 'assigned', {
    body: options.note ?? null,
    data: { from: t.ownerId, to: ownerId, how },
  })
  await scheduleTimers(ctx, after, options.settings ?? (await loadServiceSettings(ctx.db, ctx.tenantId)))
  if (ownerId !== actorId(ctx.actor)) await tell(ctx, after, ownerId, 'assigned')
  return after
}

/**
 * Moves a ticket's status in the caller's transaction: the first response is stamped when the owner starts
 * work, asks the customer or resolves; resolving stops the resolution clock; reopening restarts it. The
 * timeline records the move.
 */
export async function moveStatus(
  ctx: ServiceContext,
  t: TicketRow,
  to: TicketStatus,
  extra: { note?: string | null; patch?: Partial<typeof serviceTickets.$inferInsert> } = {},
): Promise<TicketRow> {
  requireMove(t, to)
  const now = ctx.clock.now()
  const responding = !t.firstRespondedAt && ['in_progress', 'waiting_customer', 'resolved'].includes(to)
  const sla = (state: TicketRow['responseSla'], due: Date | null) =>
    state === 'pending' ? (due && now > due ? 'breached' : 'met') : state
  const closing = to === 'rejected' || to === 'duplicate'
  const patch: Partial<typeof serviceTickets.$inferInsert> = {
    status: to,
    version: t.version + 1,
    updatedAt: now,
    ...(responding ? { firstRespondedAt: now, responseSla: sla(t.responseSla, t.firstResponseDueAt) } : {}),
    ...(to === 'resolved'
      ? {
          resolvedAt: now,
          resolutionSla: sla(t.resolutionSla, t.resolutionDueAt),
          resolutionNote: extra.note ?? null,
        }
      : {}),
    ...(to === 'closed' ? { closedAt: now } : {}),
    ...(closing
      ? {
          closedAt: now,
          ...(t.responseSla === 'pending' ? { responseSla: 'none' as const } : {}),
          ...(t.resolutionSla === 'pending' ? { resolutionSla: 'none' as const } : {}),
        }
      : {}),
    ...(t.status === 'resolved' && to === 'in_progress'
      ? { resolvedAt: null, reopenCount: t.reopenCount + 1, rating: null, ratedAt: null }
      : {}),
    ...extra.patch,
  }
  const [after] = await ctx.db
    .update(serviceTickets)
    .set(patch)
    .where(eq(serviceTickets.id, t.id))
    .returning()
  if (!after) throw new Error('ticket update returned nothing')
  await recordEvent(ctx, t.id, t.status === 'resolved' && to === 'in_progress' ? 'reopened' : 'status', {
    body: extra.note ?? null,
    data: { from: t.status, to },
  })
  return after
}
