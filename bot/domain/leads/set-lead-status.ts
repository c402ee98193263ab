import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { canMove, progress } from './lifecycle'
import { parseInput, statusInput } from './schemas'

/** Moves a lead forward to contacted or qualified (conversion and invalid have their own verbs). */
export async function setLeadStatus({
  ctx,
  leadId,
  input,
}: {
  ctx: ServiceContext
  leadId: string
  input: unknown
}): Promise<LeadRow> {
  const data = parseInput(statusInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const { lead } = await workableLead(txCtx, leadId)
    if (!canMove(lead.status, data.status))
      throw new InvalidTransitionError(`cannot go from ${lead.status} to ${data.status}`, { field: 'status' })
    return progress(txCtx, lead, { status: data.status })
  })
}
