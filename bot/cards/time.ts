/**
 * Times on cards are shown in the tenant's zone. China time is the product's default audience; the zone
 * is a parameter so a tenant setting can be passed through when the send path carries it.
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

const formatters = new Map<string, Intl.DateTimeFormat>()

function partsIn(d: Date, timeZone: string): Record<string, string> {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, f)
  }
  return Object.fromEntries(f.formatToParts(d).map((p) => [p.type, p.value]))
}

/** `2026-12-03` in the zone. */
export function cardDate(d: Date, timeZone = DEFAULT_TIME_ZONE): string {
  const p = partsIn(d, timeZone)
  return `${p.year}-${p.month}-${p.day}`
}

/** `2026-12-03 07:30` in the zone. */
export function cardDateTime(d: Date, timeZone = DEFAULT_TIME_ZONE): string {
  const p = partsIn(d, timeZone)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}
