import type { MessageKey } from '@/i18n'
import { fromLocalInput } from './datetime'

/** Leeway so a time picked "in a minute" is not already past when the request lands. */
const MIN_LEAD_MS = 60_000

/**
 * Checks a `datetime-local` value for a publish time: set, a real time, and in the future (the bot
 * refuses the past too). Answers the ISO time to send, or the message key of what is wrong.
 */
export function checkPublishTime(value: string, now: number): { iso: string } | { error: MessageKey } {
  if (!value) return { error: 'form.select' }
  const at = new Date(value).getTime()
  if (Number.isNaN(at)) return { error: 'form.select' }
  if (at < now + MIN_LEAD_MS) return { error: 'notices.scheduleFuture' }
  return { iso: fromLocalInput(value) }
}
