import { and, desc, eq } from 'drizzle-orm'
import { leadFollowUps } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { loadLeadAccess, requireLead } from './access'
import { workableLead } from './internal/work-lead'
import { progress } from './lifecycle'
import { leadFollowUpInput, parseInput } from './schemas'

export type LeadFollowUpRow = typeof leadFollowUps.$inferSelect

/**
 * Logs a follow-up on a lead (写跟进), the same shape as a customer follow-up. The first one is the first
 * contact: a new lead becomes contacted and its SLA is met (or stays breached when late).
 */
export async function addLeadFollowUp({
  ctx,
  leadId,
  input,
}: {
  ctx: ServiceContext
  leadId: string
  input: unknown
}): Promise<LeadFollowUpRow> {
  const data = parseInput(leadFollowUpInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const { lead } = await workableLead(txCtx, leadId)
    if (lead.status === 'converted' || lead.status === 'invalid')
      throw new InvalidTransitionError(`the lead is ${lead.status}; follow up on the customer instead`)
    const now = txCtx.clock.now()
    const [row] = await txCtx.db
      .insert(leadFollowUps)
      .values({
        id: newId('lfu', now.getTime()),
        tenantId: txCtx.tenantId,
        leadId,
        authorId: actorId(txCtx.actor),
        kind: data.kind,
        content: data.content,
        nextFollowUpAt: data.nextFollowUpAt ?? null,
        createdAt: now,
      })
      .returning()
    if (!row) throw new Error('follow-up insert returned nothing')
    await progress(txCtx, lead, {
      status: lead.status === 'new' ? 'contacted' : lead.status,
      contacted: true,
    })
    return row
  })
}

export async function listLeadFollowUps({
  ctx,
  leadId,
}: {
  ctx: ServiceContext
  leadId: string
}): Promise<LeadFollowUpRow[]> {
  await requireLead(ctx, await loadLeadAccess(ctx), leadId)
  return ctx.db
    .select()
    .from(leadFollowUps)
    .where(and(eq(leadFollowUps.tenantId, ctx.tenantId), eq(leadFollowUps.leadId, leadId)))
    .orderBy(desc(leadFollowUps.createdAt))
    .limit(100)
}
