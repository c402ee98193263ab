import { displayTimeZone } from './time-zone'

const pad = (n: number) => String(n).padStart(2, '0')

/*
 * Date and time inputs read and write wall time in the display zone (the tenant's, `time-zone.ts`), as every
 * time shown does: a rep whose laptop is set to another zone plans a 09:00 visit at 09:00 company time. The
 * device's zone only when the bot gave none.
 */

const wallFormats = new Map<string, Intl.DateTimeFormat>()

/** The wall-clock fields of an instant in `zone`. */
function wallIn(date: Date, zone: string) {
  let f = wallFormats.get(zone)
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
    wallFormats.set(zone, f)
  }
  const p = Object.fromEntries(f.formatToParts(date).map((x) => [x.type, Number(x.value)]))
  return { y: p.year ?? 0, mo: p.month ?? 1, d: p.day ?? 1, h: p.hour ?? 0, mi: p.minute ?? 0, s: p.second ?? 0 }
}

/** An `<input type="datetime-local">` value (wall time in the display zone) → ISO 8601 (UTC). */
export function fromLocalInput(value: string): string {
  const zone = displayTimeZone()
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value)
  if (!zone || !m) return new Date(value).toISOString()
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]))
  // The zone's offset at that moment, found by reading the guess back (twice: a DST change between them).
  let at = wall
  for (let i = 0; i < 2; i++) {
    const w = wallIn(new Date(at), zone)
    at = wall - (Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - at)
  }
  return new Date(at).toISOString()
}

/** A Date → `YYYY-MM-DDTHH:mm` (wall time in the display zone) for `<input type="datetime-local">`. */
export function toLocalInput(date: Date): string {
  const zone = displayTimeZone()
  if (!zone)
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
  const w = wallIn(date, zone)
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`
}

/** A Date → `YYYY-MM-DD`, the day in the display zone. */
export function toLocalDate(date: Date): string {
  return toLocalInput(date).slice(0, 10)
}

/** Full date and time for records: "2026/11/26 14:30". */
export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: displayTimeZone(),
  }).format(date)
}
