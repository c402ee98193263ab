import { visits } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError } from '../errors'
import { loadCrmAccess, requireCustomer } from './access'
import { type PlanVisitInput, parseInput, planVisitInput } from './schemas'
import { toVisitDto, type VisitDto } from './visits'

/** Plans a visit to a customer the caller may work on. */
export async function planVisit({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: PlanVisitInput
}): Promise<VisitDto> {
  const data = parseInput(planVisitInput, input)
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('only people visit customers')
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    await requireCustomer(txCtx, access, data.customerId, 'write')
    const [row] = await txCtx.db
      .insert(visits)
      .values({
        id: newId('vis'),
        tenantId: txCtx.tenantId,
        customerId: data.customerId,
        userId: me,
        status: 'planned',
        plannedAt: data.plannedAt,
        purpose: data.purpose ?? null,
        createdAt: txCtx.clock.now(),
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    return toVisitDto(row)
  })
}
