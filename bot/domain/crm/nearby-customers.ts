import { and, isNotNull, type SQL, sql } from 'drizzle-orm'
import { customers } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadCrmAccess, workableCustomers } from './access'
import { nearbyInput, parseInput } from './schemas'

export interface NearbyCustomer {
  id: string
  name: string
  address: string | null
  distanceM: number
}

/**
 * The caller's workable customers nearest to a point (a shared location), within ~50 km. A bounding box
 * narrows the rows, then haversine orders them.
 */
export async function nearbyCustomers({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { lat: number; lng: number; limit?: number }
}): Promise<NearbyCustomer[]> {
  const { lat, lng, limit } = parseInput(nearbyInput, input)
  const access = await loadCrmAccess(ctx)
  const dLat = 0.45
  const dLng = 0.45 / Math.max(0.1, Math.cos((lat * Math.PI) / 180))
  const distance = sql<number>`(2 * 6371008.8 * asin(least(1, sqrt(
      power(sin(radians(${customers.lat}::float8 - ${lat}) / 2), 2)
      + cos(radians(${lat})) * cos(radians(${customers.lat}::float8))
        * power(sin(radians(${customers.lng}::float8 - ${lng}) / 2), 2)))))`
  const rows = await ctx.db
    .select({ id: customers.id, name: customers.name, address: customers.address, distanceM: distance })
    .from(customers)
    .where(
      and(
        workableCustomers(ctx, access),
        isNotNull(customers.lat),
        sql`${customers.lat} between ${lat - dLat} and ${lat + dLat}`,
        sql`${customers.lng} between ${lng - dLng} and ${lng + dLng}`,
      ) as SQL,
    )
    .orderBy(distance)
    .limit(limit)
  return rows.map((r) => ({ ...r, distanceM: Math.round(Number(r.distanceM)) }))
}
