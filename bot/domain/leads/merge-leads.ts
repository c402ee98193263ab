import { and, eq } from 'drizzle-orm'
import { leadFollowUps, leads, leadTouches } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, InvalidTransitionError } from '../errors'
import type { LeadRow } from './access'
import { workableLead } from './internal/work-lead'
import { recordLeadHistory } from './lifecycle'
import { applyRollup } from './rollup'
import { mergeInput, parseInput } from './schemas'

/**
 * Merges a duplicate lead into `leadId`: every touch and follow-up moves over (the merged lead's own first
 * touch becomes a `merged` touch), the duplicate disappears from lists and figures and answers webhook
 * replays with the surviving lead. The caller must be able to work both.
 */
export async function mergeLeads({
  ctx,
  leadId,
  input,
}: {
  ctx: ServiceContext
  leadId: string
  input: unknown
}): Promise<LeadRow> {
  const data = parseInput(mergeInput, input)
  if (data.fromLeadId === leadId) throw new InvalidInputError('fromLeadId', 'a lead cannot merge into itself')
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [first, second] = [leadId, data.fromLeadId].sort()
    const locked = new Map<string, LeadRow>()
    for (const id of [first, second] as string[]) locked.set(id, (await workableLead(txCtx, id)).lead)
    const target = locked.get(leadId) as LeadRow
    const from = locked.get(data.fromLeadId) as LeadRow
    if (from.status === 'converted')
      throw new InvalidTransitionError('a converted lead cannot be merged away')
    const now = txCtx.clock.now()
    await txCtx.db
      .update(leadTouches)
      .set({ leadId: target.id })
      .where(
        and(
          eq(leadTouches.tenantId, txCtx.tenantId),
          eq(leadTouches.leadId, from.id),
          eq(leadTouches.kind, 'repeat'),
        ),
      )
    await txCtx.db
      .update(leadTouches)
      .set({ leadId: target.id, kind: 'merged' })
      .where(and(eq(leadTouches.tenantId, txCtx.tenantId), eq(leadTouches.leadId, from.id)))
    await txCtx.db
      .update(leadFollowUps)
      .set({ leadId: target.id })
      .where(and(eq(leadFollowUps.tenantId, txCtx.tenantId), eq(leadFollowUps.leadId, from.id)))
    const [gone] = await txCtx.db
      .update(leads)
      .set({ mergedIntoId: target.id, slaState: 'none', version: from.version + 1, updatedAt: now })
      .where(eq(leads.id, from.id))
      .returning()
    await applyRollup(txCtx, from, gone ?? null)
    const patch = {
      company: target.company ?? from.company,
      companyNorm: target.companyNorm ?? from.companyNorm,
      phoneRaw: target.phoneRaw ?? from.phoneRaw,
      phone: target.phone ?? from.phone,
      phoneValid: target.phone ? target.phoneValid : from.phoneValid,
      emailRaw: target.emailRaw ?? from.emailRaw,
      email: target.email ?? from.email,
      emailValid: target.email ? target.emailValid : from.emailValid,
      region: target.region ?? from.region,
      productInterest: target.productInterest ?? from.productInterest,
      firstContactedAt: target.firstContactedAt ?? from.firstContactedAt,
    }
    const [after] = await txCtx.db
      .update(leads)
      .set({ ...patch, version: target.version + 1, updatedAt: now, lastActivityAt: now })
      .where(eq(leads.id, target.id))
      .returning()
    if (!after) throw new Error('lead update returned nothing')
    await applyRollup(txCtx, target, after)
    await recordLeadHistory(txCtx, target.id, 'merged', null, from.id)
    await recordAudit(txCtx, {
      action: 'crm.lead.merge',
      targetType: 'lead',
      targetId: target.id,
      meta: { from: from.id },
    })
    return after
  })
}
