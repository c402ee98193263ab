import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ForbiddenError } from '../errors'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import { requireTenantUsers } from './create-customer'
import { type CustomerDto, toCustomerDto } from './dto'
import { changeOwner } from './internal/ownership'
import { assignInput, parseInput } from './schemas'

/** A manager assigns a pool customer, or reassigns one in their scope, to a rep (no claim limit). */
export async function assignCustomer({
  ctx,
  customerId,
  input,
}: {
  ctx: ServiceContext
  customerId: string
  input: { ownerId: string }
}): Promise<CustomerDto> {
  const { ownerId } = parseInput(assignInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    const row = await requireCustomer(txCtx, access, customerId, 'read', { forUpdate: true })
    if (!access.canManage) throw new ForbiddenError('only managers may assign customers')
    // Reassigning someone else's customer needs it in the manager's own scope (404 otherwise).
    if (row.ownerId) await requireCustomer(txCtx, access, customerId, 'write')
    await requireTenantUsers(txCtx, [ownerId], 'ownerId')
    if (row.ownerId !== ownerId) await changeOwner(txCtx, row, ownerId, 'assign')
    await recordAudit(txCtx, {
      action: 'crm.customer.assign',
      targetType: 'customer',
      targetId: row.id,
      before: { ownerId: row.ownerId },
      after: { ownerId },
    })
    const updated = await requireCustomer(txCtx, access, row.id)
    return toCustomerDto(updated, await userLabels(txCtx, [ownerId]))
  })
}
