import { checkInVisit, type CheckInPayload } from '@/api/visits'
import type { Sender } from './queue'

export const CHECK_IN_KIND = 'visit.checkIn'

/** How each kind of queued item reaches the bot. The item id is the client idempotency key. */
export const defaultSenders: Record<string, Sender> = {
  [CHECK_IN_KIND]: (item) => checkInVisit({ ...(item.payload as CheckInPayload), clientKey: item.id }),
}
