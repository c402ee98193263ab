import { dispatchEvent } from '../../bot/chat/dispatch'
import type { InboundEvent } from '../../bot/chat/model'
import type { JobPayload } from '../queue'
import type { ProcessorDeps } from './types'

/** Handles an inbound event accepted by a webhook or a long connection (already deduplicated at ingest). */
export function inboundEvent(deps: ProcessorDeps) {
  return async (payload: JobPayload): Promise<void> => {
    const event = payload.event as InboundEvent
    const deferrals = typeof payload.deferrals === 'number' ? payload.deferrals : 0
    await dispatchEvent({ database: deps.database, logger: deps.logger, clock: deps.clock }, event, {
      deferrals,
    })
  }
}
