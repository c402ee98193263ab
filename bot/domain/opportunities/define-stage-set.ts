import { stageSets, stages } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError, InvalidInputError } from '../errors'
import { requirePermission } from '../org/permissions'
import { parseInput, type StageSetInput, stageSetInput } from './schemas'
import { ensureSalesDefaults, loadStageSets, type StageSetView } from './stage-sets'

/**
 * Defines a stage set for a business line (sales admins): open stages in order, then exactly one won and
 * one lost stage. Each stage carries its default win probability.
 */
export async function defineStageSet({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: StageSetInput
}): Promise<StageSetView> {
  const data = parseInput(stageSetInput, input)
  const kinds = data.stages.map((s) => s.kind ?? 'open')
  if (kinds.filter((k) => k === 'won').length !== 1 || kinds.filter((k) => k === 'lost').length !== 1)
    throw new InvalidInputError('stages', 'a stage set needs exactly one won and one lost stage')
  if (!kinds.includes('open')) throw new InvalidInputError('stages', 'a stage set needs an open stage')
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'crm.sales.manage')
    await ensureSalesDefaults(c)
    const id = newId('sst')
    const created = await c.db
      .insert(stageSets)
      .values({ id, tenantId: c.tenantId, name: data.name, businessLine: data.businessLine ?? null })
      .onConflictDoNothing()
      .returning({ id: stageSets.id })
    if (created.length === 0) throw new ConflictError(`stage set ${data.name} exists`, { field: 'name' })
    await c.db.insert(stages).values(
      data.stages.map((s, i) => ({
        id: newId('stg'),
        tenantId: c.tenantId,
        stageSetId: id,
        name: s.name,
        nameEn: s.nameEn ?? null,
        probability: s.kind === 'won' ? 100 : s.kind === 'lost' ? 0 : s.probability,
        sortOrder: i + 1,
        kind: s.kind ?? 'open',
        forecastCategory:
          s.forecastCategory ??
          (s.probability >= 70 ? 'commit' : s.probability >= 50 ? 'best_case' : 'pipeline'),
      })),
    )
    await recordAudit(c, {
      action: 'sales.stage_set.create',
      targetType: 'stage_set',
      targetId: id,
      after: data,
    })
    const [view] = await loadStageSets(c, [id])
    if (!view) throw new Error('stage set vanished')
    return view
  })
}
