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

