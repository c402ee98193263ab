import { sql } from 'drizzle-orm'
import { analyzeStaleEmbedded, freezeOldEmbedded, vacuumEmbedded } from '../../db/client'
import type { ProcessorDeps } from './types'

/**
 * Keeps the outbox and the inbound dedupe table small: finished rows go after 7 days. On the embedded
 * database (no autovacuum) the two are vacuumed after, so their space is used again, the tables whose
 * statistics went stale are analyzed, and those with transaction ids near wrapping around frozen.
 */
export function housekeeping(deps: ProcessorDeps) {
  return async (): Promise<void> => {
    await deps.database.db.execute(
      sql`delete from outbox where status = 'done' and finished_at < now() - interval '7 days'`,
    )
    // Feishu re-pushes for up to ~7 h; a week of event ids is ample for dedupe.
    await deps.database.db.execute(
      sql`delete from inbound_events where received_at < now() - interval '7 days'`,
    )
    await vacuumEmbedded(deps.database, ['outbox', 'inbound_events'])
    await analyzeStaleEmbedded(deps.database)
    await freezeOldEmbedded(deps.database)
  }
}
