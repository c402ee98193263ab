/**
 * The zone the mini-app shows times in: the tenant's (`user.timeZone` from the bot, China time by default),
 * not the device's, so a rep travelling abroad and the chat cards agree.
 */
let zone: string | undefined

export function setDisplayTimeZone(next: string | null | undefined): void {
  zone = next || undefined
}

export const displayTimeZone = (): string | undefined => zone

/** `YYYY-MM-DD` of an instant in the display zone. */
export function dayIn(date: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date)
}

/**
 * Today in the display zone as a local-midnight Date, for calendar arithmetic with the Date getters
 * (`new Date(y, m, 1)`…): a period preset ("this month") then follows the tenant's calendar, not the device's.
 */
export function zonedToday(now: Date = new Date()): Date {
  const [y, m, d] = dayIn(now).split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1)
}

/** The zones most companies using Feishu/DingTalk are in, first; then every zone the browser knows. */
const COMMON_ZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Taipei',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Asia/Seoul',
  'Asia/Bangkok',
  'Asia/Dubai',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'UTC',
]

/** IANA zones to pick from (the tenant's setting, one's own): common ones first, then all the browser knows. */
export function timeZoneChoices(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: 'timeZone') => string[] }
  return [...new Set([...COMMON_ZONES, ...(intl.supportedValuesOf?.('timeZone') ?? [])])]
}

/** The time now in `zone`, as a person reads it ("2026年12月4日 07:30"); empty for a zone the browser lacks. */
export function nowIn(zone: string, locale: string, now: Date = new Date()): string {
  try {
    return new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(now)
  } catch {
    return ''
  }
}
