import { and, eq } from 'drizzle-orm'
import { serviceTickets, type TicketStatus, users } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError, InvalidTransitionError } from '../errors'
import { tenantTimeZone } from '../org/time-zone'
import { loadServiceAccess, mayWork, requireTicket, type TicketRow } from './access'
import {
  escalationTargets,
  moveStatus,
  OPEN_STATUSES,
  recordEvent,
  requireMove,
  scheduleTimers,
  setOwner,
  tell,
} from './lifecycle'
import { assignInput, commentInput, parseInput, priorityInput, statusChangeInput } from './schemas'
import { loadServiceSettings, planSla } from './settings'

/** Loads the ticket for a change by the caller: visible, locked, and theirs to work (else 403). */
async function forWork(ctx: ServiceContext, ticketId: string): Promise<TicketRow> {
  const access = await loadServiceAccess(ctx)
  const t = await requireTicket(ctx, access, ticketId, { forUpdate: true })
  if (!mayWork(access, t))
    throw new ForbiddenError('only the ticket’s owner or a service manager may do this')
  return t
}

/** 接单: the owner takes the ticket — in progress, and the first response is on time or late. */
export async function acceptTicket({ ctx, ticketId }: { ctx: ServiceContext; ticketId: string }) {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const t = await forWork(txCtx, ticketId)
    if (t.ownerId !== actorId(txCtx.actor) && actorId(txCtx.actor))
      throw new ForbiddenError('only the assigned engineer accepts a ticket')
    return moveStatus(txCtx, t, 'in_progress')
  })
}

/**
 * Moves a ticket along new → assigned → in progress → waiting for customer → resolved → closed (or rejected
 * / duplicate). Resolving tells the requester and asks for a rating; a duplicate names the original.
 */
export async function setTicketStatus({
  ctx,
  ticketId,
  input,
}: {
  ctx: ServiceContext
  ticketId: string
  input: { status: TicketStatus; note?: string | null; duplicateOfId?: string | null }
}): Promise<TicketRow> {
  const data = parseInput(statusChangeInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const t = await forWork(txCtx, ticketId)
    if (data.status === 'assigned')
      throw new InvalidInputError('status', 'status: assign it to someone instead')
    requireMove(t, data.status)
    let duplicateOfId: string | null = null
    if (data.status === 'duplicate') {
      if (!data.duplicateOfId || data.duplicateOfId === t.id)
        throw new InvalidInputError('duplicateOfId', 'duplicateOfId: name the original ticket')
      const [orig] = await txCtx.db
        .select({ id: serviceTickets.id })
        .from(serviceTickets)
        .where(and(eq(serviceTickets.tenantId, txCtx.tenantId), eq(serviceTickets.id, data.duplicateOfId)))
      if (!orig) throw new InvalidInputError('duplicateOfId', 'duplicateOfId: no such ticket')
      duplicateOfId = orig.id
    }
    if (data.status === 'rejected' && !data.note)
      throw new InvalidInputError('note', 'note: say why the ticket is rejected')
    const after = await moveStatus(txCtx, t, data.status, {
      note: data.note ?? null,
      ...(duplicateOfId ? { patch: { duplicateOfId } } : {}),
    })
    await recordAudit(txCtx, {
      action: 'service.ticket.status',
      targetType: 'service_ticket',
      targetId: t.id,
      before: { status: t.status },
      after: { status: after.status },
    })
    if (after.status === 'resolved' && after.requesterId && after.requesterId !== actorId(txCtx.actor))
      await tell(txCtx, after, after.requesterId, 'resolved', { note: after.resolutionNote })
    return after
  })
}

/** A comment on the timeline; a public one by the owner counts as the first response. */
export async function commentTicket({
  ctx,
  ticketId,
  input,
}: {
  ctx: ServiceContext
  ticketId: string
  input: { body: string; internal?: boolean | null }
}): Promise<void> {
  const data = parseInput(commentInput, input)
  await withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadServiceAccess(txCtx)
    const t = await requireTicket(txCtx, access, ticketId, { forUpdate: true })
    await recordEvent(txCtx, t.id, 'comment', { body: data.body, internal: data.internal ?? false })
    const now = txCtx.clock.now()
    const responding = !t.firstRespondedAt && !data.internal && t.ownerId === actorId(txCtx.actor)
    await txCtx.db
      .update(serviceTickets)
      .set({
        updatedAt: now,
        ...(responding
          ? {
              firstRespondedAt: now,
              responseSla:
                t.responseSla === 'pending'
                  ? t.firstResponseDueAt && now > t.firstResponseDueAt
                    ? 'breached'
                    : 'met'
                  : t.responseSla,
            }
          : {}),
      })
      .where(eq(serviceTickets.id, t.id))
  })
}

/**
 * Manual dispatch by a service manager, or 转派 by the owner to a colleague: the new owner gets the card
 * and fresh SLA reminders (the deadlines stay those of the ticket).
 */
export async function assignTicket({
  ctx,
  ticketId,
  input,
}: {
  ctx: ServiceContext
  ticketId: string
  input: { ownerId: string; note?: string | null }
}): Promise<TicketRow> {
  const data = parseInput(assignInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const t = await forWork(txCtx, ticketId)
    if (['closed', 'rejected', 'duplicate'].includes(t.status))
      throw new InvalidInputError('ownerId', 'ownerId: the ticket is closed')
    await requireTenantUsers(txCtx, [data.ownerId], 'ownerId')
    const how = t.ownerId === actorId(txCtx.actor) ? 'transfer' : 'manual'
    const after = await setOwner(txCtx, t, data.ownerId, how, { note: data.note ?? null })
    await recordAudit(txCtx, {
      action: 'service.ticket.assign',
      targetType: 'service_ticket',
      targetId: t.id,
      before: { ownerId: t.ownerId },
      after: { ownerId: data.ownerId },
    })
    return after
  })
}

/** 需要协助: the owner asks their manager (or the service managers) for help; noted on the timeline. */
export async function requestHelp({
  ctx,
  ticketId,
  note,
}: {
  ctx: ServiceContext
  ticketId: string
  note?: string | null
}): Promise<string[]> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const t = await forWork(txCtx, ticketId)
    const me = actorId(txCtx.actor)
    const [who] = me
      ? await txCtx.db
          .select({ name: users.name })
          .from(users)
          .where(and(eq(users.tenantId, txCtx.tenantId), eq(users.id, me)))
      : []
    const to = (await escalationTargets(txCtx, t)).filter((u) => u !== me)
    await recordEvent(txCtx, t.id, 'comment', {
      body: note ?? null,
      internal: true,
      data: { help: true, to },
    })
    for (const u of to) await tell(txCtx, t, u, 'help', { fromName: who?.name ?? null, note: note ?? null })
    return to
  })
}

/**
 * A new priority re-plans the SLA: the clocks still running get the new priority's deadlines counted from
 * the ticket's opening in working time (a deadline already past escalates at once); the old plan's timers
 * become no-ops and the new ones are set. The owner or a service manager, on an open ticket.
 */
export async function setTicketPriority({
  ctx,
  ticketId,
  input,
}: {
  ctx: ServiceContext
  ticketId: string
  input: unknown
}): Promise<TicketRow> {
  const data = parseInput(priorityInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const t = await forWork(txCtx, ticketId)
    if (t.priority === data.priority) return t
    if (!OPEN_STATUSES.includes(t.status))
      throw new InvalidTransitionError(`a ${t.status} ticket keeps its priority`, { from: t.status })
    const [settings, zone] = await Promise.all([
      loadServiceSettings(txCtx.db, txCtx.tenantId),
      tenantTimeZone(txCtx),
    ])
    const plan = planSla(settings, data.priority, t.createdAt, zone)
    const now = txCtx.clock.now()
    const [after] = await txCtx.db
      .update(serviceTickets)
      .set({
        priority: data.priority,
        ...(t.responseSla === 'pending' ? { firstResponseDueAt: plan.responseDueAt } : {}),
        ...(t.resolutionSla === 'pending' ? { resolutionDueAt: plan.resolutionDueAt } : {}),
        assignmentSeq: t.assignmentSeq + 1,
        version: t.version + 1,
        updatedAt: now,
      })
      .where(eq(serviceTickets.id, t.id))
      .returning()
    if (!after) throw new Error('ticket update returned nothing')
    await Promise.all([
      recordEvent(txCtx, t.id, 'priority', {
        body: data.note ?? null,
        data: { from: t.priority, to: data.priority },
      }),
      scheduleTimers(txCtx, after, settings),
      recordAudit(txCtx, {
        action: 'service.ticket.priority',
        targetType: 'service_ticket',
        targetId: t.id,
        before: {
          priority: t.priority,
          firstResponseDueAt: t.firstResponseDueAt,
          resolutionDueAt: t.resolutionDueAt,
        },
        after: {
          priority: after.priority,
          firstResponseDueAt: after.firstResponseDueAt,
          resolutionDueAt: after.resolutionDueAt,
        },
      }),
    ])
    return after
  })
}
