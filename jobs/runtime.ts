import { resolve } from 'node:path'
import { type Clock, systemClock } from '../bot/domain/context'
import type { Env } from '../bot/env'
import { type AppLogger, createLogger } from '../bot/lib/logger'
import { createDevchatPlatform } from '../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../bot/platforms/registry'
import type { ChatPlatform } from '../bot/platforms/types'
import { type Database, migrateDatabase, openDatabase } from '../db/client'
import { seedDemo } from '../db/seed/demo'
import { InlineQueue } from './drivers/inline'
import type { OutboxRelay } from './outbox'
import type { JobQueue } from './queue'
import { declareSchedules } from './schedules'
import { startWorkers } from './workers'

export interface Runtime {
  env: Env
  logger: AppLogger
  database: Database
  queue: JobQueue
  /** The outbox relay, when this process works jobs. */
  relay: OutboxRelay | null
  clock: Clock
  platforms: PlatformRegistry
  close(): Promise<void>
}

/**
 * Opens the database (PGlite by default, PostgreSQL with DATABASE_URL), migrates it, picks the queue
 * driver (BullMQ with REDIS_URL, in-process otherwise), seeds the demo tenant on an empty embedded
 * database, and starts the relay and the workers when `work` is set.
 */
export interface BootOptions {
  /** Start the relay and the job workers in this process. */
  work: boolean
  logger?: AppLogger
  /** Platform adapters besides devchat (Feishu, DingTalk), built by the entry from the environment. */
  platforms?: ChatPlatform[]
}

export async function bootRuntime(env: Env, options: BootOptions): Promise<Runtime> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL)
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: resolve(env.DATA_DIR, 'pglite') })
  await migrateDatabase(database)
  const seed = env.SEED_DEMO === 'true' || (env.SEED_DEMO === 'auto' && database.kind === 'pglite')
  if (seed) {
    const seeded = await seedDemo(database.db)
    if (seeded) logger.info({ tenantId: seeded.tenantId }, 'demo tenant seeded')
  }
  // BullMQ loads only when Redis is configured (the embedded default starts faster without it).
  const queue: JobQueue = env.REDIS_URL
    ? await (await import('./drivers/bullmq')).BullQueue.connect({ url: env.REDIS_URL })
    : new InlineQueue()
  const clock = systemClock
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  for (const extra of options.platforms ?? []) platforms.register(extra)
  let relay: OutboxRelay | null = null
  if (options.work) {
    ;({ relay } = await startWorkers({
      database,
      queue,
      logger,
      clock,
      platforms,
      processors: {
        bootstrapAdmins: env.FLOWCARD_ADMINS,
        webhookPublicOnly:
          env.WEBHOOK_PRIVATE_TARGETS === 'deny' ||
          (env.WEBHOOK_PRIVATE_TARGETS === 'auto' && env.NODE_ENV === 'production'),
      },
      onFailed: (job, _payload, error) => {
        logger.warn(
          { job: job.name, id: job.id, attempts: job.attempt, err: error.message },
          'job failed for good',
        )
      },
    }))
    await declareSchedules(queue)
  }
  let closed = false
  return {
    env,
    logger,
    database,
    queue,
    relay,
    clock,
    platforms,
    close: async () => {
      if (closed) return
      closed = true
      await relay?.stop()
      await queue.close(10_000)
      await database.close()
    },
  }
}
