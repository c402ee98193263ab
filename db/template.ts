import { sql } from 'drizzle-orm'
import { systemClock } from '../bot/lib/clock'
import { createLogger } from '../bot/lib/logger'
import { createDevchatPlatform } from '../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../bot/platforms/registry'
import { InlineQueue } from '../jobs/drivers/inline'
import { OutboxRelay } from '../jobs/outbox'
import { startWorkers } from '../jobs/workers'
import { buildPgliteTemplate, type Database } from './client'
import { removeStaleTemplates } from './pglite-files'
import { seedDemo } from './seed/demo'

/**
 * Builds the PGlite templates for the committed migrations (run at `npm install` via postinstall), so a new
 * embedded database starts from a tarball instead of initdb: `bare` (migrated) and `demo` (migrated and the
 * demo company seeded, which the first `npm start` on the embedded database would otherwise spend seconds
 * on; its times are moved to the present when a database is made from it). The demo's outbox is worked off
 * here too (its notices delivered to the devchat members), so the first start does not spend seconds of CPU
 * on it before answering. Safe to skip: without them start is just slower.
 */
try {
  console.log(`embedded database template ready: ${await buildPgliteTemplate('bare')}`)
  const demo = await buildPgliteTemplate('demo', async (database) => {
    await seedDemo(database.db)
    await workOffOutbox(database)
  })
  console.log(`embedded demo database template ready: ${demo}`)
  const stale = removeStaleTemplates()
  if (stale.length) console.log(`removed ${stale.length} stale embedded database template files`)
} catch (err) {
  console.warn(`embedded database template not built (start will be slower): ${String(err)}`)
}

/**
 * Runs the product's job processors over the outbox until no row is due or in flight (rows due later, such
 * as reminders, stay pending and move with the demo's times). Gives up after a minute: `npm start` relays
 * whatever is left.
 */
async function workOffOutbox(database: Database): Promise<void> {
  const queue = new InlineQueue()
  const logger = createLogger('silent')
  await startWorkers({
    database,
    queue,
    logger,
    clock: systemClock,
    platforms: new PlatformRegistry().register(createDevchatPlatform()),
    concurrency: 4,
    relay: false,
    adaptive: false,
  })
  const relay = new OutboxRelay(database, queue, { logger })
  const deadline = Date.now() + 60_000
  try {
    while (Date.now() < deadline) {
      await relay.relayAll()
      const [open] = await database.rows<{ due: number; relayed: number }>(
        sql`select count(*) filter (where status = 'pending' and available_at <= now())::int as due,
                   count(*) filter (where status = 'relayed')::int as relayed
              from outbox`,
      )
      if (open && open.due === 0 && open.relayed === 0) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    console.warn('embedded demo template: outbox not worked off within a minute; npm start relays the rest')
  } finally {
    await queue.close(5_000)
  }
}
