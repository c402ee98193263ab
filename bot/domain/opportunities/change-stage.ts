import { and, eq, isNull, sql } from 'drizzle-orm'
import {
  closeReasons,
  fieldHistory,
  opportunities,
  stageHistory,
  stages,
  winModels,
} from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess } from '../crm/access'
import { ConflictError, InvalidInputError } from '../errors'
import { requireOpportunity } from './access'
import { type OpportunityDto, toOpportunityDto } from './dto'
import { type ChangeStageInput, changeStageInput, parseInput } from './schemas'
import { type Assessment, assessDeal, loadWinModel } from './win-model'

/**
 * Moves an opportunity to another stage of its stage set (a stage outside the set is a 400 naming
 * `stageId`). Entering the won or lost stage closes the deal: lost needs a reason from the tenant's list.
 * The stage history keeps when each stage was entered and left (durations), with the amount and close date
 * at that moment. Moving a closed deal to an open stage reopens it.
 */
export async function changeStage({
  ctx,
  opportunityId,
  input,
}: {
  ctx: ServiceContext
  opportunityId: string
  input: ChangeStageInput
}): Promise<OpportunityDto> {
  const data = parseInput(changeStageInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const current = await requireOpportunity(c, access, opportunityId, { forUpdate: true })
    if (data.version !== undefined && data.version !== current.version)
      throw new ConflictError('opportunity was changed by someone else; reload and retry', {
        currentVersion: current.version,
      })
    const [stage] = await c.db
      .select()
      .from(stages)
      .where(
        and(
          eq(stages.tenantId, c.tenantId),
          eq(stages.stageSetId, current.stageSetId),
          eq(stages.id, data.stageId),
        ),
      )
    if (!stage)
      throw new InvalidInputError(
        'stageId',
        `stageId: 阶段不属于该商机的销售流程 / stage ${data.stageId} is not in the opportunity's stage set`,
      )
    if (stage.id === current.stageId) return toOpportunityDto(c, current)
    let reasonId: string | null = null
    if (stage.kind !== 'open') {
      if (stage.kind === 'lost' && !data.reasonId)
        throw new InvalidInputError('reasonId', 'reasonId: 输单需要选择原因 / a lost deal needs a reason')
      if (data.reasonId) {
        const [reason] = await c.db
          .select({ id: closeReasons.id })
          .from(closeReasons)
          .where(
            and(
              eq(closeReasons.tenantId, c.tenantId),
              eq(closeReasons.id, data.reasonId),
              eq(closeReasons.kind, stage.kind),
              eq(closeReasons.active, true),
            ),
          )
        if (!reason)
          throw new InvalidInputError(
            'reasonId',
            `reasonId: 不是${stage.kind === 'won' ? '赢单' : '输单'}原因 / not a ${stage.kind} reason`,
          )
        reasonId = reason.id
      }
    }
    const now = c.clock.now()
    const me = actorId(c.actor)
    await c.db
      .update(stageHistory)
      .set({ leftAt: now })
      .where(
        and(
          eq(stageHistory.tenantId, c.tenantId),
          eq(stageHistory.opportunityId, current.id),
          isNull(stageHistory.leftAt),
        ),
      )
    await c.db.insert(stageHistory).values({
      tenantId: c.tenantId,
      opportunityId: current.id,
      stageId: stage.id,
      stageName: stage.name,
      enteredAt: now,
      amountCents: current.amountCents,
      expectedCloseDate: current.expectedCloseDate,
      actorId: me,
    })
    const closing = stage.kind !== 'open'
    // An open stage is assessed at once with the tenant's learned model (as the nightly run would, the
    // deal now 0 days in its new stage); no model yet: the stage default.
    const assessed: Assessment = closing
      ? { probability: stage.probability, factors: [] }
      : await assessOnEntry(c, current, stage)
    const [row] = await c.db
      .update(opportunities)
      .set({
        stageId: stage.id,
        stageEnteredAt: now,
        status: stage.kind,
        closedAt: closing ? now : null,
        closeReasonId: closing ? reasonId : null,
        closeNote: closing ? (data.note ?? null) : null,
        winProbability: assessed.probability,
        probabilityFactors: assessed.factors,
        lastActivityAt: now,
        version: sql`${opportunities.version} + 1`,
        updatedAt: now,
      })
      .where(and(eq(opportunities.tenantId, c.tenantId), eq(opportunities.id, current.id)))
      .returning()
    if (!row) throw new Error('stage update returned nothing')
    await c.db.insert(fieldHistory).values({
      tenantId: c.tenantId,
      entityType: 'opportunity',
      entityId: current.id,
      field: 'stageId',
      oldValue: current.stageId,
      newValue: stage.id,
      actorId: me,
      at: now,
    })
    await recordAudit(c, {
      action: closing ? `sales.opportunity.${stage.kind}` : 'sales.opportunity.stage',
      targetType: 'opportunity',
      targetId: current.id,
      before: { stageId: current.stageId, status: current.status },
      after: { stageId: stage.id, status: stage.kind, reasonId },
    })
    return toOpportunityDto(c, row)
  })
}

async function assessOnEntry(
  ctx: ServiceContext,
  deal: typeof opportunities.$inferSelect,
  stage: typeof stages.$inferSelect,
): Promise<Assessment> {
  const [stored] = await ctx.db
    .select({ model: winModels.model })
    .from(winModels)
    .where(eq(winModels.tenantId, ctx.tenantId))
  if (!stored) return { probability: stage.probability, factors: [] }
  return assessDeal(
    loadWinModel(stored.model),
    {
      stages: [stage.id],
      stageAgeDays: 0,
      amountCents: deal.amountCents,
      channel: deal.channel,
      hasCompetitor: deal.competitors.length > 0,
      closeDateSlips: deal.closeDateSlips,
    },
    new Map([[stage.id, stage.name]]),
    new Map([[stage.id, stage.nameEn ?? stage.name]]),
  )
}
