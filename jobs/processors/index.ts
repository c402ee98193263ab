import { SEND_CARD_UPDATE, SEND_MESSAGE } from '../../bot/domain/chat'
import { APPLY_CONTACT_CHANGE, SYNC_DIRECTORY } from '../../bot/domain/org'
import { INBOUND_EVENT } from '../../bot/platforms/ingest'
import { parsePayloads, processors } from '../catalogue'
import type { Processor } from '../queue'
import { approvalProcessors } from './approvals'
import { crmProcessors } from './crm'
import { housekeeping } from './housekeeping'
import { inboundEvent } from './inbound'
import { leadProcessors } from './leads'
import { noticeProcessors } from './notices'
import { reportProcessors } from './reports'
import { salesProcessors } from './sales'
import { sendMessage, updateCard } from './send'
import { serviceProcessors } from './service'
import { applyContactChange, SYNC_ALL_DIRECTORIES, syncAllDirectories, syncDirectory } from './sync-directory'
import type { ProcessorDeps } from './types'

export type { ProcessorDeps } from './types'

/** Every job name this system runs, mapped to its processor. */
export function buildProcessors(deps: ProcessorDeps): Record<string, Processor> {
  // Every job's payload is parsed with its schema before the processor runs; an undeclared name throws here.
  return parsePayloads(
    {
      ...processors({
        'system.housekeeping': housekeeping(deps),
        [INBOUND_EVENT]: inboundEvent(deps),
        [SEND_MESSAGE]: sendMessage(deps),
        [SEND_CARD_UPDATE]: updateCard(deps),
        [SYNC_DIRECTORY]: syncDirectory(deps),
        [SYNC_ALL_DIRECTORIES]: syncAllDirectories(deps),
        [APPLY_CONTACT_CHANGE]: applyContactChange(deps),
      }),
      ...noticeProcessors(deps),
      ...approvalProcessors(deps),
      ...crmProcessors(deps),
      ...salesProcessors(deps),
      ...leadProcessors(deps),
      ...serviceProcessors(deps),
      ...reportProcessors(deps),
    },
    deps.logger,
  )
}
