/**
 * Dates relative to the clock, so no test depends on the calendar. A literal such as `2026-12-01` turns into a
 * past date one day and breaks every test that needs a future one (a leave request, a next follow-up time).
 */

const DAY_MS = 86_400_000
const SHANGHAI_OFFSET_MS = 8 * 3_600_000

/** `YYYY-MM-DD` for today plus `days`, as the calendar reads in Beijing (the demo tenant's time zone). */
export function dayFromNow(days: number, now: Date = new Date()): string {
  return new Date(now.getTime() + SHANGHAI_OFFSET_MS + days * DAY_MS).toISOString().slice(0, 10)
}

/**
 * `YYYY-MM-DDTHH:mm` for a `datetime-local` input, `days` from now at `hour`:00 of the browser's local time.
 * The test browser runs in this process's time zone, so local time here is local time there.
 */
export function localDateTimeFromNow(days: number, hour: number, now: Date = new Date()): string {
  const at = new Date(now.getTime() + days * DAY_MS)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(hour)}:00`
}

/** An inclusive date range of `length` days starting `startInDays` from today. */
export function rangeFromNow(startInDays: number, length: number, now: Date = new Date()) {
  return { start: dayFromNow(startInDays, now), end: dayFromNow(startInDays + length - 1, now) }
}
