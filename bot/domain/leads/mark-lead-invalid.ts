import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, InvalidTransitionError } from '../errors'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { canMove, progress } from './lifecycle'
import { invalidInput, parseInput } from './schemas'
import { loadLeadSettings } from './settings'

/** Closes a lead as invalid (无效) with a reason from the tenant's list. */
export async function markLeadInvalid({
  ctx,
  leadId,
  input,
}: {
  ctx: ServiceContext
  leadId: string
  input: unknown
}): Promise<LeadRow> {
  const data = parseInput(invalidInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const settings = await loadLeadSettings(txCtx.db, txCtx.tenantId)
    if (!settings.invalidReasons.includes(data.reason))
      throw new InvalidInputError('reason', `reason must be one of: ${settings.invalidReasons.join(', ')}`)
    const { lead } = await workableLead(txCtx, leadId)
    if (!canMove(lead.status, 'invalid'))
      throw new InvalidTransitionError(`the lead is already ${lead.status}`)
    return progress(txCtx, lead, { status: 'invalid', patch: { invalidReason: data.reason } })
  })
}
