import { dispatchEvent } from '../../bot/chat/dispatch'
import type { JobPayloadOf } from '../../bot/domain/job-catalogue'
import type { INBOUND_EVENT } from '../../bot/platforms/ingest'
import type { ProcessorDeps } from './types'

/** Handles an inbound event accepted by a webhook or a long connection (already deduplicated at ingest). */
export function inboundEvent(deps: ProcessorDeps) {
  return async (payload: JobPayloadOf<typeof INBOUND_EVENT>): Promise<void> => {
    const { event, deferrals = 0 } = payload
    await dispatchEvent({ database: deps.database, logger: deps.logger, clock: deps.clock }, event, {
      deferrals,
    })
  }
}
