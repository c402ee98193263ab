import { type ServiceContext, systemContext, userContext } from '../../bot/domain/context'
import {
  FOLLOW_UP_REMINDER,
  IMPORT_RUN,
  runImport,
  scanPool,
  sendFollowUpReminder,
  tenantsWithPoolWork,
} from '../../bot/domain/crm'
import { processors } from '../catalogue'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

export const POOL_SCAN = 'crm.pool.scan'
/** How often the pool rules run (hourly is plenty for day-granular rules). */
export const POOL_SCAN_EVERY_MS = 3600_000

const systemCtx = (deps: ProcessorDeps, tenantId: string, reason: string): ServiceContext =>
  systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })

/** The pool rules for every tenant with customers near their deadline (or one tenant when named). */
export function poolScan(deps: ProcessorDeps): Processor {
  return async (payload) => {
    const only = typeof payload.tenantId === 'string' ? [payload.tenantId] : null
    const tenants = only ?? (await tenantsWithPoolWork({ db: deps.database.db, clock: deps.clock }))
    for (const tenantId of tenants) {
      const r = await scanPool({ ctx: systemCtx(deps, tenantId, 'crm.pool.scan') })
      if (r.warned + r.reclaimed > 0) deps.logger.info({ tenantId, ...r }, 'pool rules applied')
    }
  }
}

export function crmProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return processors({
    [POOL_SCAN]: poolScan(deps),
    [FOLLOW_UP_REMINDER]: async (payload) => {
      const tenantId = payload.tenantId
      await sendFollowUpReminder({
        ctx: systemCtx(deps, tenantId, 'crm.reminder'),
        followUpId: payload.followUpId,
      })
    },
    [IMPORT_RUN]: async (payload) => {
      const tenantId = payload.tenantId
      // Imports run as the person who started them, so their data scope applies.
      await runImport({
        ctx: userContext(
          { db: deps.database.db, clock: deps.clock, logger: deps.logger },
          { tenantId, userId: payload.userId, via: 'api' },
        ),
        jobId: payload.jobId,
      })
    },
  })
}
