import { z } from 'zod'
import { leadCard } from '../../bot/cards/lead-card'
import { type ServiceContext, systemContext } from '../../bot/domain/context'
import { LEAD_NOTIFY, LEAD_TIMER, runLeadTimer } from '../../bot/domain/leads'
import { sendLeadNotice } from '../../bot/domain/leads/send-lead-notice'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

const notifyPayload = z.object({
  tenantId: z.string().min(1),
  leadId: z.string().min(1),
  kind: z.enum(['assigned', 'sla_reminder', 'sla_escalation', 'recycled', 'claimed_back']),
  to: z.string().min(1),
  seq: z.number().int(),
})

const timerPayload = z.object({
  tenantId: z.string().min(1),
  leadId: z.string().min(1),
  step: z.enum(['sla_reminder', 'sla_escalation', 'recycle']),
  seq: z.number().int(),
})

const systemCtx = (deps: ProcessorDeps, tenantId: string, reason: string): ServiceContext =>
  systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })

/** Lead cards (rendered at send time) and lead timers (SLA reminder, escalation, recycling). */
export function leadProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return {
    [LEAD_NOTIFY]: async (raw) => {
      const { tenantId, ...payload } = notifyPayload.parse(raw)
      await sendLeadNotice({
        ctx: systemCtx(deps, tenantId, LEAD_NOTIFY),
        payload,
        present: (view, kind, locale) => leadCard(view, locale, kind === 'claimed_back' ? 'plain' : kind),
      })
    },
    [LEAD_TIMER]: async (raw) => {
      const { tenantId, ...payload } = timerPayload.parse(raw)
      await runLeadTimer({ ctx: systemCtx(deps, tenantId, LEAD_TIMER), payload })
    },
  }
}
