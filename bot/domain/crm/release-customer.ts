import { recordAudit } from '../audit/record-audit'
import type { ServiceContext } from '../context'
import { withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import { type CustomerDto, toCustomerDto } from './dto'
import { changeOwner } from './internal/ownership'

/** Puts a customer the caller may work on back into the pool; the releasing owner enters the cooldown. */
export async function releaseCustomer({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerDto> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    const row = await requireCustomer(txCtx, access, customerId, 'write', { forUpdate: true })
    if (!row.ownerId) throw new InvalidTransitionError('customer is already in the pool')
    await changeOwner(txCtx, row, null, 'release')
    await recordAudit(txCtx, { action: 'crm.customer.release', targetType: 'customer', targetId: row.id })
    const updated = await requireCustomer(txCtx, access, row.id)
    return toCustomerDto(updated, await userLabels(txCtx, []))
  })
}
