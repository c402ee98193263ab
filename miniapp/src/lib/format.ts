import { dayIn, displayTimeZone } from './time-zone'

const sameDay = (a: Date, b: Date): boolean => dayIn(a) === dayIn(b)

/** "14:30" for today, "3月5日 14:30" / "Mar 5, 14:30" otherwise; `null` for a missing or bad value. */
export function formatWhen(iso: string | undefined, locale: string, now = new Date()): string | null {
  if (!iso) return null
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return null
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: displayTimeZone() }
  const options: Intl.DateTimeFormatOptions = sameDay(date, now)
    ? time
    : { month: 'short', day: 'numeric', ...time }
  return new Intl.DateTimeFormat(locale, options).format(date)
}

/** "3月5日 星期三" / "Wednesday, March 5". */
export function formatToday(locale: string, now = new Date()): string {
  return new Intl.DateTimeFormat(locale, { month: 'long', day: 'numeric', weekday: 'long', timeZone: displayTimeZone() }).format(now)
}
