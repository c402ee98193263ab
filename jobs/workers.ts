import { sql } from 'drizzle-orm'
import type { Clock, Logger } from '../bot/domain/context'
import type { PlatformRegistry } from '../bot/platforms/registry'
import type { Database } from '../db/client'
import { OutboxRelay, outboxWorkOptions, type RelayOptions, stripOutboxFields } from './outbox'
import { buildProcessors, type ProcessorDeps } from './processors'
import type { JobQueue, WorkOptions } from './queue'

/**
 * The one place job processing is wired: every processor on `queue` (their outbox rows marked done or failed
 * as jobs end), devchat pages woken after a devchat delivery, and the outbox relay. Used by the Node entry
 * (`jobs/runtime.ts`), the separate worker process, the test stacks and the benches, so they all run the
 * same thing.
 */
export interface StartWorkersOptions {
  database: Database
  queue: JobQueue
  logger: Logger
  clock: Clock
  platforms: PlatformRegistry
  /** Jobs run at once by this process (default 16). */
  concurrency?: number
  onCompleted?: WorkOptions['onCompleted']
  onFailed?: WorkOptions['onFailed']
  /** Relay options, or `false` to run no relay here (another process relays, or the test drives it). */
  relay?: RelayOptions | false
  /** Extra processor settings (timeouts). */
  processors?: Pick<ProcessorDeps, 'webhookTimeoutMs' | 'webhookPublicOnly' | 'bootstrapAdmins'>
}

export interface Workers {
  relay: OutboxRelay | null
  /** Stops the relay (the queue's owner closes the queue). */
  stop(): Promise<void>
}

export async function startWorkers(options: StartWorkersOptions): Promise<Workers> {
  const { database, queue, logger, clock, platforms } = options
  const processors = stripOutboxFields(
    buildProcessors({
      database,
      queue,
      logger,
      clock,
      platforms,
      ...options.processors,
      onDelivered: async ({ tenantId, platform }) => {
        if (platform === 'devchat') await database.db.execute(sql`select pg_notify('devchat', ${tenantId})`)
      },
    }),
  )
  await queue.work(
    processors,
    outboxWorkOptions(database, {
      concurrency: options.concurrency ?? 16,
      ...(options.onCompleted ? { onCompleted: options.onCompleted } : {}),
      ...(options.onFailed ? { onFailed: options.onFailed } : {}),
    }),
  )
  const relay =
    options.relay === false ? null : new OutboxRelay(database, queue, { logger, ...options.relay })
  await relay?.start()
  return {
    relay,
    stop: async () => {
      await relay?.stop()
    },
  }
}
