import { eq } from 'drizzle-orm'
import { leads } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { recordLeadHistory } from './lifecycle'

/** The owner acknowledges an assigned lead (接受). Idempotent; only the owner may accept. */
export async function acceptLead({ ctx, leadId }: { ctx: ServiceContext; leadId: string }): Promise<LeadRow> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const { lead, me } = await workableLead(txCtx, leadId)
    if (lead.ownerId !== me)
      throw new InvalidTransitionError('only the owner accepts a lead', { field: 'leadId' })
    if (lead.acceptedAt) return lead
    const now = txCtx.clock.now()
    const [after] = await txCtx.db
      .update(leads)
      .set({ acceptedAt: now, lastActivityAt: now, version: lead.version + 1, updatedAt: now })
      .where(eq(leads.id, lead.id))
      .returning()
    await recordLeadHistory(txCtx, lead.id, 'acceptedAt', null, now.toISOString())
    return after ?? lead
  })
}
