import { and, eq } from 'drizzle-orm'
import { visits } from '../../../db/schema'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, InvalidTransitionError, NotFoundError } from '../errors'
import { loadCrmAccess, requireVisitCustomer } from './access'
import { type CheckOutInput, checkOutInput, parseInput } from './schemas'
import { toVisitDto, type VisitDto, type VisitRow } from './visits'

/** A visit of the caller's, for changes (404 for anyone else's). */
export async function requireOwnVisit(ctx: ServiceContext, visitId: string): Promise<VisitRow> {
  const [v] = await ctx.db
    .select()
    .from(visits)
    .where(
      and(
        eq(visits.tenantId, ctx.tenantId),
        eq(visits.id, visitId),
        eq(visits.userId, actorId(ctx.actor) ?? ''),
      ),
    )
    .for('update')
  if (!v) throw new NotFoundError('visit', visitId)
  const access = await loadCrmAccess(ctx)
  await requireVisitCustomer(ctx, access, v)
  return v
}

/** Checks out of a checked-in visit with an optional summary. */
export async function checkOutVisit({
  ctx,
  visitId,
  input,
}: {
  ctx: ServiceContext
  visitId: string
  input: CheckOutInput
}): Promise<VisitDto> {
  const data = parseInput(checkOutInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const v = await requireOwnVisit(txCtx, visitId)
    if (v.status !== 'checked_in') throw new InvalidTransitionError(`visit is ${v.status}, not checked in`)
    const at = data.checkedOutAt ?? txCtx.clock.now()
    if (v.checkInAt && at < v.checkInAt)
      throw new InvalidInputError('checkedOutAt', 'check-out is before check-in')
    const [row] = await txCtx.db
      .update(visits)
      .set({
        status: 'checked_out',
        checkOutAt: at,
        checkOutLat: data.lat ?? null,
        checkOutLng: data.lng ?? null,
        summary: data.summary ?? v.summary,
        updatedAt: txCtx.clock.now(),
      })
      .where(eq(visits.id, v.id))
      .returning()
    if (!row) throw new Error('update returned nothing')
    return toVisitDto(row)
  })
}
