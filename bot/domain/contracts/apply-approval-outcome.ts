import { and, eq, sql } from 'drizzle-orm'
import { contracts, fieldHistory } from '../../../db/schema'
import { queueSystemEvent } from '../approvals/external/webhooks'
import type { ApprovalFinishedEvent } from '../approvals/on-finished'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { emit } from '../outbox'

/** Event announced to the tenant's external systems (ERP) when a contract becomes active. */
export const CONTRACT_ACTIVATED = 'contract.activated'

/**
 * The approvals' finished hook for contracts: approved → active (and `contract.activated` is announced to
 * every registered external system by signed, retried webhook); rejected, withdrawn or cancelled → back to
 * draft. Only the contract's current request counts, and only while the contract is in approval, so a
 * replayed or stale event changes nothing.
 */
export async function applyApprovalOutcome({
  ctx,
  event,
}: {
  ctx: ServiceContext
  event: ApprovalFinishedEvent
}): Promise<'activated' | 'reopened' | 'ignored'> {
  const contractId = event.businessRef?.split(':')[1]
  if (!contractId) return 'ignored'
  return withTransaction(ctx, async (_tx, c) => {
    const [current] = await c.db
      .select()
      .from(contracts)
      .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, contractId)))
      .for('update')
    if (current?.status !== 'in_approval' || current.approvalInstanceId !== event.instanceId) return 'ignored'
    const now = c.clock.now()
    const approved = event.status === 'approved'
    const status = approved ? 'active' : 'draft'
    await c.db
      .update(contracts)
      .set({
        status,
        ...(approved ? { activatedAt: now, signedDate: current.signedDate ?? dayOf(now) } : {}),
        version: sql`${contracts.version} + 1`,
        updatedAt: now,
      })
      .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, current.id)))
    await c.db.insert(fieldHistory).values({
      tenantId: c.tenantId,
      entityType: 'contract',
      entityId: current.id,
      field: 'status',
      oldValue: 'in_approval',
      newValue: status,
      actorId: null,
      at: now,
    })
    await recordAudit(c, {
      action: approved ? 'sales.contract.activate' : 'sales.contract.reopen',
      targetType: 'contract',
      targetId: current.id,
      meta: { instanceId: event.instanceId, outcome: event.status },
    })
    if (approved) {
      await emit(
        c,
        await queueSystemEvent(c, {
          event: CONTRACT_ACTIVATED,
          instanceId: event.instanceId,
          data: {
            externalId: current.id,
            serialNo: current.number,
            contractId: current.id,
            number: current.number,
            name: current.name,
            customerId: current.customerId,
            amountCents: current.amountCents,
            discountBp: current.discountBp,
            signedDate: current.signedDate ?? dayOf(now),
            startDate: current.startDate,
            endDate: current.endDate,
          },
        }),
      )
    }
    return approved ? 'activated' : 'reopened'
  })
}

/** China-time calendar day of an instant. */
export const dayOf = (d: Date): string => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
