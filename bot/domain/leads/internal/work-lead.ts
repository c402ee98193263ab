import { actorId, type ServiceContext } from '../../context'
import { NotFoundError } from '../../errors'
import { type LeadAccess, type LeadRow, loadLeadAccess, mayWork, requireLead } from '../access'

/**
 * Loads a lead the caller may work on (locked for the rest of the transaction): visible and theirs, or a
 * manager's. Anything else answers 404 — a rep cannot tell a lead outside their scope from a missing one.
 */
export async function workableLead(
  ctx: ServiceContext,
  leadId: string,
  access?: LeadAccess,
): Promise<{ lead: LeadRow; access: LeadAccess; me: string | null }> {
  const a = access ?? (await loadLeadAccess(ctx))
  const lead = await requireLead(ctx, a, leadId, { forUpdate: true })
  if (!mayWork(a, lead)) throw new NotFoundError('lead', leadId)
  return { lead, access: a, me: actorId(ctx.actor) }
}
