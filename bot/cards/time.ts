/**
 * Times on cards are shown in the reader's zone: the tenant's setting (China time by default), or the
 * person's own when the platform gives one. Every presenter that shows a time takes the zone as an argument
 * (the send job passes the tenant's, chat dispatch passes it to the tap or command that builds the answer).
 */
import { DEFAULT_TIME_ZONE } from '../lib/time-zone'

export { DEFAULT_TIME_ZONE }

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
export function cardDate(d: Date, timeZone: string): string {
  const p = partsIn(d, timeZone)
  return `${p.year}-${p.month}-${p.day}`
}

/** `2026-12-03 07:30` in the zone. */
export function cardDateTime(d: Date, timeZone: string): string {
  const p = partsIn(d, timeZone)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}
