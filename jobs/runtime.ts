import { resolve } from 'node:path'
import { type Clock, systemClock } from '../bot/domain/context'
import type { Env } from '../bot/env'
import { type AppLogger, createLogger } from '../bot/lib/logger'
import { type Database, migrateDatabase, openDatabase } from '../db/client'
import { seedDemo } from '../db/seed/demo'
import { BullQueue } from './drivers/bullmq'
import { InlineQueue } from './drivers/inline'
import { OutboxRelay, outboxWorkOptions, stripOutboxFields } from './outbox'
import { buildProcessors } from './processors'
import type { JobQueue } from './queue'
import { declareSchedules } from './schedules'

export interface Runtime {
  env: Env
  logger: AppLogger
  database: Database
  queue: JobQueue
  relay: OutboxRelay
  clock: Clock
  close(): Promise<void>
}

/**
 * Opens the database (PGlite by default, PostgreSQL with DATABASE_URL), migrates it, picks the queue
 * driver (BullMQ with REDIS_URL, in-process otherwise), seeds the demo tenant on an empty embedded
 * database, and starts the relay and the workers when `work` is set.
 */
export async function bootRuntime(
  env: Env,
  options: { work: boolean; logger?: AppLogger },
): Promise<Runtime> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL)
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: resolve(env.DATA_DIR, 'pglite') })
  await migrateDatabase(database)
  const seed = env.SEED_DEMO === 'true' || (env.SEED_DEMO === 'auto' && database.kind === 'pglite')
  if (seed) {
    const seeded = await seedDemo(database.db)
    if (seeded) logger.info({ tenantId: seeded.tenantId }, 'demo tenant seeded')
  }
  const queue: JobQueue = env.REDIS_URL ? await BullQueue.connect({ url: env.REDIS_URL }) : new InlineQueue()
  const relay = new OutboxRelay(database, queue, { logger })
  const clock = systemClock
  if (options.work) {
    const processors = stripOutboxFields(buildProcessors({ database, queue, logger, clock }))
    await queue.work(
      processors,
      outboxWorkOptions(database, {
        concurrency: 16,
        onFailed: (job, _payload, error) => {
          logger.warn(
            { job: job.name, id: job.id, attempts: job.attempt, err: error.message },
            'job failed for good',
          )
        },
      }),
    )
    await declareSchedules(queue)
    await relay.start()
  }
  let closed = false
  return {
    env,
    logger,
    database,
    queue,
    relay,
    clock,
    close: async () => {
      if (closed) return
      closed = true
      await relay.stop()
      await queue.close(10_000)
      await database.close()
    },
  }
}
