import type { Visit } from './crm'
import type { paths } from './schema'
import { api, unwrap } from './typed'

/** `checkInInput` as the bot publishes it. */
export type CheckInPayload = paths['/api/v1/crm/visits/check-in']['post']['requestBody']['content']['application/json']

/** Idempotent by `clientKey`: a repeat answers the first check-in with `replayed: true`. */
export async function checkInVisit(body: CheckInPayload): Promise<{ visit: Visit; replayed: boolean }> {
  return unwrap(api().POST('/api/v1/crm/visits/check-in', { body }))
}
