import { and, eq } from 'drizzle-orm'
import { customers, visits } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors'
import { loadCrmAccess, requireCustomer, requireVisitCustomer } from './access'
import { isUniqueViolation } from './dto'
import { distanceMeters } from './internal/geo'
import { loadRules, reclaimDue } from './rules'
import { type CheckInInput, checkInInput, parseInput } from './schemas'
import { toVisitDto, type VisitDto, type VisitRow } from './visits'

const MAX_CLOCK_SKEW_MS = 5 * 60_000
const MAX_OFFLINE_AGE_MS = 30 * 86_400_000

/**
 * Checks in at a customer with the device's location and time. The distance to the customer's geo point
 * is stored and flagged beyond the tenant's threshold. The client's idempotency key makes a check-in that
 * was queued offline and retried later land once, with its original time and place: a repeat returns the
 * first check-in (`replayed: true`).
 */
export async function checkInVisit({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CheckInInput
}): Promise<{ visit: VisitDto; replayed: boolean }> {
  const data = parseInput(checkInInput, input)
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('only people check in')
  const now = ctx.clock.now()
  if (data.checkedInAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS)
    throw new InvalidInputError('checkedInAt', 'check-in time is in the future')
  if (now.getTime() - data.checkedInAt.getTime() > MAX_OFFLINE_AGE_MS)
    throw new InvalidInputError('checkedInAt', 'check-in is older than 30 days')
  const replay = async (): Promise<{ visit: VisitDto; replayed: boolean } | null> => {
    const [prior] = await ctx.db
      .select()
      .from(visits)
      .where(and(eq(visits.tenantId, ctx.tenantId), eq(visits.clientKey, data.clientKey)))
    if (!prior) return null
    if (prior.userId !== me || prior.customerId !== data.customerId)
      throw new ConflictError('this idempotency key was used for another check-in', { field: 'clientKey' })
    return { visit: toVisitDto(prior), replayed: true }
  }
  const first = await replay()
  if (first) return first
  try {
    return await withTransaction(ctx, async (_tx, txCtx) => {
      const access = await loadCrmAccess(txCtx)
      // A visit planned for the caller (上门 from a ticket) carries its customer access; else the caller's own.
      const customer = data.visitId
        ? await requireVisitCustomer(
            txCtx,
            access,
            { id: data.visitId, customerId: data.customerId, userId: me },
            { forUpdate: true },
          )
        : await requireCustomer(txCtx, access, data.customerId, 'write', { forUpdate: true })
      const rules = await loadRules(txCtx.db, txCtx.tenantId)
      const distance =
        customer.lat !== null && customer.lng !== null
          ? Math.round(distanceMeters({ lat: Number(customer.lat), lng: Number(customer.lng) }, data))
          : null
      const fields = {
        status: 'checked_in' as const,
        checkInAt: data.checkedInAt,
        checkInLat: data.lat,
        checkInLng: data.lng,
        checkInAddress: data.address ?? null,
        checkInDistanceM: distance,
        checkInFlagged: distance !== null && distance > rules.checkInFlagMeters,
        clientKey: data.clientKey,
        receivedAt: now,
        updatedAt: now,
      }
      let row: VisitRow | undefined
      if (data.visitId) {
        const [planned] = await txCtx.db
          .select()
          .from(visits)
          .where(
            and(
              eq(visits.tenantId, txCtx.tenantId),
              eq(visits.id, data.visitId),
              eq(visits.userId, me),
              eq(visits.customerId, data.customerId),
            ),
          )
          .for('update')
        if (!planned) throw new NotFoundError('visit', data.visitId)
        if (planned.status !== 'planned') throw new ConflictError('this visit is already checked in')
        ;[row] = await txCtx.db.update(visits).set(fields).where(eq(visits.id, planned.id)).returning()
      } else {
        ;[row] = await txCtx.db
          .insert(visits)
          .values({
            id: newId('vis'),
            tenantId: txCtx.tenantId,
            customerId: data.customerId,
            userId: me,
            ...fields,
            createdAt: now,
          })
          .returning()
      }
      if (!row) throw new Error('check-in wrote nothing')
      const last =
        customer.lastFollowedUpAt && customer.lastFollowedUpAt > data.checkedInAt
          ? customer.lastFollowedUpAt
          : data.checkedInAt
      await txCtx.db
        .update(customers)
        .set({
          lastFollowedUpAt: last,
          reclaimDueAt: customer.ownerId ? reclaimDue(rules, last, false) : null,
          reclaimWarnedAt: null,
          reclaimExtendedAt: null,
        })
        .where(eq(customers.id, customer.id))
      return { visit: toVisitDto(row), replayed: false }
    })
  } catch (err) {
    if (!isUniqueViolation(err)) throw err
    const again = await replay()
    if (again) return again
    throw err
  }
}
