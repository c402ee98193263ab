import { systemContext } from '../../bot/domain/context'
import { runDigests } from '../../bot/domain/reports'
import { tenants } from '../../db/schema'
import type { Processor } from '../queue'
import type { ProcessorDeps } from './types'

/** Every few minutes: the morning brief and the Monday team digest, at each person's time in each tenant's zone. */
export const DIGEST_SCAN = 'reports.digests.scan'

/** Thin processor: for each tenant (or the one named), one verb that claims and sends what is due. */
export function reportProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return {
    [DIGEST_SCAN]: async (payload) => {
      const only = typeof payload.tenantId === 'string' ? payload.tenantId : null
      const rows = only ? [{ id: only }] : await deps.database.db.select({ id: tenants.id }).from(tenants)
      for (const { id } of rows) {
        const ctx = systemContext(
          { db: deps.database.db, clock: deps.clock, logger: deps.logger },
          { tenantId: id, reason: DIGEST_SCAN },
        )
        const sent = await runDigests({ ctx })
        if (sent.morning + sent.weekly > 0) deps.logger.info({ tenantId: id, ...sent }, 'digests sent')
      }
    },
  }
}
