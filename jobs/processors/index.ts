import { SEND_CARD_UPDATE, SEND_MESSAGE } from '../../bot/domain/chat/send'
import { INBOUND_EVENT } from '../../bot/platforms/ingest'
import type { Processor } from '../queue'
import { housekeeping } from './housekeeping'
import { inboundEvent } from './inbound'
import { sendMessage, updateCard } from './send'
import type { ProcessorDeps } from './types'

export type { ProcessorDeps } from './types'

/** Every job name this system runs, mapped to its processor. */
export function buildProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return {
    'system.housekeeping': housekeeping(deps),
    [INBOUND_EVENT]: inboundEvent(deps),
    [SEND_MESSAGE]: sendMessage(deps),
    [SEND_CARD_UPDATE]: updateCard(deps),
  }
}
