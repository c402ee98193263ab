/**
 * Wall-clock arithmetic in a named time zone with `Intl` alone: what day and time it is there, and the
 * instant a local day starts. Used by schedules that run "at 08:30 in the tenant's zone".
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

/** One cached `en-CA` formatter per zone giving year … second as parts (24-hour). */
export function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(zone, f)
  }
  return f
}

export interface ZonedNow {
  /** `2026-12-03` */
  day: string
  /** `08:30` */
  time: string
  /** 1 = Monday … 7 = Sunday */
  weekday: number
}

function parts(d: Date, zone: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of formatter(zone).formatToParts(d)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

/** Milliseconds the zone is ahead of UTC at `d` (China time without asking `Intl`: it has no DST). */
export function zoneOffsetMs(d: Date, zone: string): number {
  return zone === 'Asia/Shanghai' ? 8 * 3_600_000 : offsetAt(d, zone)
}

/** Milliseconds the zone is ahead of UTC at `d`. */
function offsetAt(d: Date, zone: string): number {
  const p = parts(d, zone)
  const asUtc = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  )
  return asUtc - Math.floor(d.getTime() / 1000) * 1000
}

/** The day, time and weekday at `d` in `zone`. */
export function zonedNow(d: Date, zone: string): ZonedNow {
  const p = parts(d, zone)
  const pad = (n: number | undefined) => String(n ?? 0).padStart(2, '0')
  const day = `${p.year}-${pad(p.month)}-${pad(p.day)}`
  const weekday = ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1
  return { day, time: `${pad(p.hour)}:${pad(p.minute)}`, weekday }
}

/** The instant the local day `day` (`YYYY-MM-DD`) starts in `zone`. */
export function zonedDayStart(day: string, zone: string): Date {
  return zonedInstant(day, '00:00:00', zone)
}

/**
 * The instant of the wall-clock time `time` (`HH:mm` or `HH:mm:ss`) on `day` (`YYYY-MM-DD`) in `zone`
 * (an Invalid Date for a day or time that does not exist).
 */
export function zonedInstant(day: string, time: string, zone: string): Date {
  const guess = new Date(`${day}T${time.length === 5 ? `${time}:00` : time}Z`)
  if (Number.isNaN(guess.getTime())) return guess
  let at = new Date(guess.getTime() - offsetAt(guess, zone))
  at = new Date(guess.getTime() - offsetAt(at, zone))
  return at
}

/** `day` plus `n` calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(new Date(`${day}T00:00:00Z`).getTime() + n * 86_400_000).toISOString().slice(0, 10)
}
