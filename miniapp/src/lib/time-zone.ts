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
