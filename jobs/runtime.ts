import { resolve } from 'node:path'
import type { ChatPlatform } from '../bot/chat/port'
import { type Env, privateWebhookTargetsAllowed } from '../bot/env'
import { bootPhase } from '../bot/lib/boot-phases'
import { type Clock, systemClock } from '../bot/lib/clock'
import { type AppLogger, createLogger } from '../bot/lib/logger'
import type { Metrics } from '../bot/lib/metrics'
import { createDevchatPlatform } from '../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../bot/platforms/registry'
import { type Database, migrateDatabase, openDatabase, waitForDatabase, whileUnreachable } from '../db/client'
import { DEMO_TENANT_KEY, seedDemo } from '../db/seed/demo'
import { findTenantByKey } from '../db/seed/org'
import { shiftTenantTimes } from '../db/shift-times'
import type { LoopDelayGovernor } from './backpressure'
import { InlineQueue } from './drivers/inline'
import type { OutboxRelay } from './outbox'
import type { JobQueue } from './queue'
import { resealSecrets } from './reseal-secrets'
import { declareSchedules } from './schedules'
import { installKeysFromEnv } from './secret-keys'
import { startWorkers } from './workers'

export interface Runtime {
  env: Env
  logger: AppLogger
  database: Database
  queue: JobQueue
  /** The outbox relay, once this process works jobs. */
  relay: OutboxRelay | null
  /** Adapts this process's background work to event-loop delay, once this process works jobs. */
  governor: LoopDelayGovernor | null
  clock: Clock
  platforms: PlatformRegistry
  /**
   * Starts the relay and the job workers here (with `work: 'later'`; once, later calls get the first one's
   * promise). Until then jobs added to the in-process queue wait in it.
   */
  startWork(): Promise<void>
  close(): Promise<void>
}

/**
 * Opens the database (PGlite by default, PostgreSQL with DATABASE_URL), migrates it, picks the queue
 * driver (BullMQ with REDIS_URL, in-process otherwise), seeds the demo tenant on an empty embedded
 * database, and starts the relay and the workers when `work` is set.
 */
export interface BootOptions {
  /**
   * Start the relay and the job workers in this process: `true` before returning, `'later'` when the
   * caller calls `startWork()` (`npm start` does once it listens: the relay's first pass, the template's
   * pending messages on a new embedded database, then does not delay `/readyz`).
   */
  work: boolean | 'later'
  logger?: AppLogger
  /** Platform adapters besides devchat (Feishu, DingTalk), built by the entry from the environment. */
  platforms?: ChatPlatform[]
  /**
   * Migrate the database and seed the demo tenant (default true). A job child of `npm start` skips it:
   * its parent has done it before forking.
   */
  prepare?: boolean
  /** Sends and job tries are counted here (Prometheus when METRICS_TOKEN is set). */
  metrics?: Metrics
}

export async function bootRuntime(env: Env, options: BootOptions): Promise<Runtime> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL)
  const prepare = options.prepare ?? true
  const seed =
    prepare && (env.SEED_DEMO === 'true' || (env.SEED_DEMO === 'auto' && env.DATABASE_URL === undefined))
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: resolve(env.DATA_DIR, 'pglite'),
    // A new embedded database that would be seeded starts from the demo template built at install time.
    template: seed ? 'demo' : 'bare',
    // The product's embedded database keeps 64 MB of pages in PGlite (16 MB by default): with 16 MB, under a
    // burst of webhooks a sixth of the process's CPU went to reading pages back from the file cache (each
    // miss a read() through Emscripten's file system); 64 MB costs ~0.3 s more at start.
    sharedBuffers: '64MB',
  })
  bootPhase('database')
  const keyring = installKeysFromEnv(env, logger)
  const onWait = (error: unknown) =>
    logger.warn({ err: (error as Error).message }, 'the database cannot be reached yet; waiting for it')
  if (database.kind === 'postgres') await waitForDatabase(database, { onWait })
  if (prepare) {
    // Migrating and resealing are safe to repeat: a database that restarts between or during them (it
    // answered the wait just before) is waited for again rather than ending the boot.
    const resealed = await whileUnreachable(
      async () => {
        await migrateDatabase(database)
        bootPhase('migrations')
        // The data migration of stored secrets: plaintext ones sealed, ones under an older key re-sealed.
        return resealSecrets(database, keyring)
      },
      { onWait },
    )
    if (resealed.sealed + resealed.rekeyed > 0)
      logger.info({ sealed: resealed.sealed, rekeyed: resealed.rekeyed }, 'stored secrets sealed')
    for (const [keyId, count] of Object.entries(resealed.unreadable))
      logger.error(
        { keyId, count },
        'stored secrets are sealed with a key ENCRYPTION_KEYS does not list: add that key back, or rotate those secrets',
      )
  }
  if (prepare) bootPhase('reseal')
  if (seed && database.filledAt) {
    // Made from the demo template: move its times from when it was built to now.
    const demo = await findTenantByKey(database.db, 'devchat', DEMO_TENANT_KEY)
    if (demo) {
      await shiftTenantTimes(database, demo.id, Date.now() - database.filledAt.getTime())
      logger.info({ tenantId: demo.id }, 'demo tenant loaded from the install-time template')
    }
    bootPhase('shift-times')
  }
  if (seed) {
    const seeded = await seedDemo(database.db)
    if (seeded) logger.info({ tenantId: seeded.tenantId }, 'demo tenant seeded')
    bootPhase('seed')
  }
  // BullMQ loads only when Redis is configured (the embedded default starts faster without it).
  const queue: JobQueue = env.REDIS_URL
    ? await (await import('./drivers/bullmq')).BullQueue.connect({
        url: env.REDIS_URL,
        lockMs: env.JOBS_LOCK_MS,
      })
    : new InlineQueue()
  const clock = systemClock
  const platforms = new PlatformRegistry(options.metrics).register(createDevchatPlatform())
  for (const extra of options.platforms ?? []) platforms.register(extra)
  const runtime: Runtime = {
    env,
    logger,
    database,
    queue,
    relay: null,
    governor: null,
    clock,
    platforms,
    startWork: () => {
      working ??= startWork()
      return working
    },
    close: async () => {
      if (closed) return
      closed = true
      await working?.catch(() => {})
      runtime.governor?.stop()
      await runtime.relay?.stop()
      await queue.close(10_000)
      await database.close()
    },
  }
  let working: Promise<void> | undefined
  let closed = false
  async function startWork(): Promise<void> {
    ;({ relay: runtime.relay, governor: runtime.governor } = await startWorkers({
      // Embedded: the relay's and the jobs' statements wait behind the requests' (one PGlite thread).
      database: database.background?.() ?? database,
      queue,
      logger,
      clock,
      platforms,
      // PGlite is one connection: its statements run one at a time in arrival order, so more jobs in
      // flight only queue more statements in front of a card tap's, without finishing jobs any sooner.
      concurrency: database.kind === 'pglite' ? 4 : 16,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      processors: {
        bootstrapAdmins: env.FLOWCARD_ADMINS,
        webhookPublicOnly: !privateWebhookTargetsAllowed(env),
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
  if (options.work === true) await runtime.startWork()
  bootPhase('jobs')
  return runtime
}
