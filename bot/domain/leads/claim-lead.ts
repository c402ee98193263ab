import { and, count, eq, notInArray } from 'drizzle-orm'
import { leads } from '../../../db/schema'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ConflictError, ForbiddenError } from '../errors'
import { type LeadRow, loadLeadAccess, requireLead } from './access'
import { setOwner } from './lifecycle'

/** Open leads one rep may hold from the pool at a time. */
export const CLAIM_LIMIT = 100

/** A rep takes a lead from the pool (线索池); 409 when someone was faster or they hold too many. */
export async function claimLead({ ctx, leadId }: { ctx: ServiceContext; leadId: string }): Promise<LeadRow> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const me = actorId(txCtx.actor)
    if (!me) throw new ForbiddenError('leads are claimed by people')
    const access = await loadLeadAccess(txCtx)
    const lead = await requireLead(txCtx, access, leadId, { forUpdate: true })
    if (lead.ownerId) throw new ConflictError('这条线索已被领取 / already claimed', { field: 'leadId' })
    const [held] = await txCtx.db
      .select({ n: count() })
      .from(leads)
      .where(
        and(
          eq(leads.tenantId, txCtx.tenantId),
          eq(leads.ownerId, me),
          notInArray(leads.status, ['converted', 'invalid']),
        ),
      )
    if ((held?.n ?? 0) >= CLAIM_LIMIT)
      throw new ConflictError(`最多持有 ${CLAIM_LIMIT} 条未结线索 / claim limit reached`, { field: 'leadId' })
    return setOwner(txCtx, lead, me, 'claim')
  })
}
