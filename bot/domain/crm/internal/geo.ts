import { InvalidInputError } from '../../errors'

const EARTH_RADIUS_M = 6_371_008.8

/** Great-circle distance in metres (haversine). */
export function distanceMeters(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Both or neither coordinate, each in range; 400 naming the field otherwise. */
export function checkPoint(
  lat: number | null | undefined,
  lng: number | null | undefined,
  prefix = '',
): { lat: number; lng: number } | null {
  if ((lat === null || lat === undefined) && (lng === null || lng === undefined)) return null
  if (lat === null || lat === undefined)
    throw new InvalidInputError(`${prefix}lat`, 'lat is required with lng')
  if (lng === null || lng === undefined)
    throw new InvalidInputError(`${prefix}lng`, 'lng is required with lat')
  if (!Number.isFinite(lat) || lat < -90 || lat > 90)
    throw new InvalidInputError(`${prefix}lat`, 'lat must be between -90 and 90')
  if (!Number.isFinite(lng) || lng < -180 || lng > 180)
    throw new InvalidInputError(`${prefix}lng`, 'lng must be between -180 and 180')
  return { lat, lng }
}
