import { and, desc, eq, gte, isNotNull, lt, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { customers, visits } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import { scopeFilter } from '../org/data-scope'
import { loadCrmAccess, userLabels } from './access'
import { parseInput } from './schemas'

const DAY = 86_400_000
const MAX_SPAN_DAYS = 92

export const visitMapInput = z.object({
  /** Start of the period (check-in time, inclusive); default seven days before `to`. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** End of the period (exclusive); default now. */
  to: z.iso.datetime({ offset: true }).optional(),
  /** Only this person's visits (still within the caller's scope). */
  userId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(2000).default(500),
})
export type VisitMapInput = z.input<typeof visitMapInput>

export interface VisitMapPoint {
  id: string
  customerId: string
  customerName: string
  user: { id: string; name: string; department: string | null }
  status: (typeof visits.$inferSelect)['status']
  checkInAt: string
  checkOutAt: string | null
  lat: number
  lng: number
  distanceM: number | null
  flagged: boolean
}

export interface VisitMap {
  from: string
  to: string
  items: VisitMapPoint[]
  /** More visits matched than `limit`; the newest are returned. */
  truncated: boolean
}

/**
 * Checked-in visits with their check-in point, in a period, for the map: the visits of the people in the
 * caller's data scope (a rep sees their own, a team lead the team and below, an admin everyone). The
 * visit's author decides, as for follow-ups: a manager sees where the team went, whoever owns the customer.
 */
export async function visitMap({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: VisitMapInput
}): Promise<VisitMap> {
  const data = parseInput(visitMapInput, input)
  const to = data.to ? new Date(data.to) : ctx.clock.now()
  const from = data.from ? new Date(data.from) : new Date(to.getTime() - 7 * DAY)
  if (from >= to) throw new InvalidInputError('from', 'from: must be before to')
  if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * DAY)
    throw new InvalidInputError('from', `from: the period is at most ${MAX_SPAN_DAYS} days`)
  const access = await loadCrmAccess(ctx)
  const conds: SQL[] = [
    eq(visits.tenantId, ctx.tenantId),
    scopeFilter(access, visits.userId),
    isNotNull(visits.checkInAt),
    isNotNull(visits.checkInLat),
    isNotNull(visits.checkInLng),
    gte(visits.checkInAt, from),
    lt(visits.checkInAt, to),
  ]
  if (data.userId) conds.push(eq(visits.userId, data.userId))
  const rows = await ctx.db
    .select({
      id: visits.id,
      customerId: visits.customerId,
      customerName: customers.name,
      userId: visits.userId,
      status: visits.status,
      checkInAt: visits.checkInAt,
      checkOutAt: visits.checkOutAt,
      lat: visits.checkInLat,
      lng: visits.checkInLng,
      distanceM: visits.checkInDistanceM,
      flagged: visits.checkInFlagged,
    })
    .from(visits)
    .innerJoin(customers, and(eq(customers.id, visits.customerId), eq(customers.tenantId, ctx.tenantId)))
    .where(and(...conds))
    .orderBy(desc(visits.checkInAt), desc(visits.id))
    .limit(data.limit + 1)
  const truncated = rows.length > data.limit
  const page = rows.slice(0, data.limit)
  const labels = await userLabels(
    ctx,
    page.map((r) => r.userId),
  )
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    truncated,
    items: page.map((r) => ({
      id: r.id,
      customerId: r.customerId,
      customerName: r.customerName,
      user: {
        id: r.userId,
        name: labels.get(r.userId)?.name ?? '',
        department: labels.get(r.userId)?.department ?? null,
      },
      status: r.status,
      checkInAt: (r.checkInAt as Date).toISOString(),
      checkOutAt: r.checkOutAt ? r.checkOutAt.toISOString() : null,
      lat: Number(r.lat),
      lng: Number(r.lng),
      distanceM: r.distanceM,
      flagged: r.flagged,
    })),
  }
}
