import { formatter } from './zoned'

/** China time: the product's default audience. A tenant elsewhere sets its own (`PUT /api/v1/admin/settings`). */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

/** True for an IANA zone name this runtime knows (`Asia/Shanghai`, `Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The zone when it is one this runtime knows, else null. */
export const knownZone = (zone: string | null | undefined): string | null =>
  zone && isTimeZone(zone) ? zone : null

/**
 * `2026-12-04 07:30:05`: an instant as wall time in `zone`, for files people open (CSV, XLSX exports), where
 * the column header names the zone. Machine-facing APIs keep ISO 8601.
 */
export function zonedDateTime(d: Date, zone: string): string {
  const f = formatter(zone)
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** `2026-12-04`: the day of an instant in `zone`. */
export const zonedDay = (d: Date, zone: string): string => zonedDateTime(d, zone).slice(0, 10)
