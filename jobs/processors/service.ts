import { and, lt, or, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { ServiceContext } from '../../bot/domain/context'
import { runServiceTimer, SERVICE_TIMER, scanServiceSla } from '../../bot/domain/service'
import { serviceTickets } from '../../db/schema'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

/** Hourly: the SLA safety net over every tenant's open tickets (timers do the cards). */
export const SERVICE_SLA_SCAN = 'service.sla.scan'

const timerPayload = z.object({
  tenantId: z.string().min(1),
  ticketId: z.string().min(1),
  step: z.enum(['response_reminder', 'response_escalation', 'resolution_reminder', 'resolution_escalation']),
  seq: z.number().int(),
})

const ctxFor = (deps: ProcessorDeps, tenantId: string, reason: string): ServiceContext => ({
  tenantId,
  actor: { kind: 'system', reason },
  db: deps.database.db,
  clock: deps.clock,
  logger: deps.logger,
})

/** Service ticket SLA timers (reminder at 50 %, escalation at 100 %) and the hourly breach scan. */
export function serviceProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return {
    [SERVICE_TIMER]: async (raw) => {
      const { tenantId, ...payload } = timerPayload.parse(raw)
      await runServiceTimer({ ctx: ctxFor(deps, tenantId, SERVICE_TIMER), payload })
    },
    [SERVICE_SLA_SCAN]: async () => {
      const now = deps.clock.now()
      const tenants = await deps.database.db
        .selectDistinct({ tenantId: serviceTickets.tenantId })
        .from(serviceTickets)
        .where(
          or(
            and(sql`${serviceTickets.responseSla} = 'pending'`, lt(serviceTickets.firstResponseDueAt, now)),
            and(sql`${serviceTickets.resolutionSla} = 'pending'`, lt(serviceTickets.resolutionDueAt, now)),
          ),
        )
      for (const { tenantId } of tenants) await scanServiceSla(ctxFor(deps, tenantId, SERVICE_SLA_SCAN))
    },
  }
}
