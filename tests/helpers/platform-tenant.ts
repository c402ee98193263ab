import { sql } from 'drizzle-orm'
import type { PlatformName } from '../../bot/chat/model'
import type { ChatPlatform } from '../../bot/chat/port'
import { applyDirectory } from '../../bot/domain/org/apply-directory'
import type { Clock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import type { Logger } from '../../bot/lib/logger'
import type { Database } from '../../db/client'
import { tenants } from '../../db/schema'

/** A platform tenant whose directory is synced from the adapter (against a fake Open API). */
export async function createSyncedTenant(
  database: Database,
  options: {
    platform: ChatPlatform & { name: PlatformName }
    tenantKey: string
    name: string
    clock: Clock
    logger: Logger
  },
): Promise<string> {
  const { platform, tenantKey, clock, logger } = options
  if (!platform.syncDirectory) throw new Error(`${platform.name} has no directory to sync`)
  const tenantId = newId('ten')
  await database.db
    .insert(tenants)
    .values({ id: tenantId, name: options.name, platform: platform.name, platformTenantKey: tenantKey })
  const snapshot = await platform.syncDirectory({ id: tenantId, platformTenantKey: tenantKey })
  await applyDirectory({
    ctx: { tenantId, actor: { kind: 'system', reason: 'test' }, db: database.db, clock, logger },
    input: { platform: platform.name, ...snapshot },
  })
  return tenantId
}

/** Waits until no outbox row is due and unfinished (every relayed job ran, and what it emitted too). */
export async function settleOutbox(database: Database, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from outbox where status in ('pending', 'relayed') and available_at <= now()`,
    )
    if ((row?.n ?? 0) === 0) return
    if (Date.now() > deadline) throw new Error(`outbox not settled after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
