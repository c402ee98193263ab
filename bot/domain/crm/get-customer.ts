import type { ServiceContext } from '../context'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import { type CustomerDto, toCustomerDto } from './dto'

/** One customer within the caller's scope (404 outside it). */
export async function getCustomer({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerDto> {
  const access = await loadCrmAccess(ctx)
  const row = await requireCustomer(ctx, access, customerId)
  return toCustomerDto(row, await userLabels(ctx, [row.ownerId]))
}
