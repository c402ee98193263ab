/**
 * Times on cards are shown in the reader's zone: the tenant's setting (China time by default), or the
 * person's own when the platform gives one. The zone is set around the work that renders
 * (`inZone`: the send job around a render, chat dispatch around a tap or command) instead of being threaded
 * through every presenter and helper; it is kept per async context, so interleaved work never mixes zones.
 */
import { runInZone, zoneInScope } from '../lib/render-zone'
import { DEFAULT_TIME_ZONE } from '../lib/time-zone'

export { DEFAULT_TIME_ZONE }

/** Renders `fn` (a presenter call, or a tap whose answer card is built inside) with card times in `zone`. */
export const inZone = <T>(zone: string, fn: () => T): T => runInZone(zone, fn)

/** The zone the render in progress shows times in. */
const current = (): string => zoneInScope() ?? DEFAULT_TIME_ZONE

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

/** `2026-12-03` in the zone (the render's, unless given). */
export function cardDate(d: Date, timeZone = current()): string {
  const p = partsIn(d, timeZone)
  return `${p.year}-${p.month}-${p.day}`
}

/** `2026-12-03 07:30` in the zone (the render's, unless given). */
export function cardDateTime(d: Date, timeZone = current()): string {
  const p = partsIn(d, timeZone)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}
