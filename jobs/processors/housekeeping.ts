import { sql } from 'drizzle-orm'
import { analyzeStaleEmbedded, vacuumEmbedded } from '../../db/client'
import type { ProcessorDeps } from './types'

/**
 * Keeps the outbox and the inbound dedupe table small: finished rows go after 7 days. On the embedded
 * database (no autovacuum) the two are vacuumed after, so their space is used again, and the tables whose
 * statistics went stale are analyzed.
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
  }
}
