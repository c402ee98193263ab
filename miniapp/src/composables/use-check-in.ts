import { ref, shallowRef } from 'vue'
import { ApiError } from '@/api/errors'
import type { Visit } from '@/api/crm'
import { checkInVisit } from '@/api/visits'
import { useAppContext } from '@/app-context'
import { newClientKey } from '@/offline/queue'
import { CHECK_IN_KIND } from '@/offline/senders'
import type { GeoPosition } from '@/platform/types'
import { getOfflineQueue } from './use-offline-queue'

export type CheckInOutcome = { kind: 'sent'; visit: Visit } | { kind: 'queued'; id: string }

/**
 * Location + check-in. Online, the check-in goes straight to the bot; with no network (the browser says
 * offline, or the call fails for lack of one) it is queued on the device with its original time, place
 * and idempotency key, and sent when the network returns.
 */
export function useCheckIn() {
  const { bridge } = useAppContext()
  const position = shallowRef<GeoPosition | null>(null)
  const locating = ref(false)
  const locationError = shallowRef<unknown>(null)

  async function locate(): Promise<GeoPosition | null> {
    locating.value = true
    locationError.value = null
    try {
      position.value = await bridge.getLocation()
      return position.value
    } catch (error) {
      locationError.value = error
      return null
    } finally {
      locating.value = false
    }
  }

  async function checkIn(input: {
    customerId: string
    visitId?: string | null
    position: GeoPosition
  }): Promise<CheckInOutcome> {
    const payload = {
      customerId: input.customerId,
      visitId: input.visitId ?? null,
      checkedInAt: new Date().toISOString(),
      lat: input.position.lat,
      lng: input.position.lng,
    }
    const clientKey = newClientKey()
    const queue = getOfflineQueue()
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false
    if (!offline) {
      try {
        const { visit } = await checkInVisit({ ...payload, clientKey })
        return { kind: 'sent', visit }
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 0 && error.status < 500)) throw error
      }
    }
    const item = await queue.enqueue(CHECK_IN_KIND, payload, { id: clientKey, createdAt: payload.checkedInAt })
    return { kind: 'queued', id: item.id }
  }

  return { position, locating, locationError, locate, checkIn }
}
