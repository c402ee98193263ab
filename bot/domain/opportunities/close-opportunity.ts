import { and, eq } from 'drizzle-orm'
import { stages } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadCrmAccess } from '../crm/access'
import { InvalidTransitionError } from '../errors'
import { requireOpportunity } from './access'
import { changeStage } from './change-stage'
import type { OpportunityDto } from './dto'
import { type CloseOpportunityInput, closeOpportunityInput, parseInput } from './schemas'

/** Marks an opportunity won or lost: moves it to its stage set's won or lost stage (lost needs a reason). */
export async function closeOpportunity({
  ctx,
  opportunityId,
  input,
}: {
  ctx: ServiceContext
  opportunityId: string
  input: CloseOpportunityInput
}): Promise<OpportunityDto> {
  const data = parseInput(closeOpportunityInput, input)
  const access = await loadCrmAccess(ctx)
  const opp = await requireOpportunity(ctx, access, opportunityId)
  const [stage] = await ctx.db
    .select({ id: stages.id })
    .from(stages)
    .where(
      and(
        eq(stages.tenantId, ctx.tenantId),
        eq(stages.stageSetId, opp.stageSetId),
        eq(stages.kind, data.outcome),
      ),
    )
  if (!stage)
    throw new InvalidTransitionError(
      `the deal's stage set has no ${data.outcome} stage; an admin adds one under 销售阶段`,
      { field: 'outcome', stageSetId: opp.stageSetId },
    )
  return changeStage({
    ctx,
    opportunityId,
    input: {
      stageId: stage.id,
      ...(data.reasonId ? { reasonId: data.reasonId } : {}),
      ...(data.note ? { note: data.note } : {}),
    },
  })
}
