import { and, eq } from 'drizzle-orm'
import { leads, users } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import type { LeadTimerPayload } from './lifecycle'
import { notify, setOwner, timer } from './lifecycle'
import { applyRollup } from './rollup'
import { loadLeadSettings } from './settings'

export type TimerOutcome = 'reminded' | 'escalated' | 'recycled' | 'rescheduled' | 'stale'

/**
 * Runs one lead timer (an outbox row that came due). Each checks that the assignment it was set for is
 * still current and the lead still needs it, so a contacted, reassigned or closed lead is left alone:
 * the SLA reminder (50 %) goes to the owner; the escalation (100 %) flags the breach and tells the
 * owner's manager; recycling returns a lead untouched for N days to the pool, or re-arms itself for N days
 * after the last activity.
 */
export async function runLeadTimer({
  ctx,
  payload,
}: {
  ctx: ServiceContext
  payload: Omit<LeadTimerPayload, 'tenantId'>
}): Promise<TimerOutcome> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [lead] = await txCtx.db
      .select()
      .from(leads)
      .where(and(eq(leads.tenantId, txCtx.tenantId), eq(leads.id, payload.leadId)))
      .for('update')
    if (!lead || lead.assignmentSeq !== payload.seq || !lead.ownerId || lead.mergedIntoId) return 'stale'
    const open = lead.status !== 'converted' && lead.status !== 'invalid'
    const now = txCtx.clock.now()
    if (payload.step === 'sla_reminder') {
      if (lead.slaState !== 'pending') return 'stale'
      await notify(txCtx, {
        leadId: lead.id,
        kind: 'sla_reminder',
        to: lead.ownerId,
        seq: lead.assignmentSeq,
      })
      return 'reminded'
    }
    if (payload.step === 'sla_escalation') {
      if (lead.slaState !== 'pending') return 'stale'
      const [after] = await txCtx.db
        .update(leads)
        .set({ slaState: 'breached', version: lead.version + 1, updatedAt: now })
        .where(eq(leads.id, lead.id))
        .returning()
      await applyRollup(txCtx, lead, after ?? null)
      const [owner] = await txCtx.db
        .select({ managerId: users.managerId })
        .from(users)
        .where(and(eq(users.tenantId, txCtx.tenantId), eq(users.id, lead.ownerId)))
      const to = owner?.managerId ?? lead.ownerId
      await notify(txCtx, { leadId: lead.id, kind: 'sla_escalation', to, seq: lead.assignmentSeq })
      return 'escalated'
    }
    if (!open) return 'stale'
    const settings = await loadLeadSettings(txCtx.db, txCtx.tenantId)
    if (settings.recycleAfterDays <= 0) return 'stale'
    const due = new Date(
      (lead.lastActivityAt ?? lead.assignedAt ?? now).getTime() + settings.recycleAfterDays * 86_400_000,
    )
    if (due > now) {
      await timer(txCtx, { leadId: lead.id, step: 'recycle', seq: lead.assignmentSeq }, due)
      return 'rescheduled'
    }
    const previous = lead.ownerId
    const after = await setOwner(txCtx, lead, null, 'recycle', { settings })
    await notify(txCtx, { leadId: lead.id, kind: 'recycled', to: previous, seq: after.assignmentSeq })
    return 'recycled'
  })
}
