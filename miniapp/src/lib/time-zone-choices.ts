// Apart from time-zone.ts, which the first screen loads: only the pages that pick a zone need these.
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
