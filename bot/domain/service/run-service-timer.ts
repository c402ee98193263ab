import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import { serviceTickets } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import { escalationTargets, recordEvent, type ServiceTimerPayload, tell } from './lifecycle'

export type ServiceTimerOutcome = 'reminded' | 'escalated' | 'stale'

/**
 * Runs one SLA timer that came due. It checks that the assignment it was set for is current and the clock
 * it is about still runs: the reminder (50 %) goes to the owner; the escalation (100 %) flags the breach
 * on the ticket and its timeline and sends the escalation card to the owner's manager (or the service
 * managers when nobody owns it).
 */
export async function runServiceTimer({
  ctx,
  payload,
}: {
  ctx: ServiceContext
  payload: Omit<ServiceTimerPayload, 'tenantId'>
}): Promise<ServiceTimerOutcome> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [t] = await txCtx.db
      .select()
      .from(serviceTickets)
      .where(and(eq(serviceTickets.tenantId, txCtx.tenantId), eq(serviceTickets.id, payload.ticketId)))
      .for('update')
    if (!t || t.assignmentSeq !== payload.seq) return 'stale'
    const clock = payload.step.startsWith('response') ? 'response' : 'resolution'
    const state = clock === 'response' ? t.responseSla : t.resolutionSla
    const dueAt = clock === 'response' ? t.firstResponseDueAt : t.resolutionDueAt
    if (state !== 'pending') return 'stale'
    if (payload.step.endsWith('reminder')) {
      if (!t.ownerId) return 'stale'
      await tell(txCtx, t, t.ownerId, clock === 'response' ? 'response_reminder' : 'resolution_reminder', {
        dueAt: dueAt?.toISOString() ?? null,
        clock,
      })
      return 'reminded'
    }
    const now = txCtx.clock.now()
    const [after] = await txCtx.db
      .update(serviceTickets)
      .set({
        ...(clock === 'response'
          ? { responseSla: 'breached' as const }
          : { resolutionSla: 'breached' as const }),
        version: t.version + 1,
        updatedAt: now,
      })
      .where(eq(serviceTickets.id, t.id))
      .returning()
    if (!after) return 'stale'
    await recordEvent(txCtx, t.id, 'sla_breach', { data: { clock }, internal: true, actorId: null })
    for (const u of await escalationTargets(txCtx, after))
      await tell(txCtx, after, u, 'escalation', { dueAt: dueAt?.toISOString() ?? null, clock })
    return 'escalated'
  })
}

/** Tickets flagged per statement by the scan: each chunk commits on its own and holds its row locks briefly. */
const SCAN_CHUNK = 5000

/**
 * The safety net behind the timers: flags every open ticket of the tenant whose deadline passed while its
 * clock still shows pending (set-based statements of at most {@link SCAN_CHUNK} tickets per clock, on the
 * partial SLA indexes; rows another transaction holds are left to the next scan). Returns how many were
 * flagged; the timers send the cards.
 */
export async function scanServiceSla(ctx: ServiceContext): Promise<{ response: number; resolution: number }> {
  const now = ctx.clock.now()
  const open = inArray(serviceTickets.status, ['new', 'assigned', 'in_progress', 'waiting_customer'])
  const flag = async (clock: 'response' | 'resolution'): Promise<number> => {
    const state = clock === 'response' ? serviceTickets.responseSla : serviceTickets.resolutionSla
    const due = clock === 'response' ? serviceTickets.firstResponseDueAt : serviceTickets.resolutionDueAt
    const overdue = and(eq(serviceTickets.tenantId, ctx.tenantId), eq(state, 'pending'), lt(due, now), open)
    let flagged = 0
    for (;;) {
      const chunk = ctx.db
        .select({ id: serviceTickets.id })
        .from(serviceTickets)
        .where(overdue)
        .limit(SCAN_CHUNK)
        .for('update', { skipLocked: true })
      const rows = await ctx.db
        .update(serviceTickets)
        .set({
          ...(clock === 'response'
            ? { responseSla: 'breached' as const }
            : { resolutionSla: 'breached' as const }),
          version: sql`${serviceTickets.version} + 1`,
        })
        .where(and(inArray(serviceTickets.id, chunk), overdue))
        .returning({ id: serviceTickets.id })
      flagged += rows.length
      if (rows.length < SCAN_CHUNK) return flagged
    }
  }
  return { response: await flag('response'), resolution: await flag('resolution') }
}
