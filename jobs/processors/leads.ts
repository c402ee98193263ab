import { leadCard } from '../../bot/cards/lead-card'
import { type ServiceContext, systemContext } from '../../bot/domain/context'
import { LEAD_NOTIFY, LEAD_TIMER, runLeadTimer, sendLeadNotice } from '../../bot/domain/leads'
import { processors } from '../catalogue'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

const systemCtx = (deps: ProcessorDeps, tenantId: string, reason: string): ServiceContext =>
  systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })

/** Lead cards (rendered at send time) and lead timers (SLA reminder, escalation, recycling). */
export function leadProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return processors({
    [LEAD_NOTIFY]: async (raw) => {
      const { tenantId, ...payload } = raw
      await sendLeadNotice({
        ctx: systemCtx(deps, tenantId, LEAD_NOTIFY),
        payload,
        present: (view, kind, locale, timeZone) =>
          leadCard(view, locale, timeZone, kind === 'claimed_back' ? 'plain' : kind),
      })
    },
    [LEAD_TIMER]: async (raw) => {
      const { tenantId, ...payload } = raw
      await runLeadTimer({ ctx: systemCtx(deps, tenantId, LEAD_TIMER), payload })
    },
  })
}
