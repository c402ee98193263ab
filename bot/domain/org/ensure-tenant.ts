import type { Database } from '../../../db/client'
import { type Platform, tenants } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import { newId } from '../../lib/ids'
import type { Logger } from '../../lib/logger'
import { emit } from '../outbox'
import { SYNC_DIRECTORY } from './topics'

/**
 * Makes sure a platform tenant exists, creating it on its first event (named by its key until the
 * directory sync names it) and asking for its directory in the same transaction. Two first events racing
 * create one tenant and one sync. Returns nothing: the caller resolves the tenant afterwards.
 */
export async function ensureTenant({
  database,
  clock,
  logger,
  input,
}: {
  database: Database
  clock: Clock
  logger: Logger
  input: { platform: Platform; tenantKey: string }
}): Promise<void> {
  const id = newId('ten')
  await database.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(tenants)
      .values({ id, name: input.tenantKey, platform: input.platform, platformTenantKey: input.tenantKey })
      .onConflictDoNothing()
      .returning({ id: tenants.id })
    if (inserted.length === 0) return
    const ctx = {
      tenantId: id,
      actor: { kind: 'system' as const, reason: 'new tenant' },
      db: tx,
      clock,
      logger,
    }
    await emit(ctx, { topic: SYNC_DIRECTORY, payload: { tenantId: id } })
  })
}
