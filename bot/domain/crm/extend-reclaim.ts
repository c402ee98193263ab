import { and, eq } from 'drizzle-orm'
import { customers } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import { type CustomerDto, toCustomerDto } from './dto'
import { settlePoolWarning } from './internal/ownership'
import { daysMs, loadRules } from './rules'

/** The owner's one-time extension of the reclaim deadline (the warning card's button). */
export async function extendReclaim({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerDto> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    const row = await requireCustomer(txCtx, access, customerId, 'write', { forUpdate: true })
    if (!row.ownerId || row.ownerId !== actorId(txCtx.actor))
      throw new InvalidTransitionError('only the current owner can extend')
    if (row.reclaimExtendedAt) throw new InvalidTransitionError('已延期过一次 / already extended once')
    if (!row.reclaimDueAt) throw new InvalidTransitionError('this customer is not due for reclaim')
    const rules = await loadRules(txCtx.db, txCtx.tenantId)
    const now = txCtx.clock.now()
    const dueAt = new Date(row.reclaimDueAt.getTime() + daysMs(rules.extendDays))
    await txCtx.db
      .update(customers)
      .set({ reclaimDueAt: dueAt, reclaimExtendedAt: now, updatedAt: now })
      .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.id, row.id)))
    await settlePoolWarning(txCtx, row, 'extended', dueAt)
    await recordAudit(txCtx, { action: 'crm.customer.extend', targetType: 'customer', targetId: row.id })
    const updated = await requireCustomer(txCtx, access, row.id)
    return toCustomerDto(updated, await userLabels(txCtx, [updated.ownerId]))
  })
}
