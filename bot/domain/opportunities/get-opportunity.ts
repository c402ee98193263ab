import { and, asc, eq } from 'drizzle-orm'
import { stageHistory } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess } from '../crm/access'
import { type FieldChange, readFieldHistory } from '../crm/get-field-history'
import { requireOpportunity } from './access'
import { type OpportunityDto, toOpportunityDto } from './dto'
import { type LineItemDto, loadLineItems } from './line-items'

export interface StageVisit {
  stageId: string
  stageName: string
  enteredAt: string
  leftAt: string | null
  /** Seconds in the stage (until now for the current one). */
  durationSeconds: number
  amountCents: number
  expectedCloseDate: string | null
}

export interface OpportunityDetail {
  opportunity: OpportunityDto
  items: LineItemDto[]
  stageHistory: StageVisit[]
}

/** One opportunity with its line items and stage history (with durations); 404 outside the data scope. */
export async function getOpportunity({
  ctx,
  opportunityId,
  access,
}: {
  ctx: ServiceContext
  opportunityId: string
  access?: CrmAccess
}): Promise<OpportunityDetail> {
  const a = access ?? (await loadCrmAccess(ctx))
  const row = await requireOpportunity(ctx, a, opportunityId)
  const [opportunity, items, history] = await Promise.all([
    toOpportunityDto(ctx, row),
    loadLineItems(ctx, 'opportunity', row.id),
    ctx.db
      .select()
      .from(stageHistory)
      .where(and(eq(stageHistory.tenantId, ctx.tenantId), eq(stageHistory.opportunityId, row.id)))
      .orderBy(asc(stageHistory.enteredAt), asc(stageHistory.id)),
  ])
  const now = ctx.clock.now().getTime()
  return {
    opportunity,
    items,
    stageHistory: history.map((h) => ({
      stageId: h.stageId,
      stageName: h.stageName,
      enteredAt: h.enteredAt.toISOString(),
      leftAt: h.leftAt?.toISOString() ?? null,
      durationSeconds: Math.max(0, Math.round(((h.leftAt?.getTime() ?? now) - h.enteredAt.getTime()) / 1000)),
      amountCents: h.amountCents,
      expectedCloseDate: h.expectedCloseDate,
    })),
  }
}

/** Field history of an opportunity (same mechanism and shape as the customer's), newest first. */
export async function getOpportunityHistory({
  ctx,
  opportunityId,
  limit = 100,
}: {
  ctx: ServiceContext
  opportunityId: string
  limit?: number
}): Promise<FieldChange[]> {
  const access = await loadCrmAccess(ctx)
  await requireOpportunity(ctx, access, opportunityId)
  return readFieldHistory(ctx, 'opportunity', opportunityId, limit)
}
