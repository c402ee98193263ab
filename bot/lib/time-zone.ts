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
