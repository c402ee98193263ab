import { displayTimeZone } from './time-zone'

const pad = (n: number) => String(n).padStart(2, '0')

/** An `<input type="datetime-local">` value (local time, no zone) → ISO 8601 with the zone offset. */
export function fromLocalInput(value: string): string {
  return new Date(value).toISOString()
}

/** A Date → `YYYY-MM-DDTHH:mm` for `<input type="datetime-local">`. */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** A Date → `YYYY-MM-DD` in local time. */
export function toLocalDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
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
    hour12: false,
    timeZone: displayTimeZone(),
  }).format(date)
}
