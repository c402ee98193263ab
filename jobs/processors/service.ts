import { type ServiceContext, systemContext } from '../../bot/domain/context'
import {
  runServiceTimer,
  SERVICE_TIMER,
  scanServiceSla,
  tenantsWithOverdueTickets,
} from '../../bot/domain/service'
import { processors } from '../catalogue'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

/** Hourly: the SLA safety net over every tenant's open tickets (timers do the cards). */
export const SERVICE_SLA_SCAN = 'service.sla.scan'

const ctxFor = (deps: ProcessorDeps, tenantId: string, reason: string): ServiceContext =>
  systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })

/** Service ticket SLA timers (reminder at 50 %, escalation at 100 %) and the hourly breach scan. */
export function serviceProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return processors({
    [SERVICE_TIMER]: async (raw) => {
      const { tenantId, ...payload } = raw
      await runServiceTimer({ ctx: ctxFor(deps, tenantId, SERVICE_TIMER), payload })
    },
    [SERVICE_SLA_SCAN]: async () => {
      const tenants = await tenantsWithOverdueTickets({ db: deps.database.db, clock: deps.clock })
      for (const tenantId of tenants) await scanServiceSla(ctxFor(deps, tenantId, SERVICE_SLA_SCAN))
    },
  })
}
