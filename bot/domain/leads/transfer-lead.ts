import { type ServiceContext, withTransaction } from '../context'
import { requireTenantUsers } from '../crm/create-customer'
import { InvalidInputError, InvalidTransitionError } from '../errors'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { setOwner } from './lifecycle'
import { parseInput, transferInput } from './schemas'

/** Hands a lead to a colleague (转交): the owner or a manager; the new owner gets the card and a fresh SLA. */
export async function transferLead({
  ctx,
  leadId,
  input,
}: {
  ctx: ServiceContext
  leadId: string
  input: unknown
}): Promise<LeadRow> {
  const data = parseInput(transferInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const { lead } = await workableLead(txCtx, leadId)
    if (lead.status === 'converted' || lead.status === 'invalid')
      throw new InvalidTransitionError(`the lead is ${lead.status}`)
    if (data.toUserId === lead.ownerId) throw new InvalidInputError('toUserId', 'already the owner')
    await requireTenantUsers(txCtx, [data.toUserId], 'toUserId')
    return setOwner(txCtx, lead, data.toUserId, 'transfer')
  })
}
