import { sql } from 'drizzle-orm'
import type { Clock } from '../bot/lib/clock'
import type { Logger } from '../bot/lib/logger'
import type { Metrics } from '../bot/lib/metrics'
import type { PlatformRegistry } from '../bot/platforms/registry'
import type { Database } from '../db/client'
import { AimdLimit, type GovernorOptions, LoopDelayGovernor } from './backpressure'
import { OutboxRelay, outboxWorkOptions, type RelayOptions, stripOutboxFields } from './outbox'
import { buildProcessors, type ProcessorDeps } from './processors'
import { type JobQueue, type Processor, RetryLaterError, type WorkOptions } from './queue'

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
  /**
   * Adapt worker concurrency and relay batch size to event-loop delay (default on), so background work
   * yields to requests sharing the loop (or, in a job child, to the HTTP parent's reported delay).
   */
  adaptive?: false | GovernorOptions
  /** Job tries counted by name, result and duration. */
  metrics?: Metrics
}

export interface Workers {
  relay: OutboxRelay | null
  /** The load governor, when adaptive (feed it the HTTP process's delay with `observeExternal`). */
  governor: LoopDelayGovernor | null
  /** Stops the relay (the queue's owner closes the queue). */
  stop(): Promise<void>
}

export async function startWorkers(options: StartWorkersOptions): Promise<Workers> {
  const { database, queue, logger, clock, platforms } = options
  const built = stripOutboxFields(
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
  const processors = options.metrics ? timed(built, options.metrics) : built
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
  const governor = options.adaptive === false ? null : governorFor(options, queue, relay)
  governor?.start()
  await relay?.start()
  return {
    relay,
    governor,
    stop: async () => {
      governor?.stop()
      await relay?.stop()
    },
  }
}

/**
 * The limits background work runs under: sends and bulk jobs back off to one or two at a time, internal
 * jobs (chat replies, approval steps) keep a floor of four, and the relay claims fewer rows per
 * transaction, whenever the event loop is late.
 */
function governorFor(
  options: StartWorkersOptions,
  queue: JobQueue,
  relay: OutboxRelay | null,
): LoopDelayGovernor {
  const concurrency = options.concurrency ?? 16
  const governor = new LoopDelayGovernor(options.adaptive || {})
  if (queue.setConcurrency) {
    const set = queue.setConcurrency.bind(queue)
    governor.add(new AimdLimit({ min: Math.min(4, concurrency), max: concurrency }), (n) => set('main', n))
    governor.add(new AimdLimit({ min: 2, max: concurrency }), (n) => set('send', n))
    governor.add(new AimdLimit({ min: 1, max: 2, initial: 1 }), (n) => set('background', n))
  }
  if (relay) {
    const max = options.relay === false ? 500 : (options.relay?.batchSize ?? 500)
    governor.add(new AimdLimit({ min: Math.min(20, max), max, increase: 20 }), (n) => relay.setBatchSize(n))
  }
  return governor
}

/** Each try's duration and result (a rate-limited send that waits is `retry_later`, not a failure). */
function timed(processors: Record<string, Processor>, metrics: Metrics): Record<string, Processor> {
  return Object.fromEntries(
    Object.entries(processors).map(([name, p]) => [
      name,
      async (payload, job) => {
        const started = performance.now()
        try {
          await p(payload, job)
          metrics.job(name, 'ok', (performance.now() - started) / 1000)
        } catch (err) {
          metrics.job(
            name,
            err instanceof RetryLaterError ? 'retry_later' : 'failed',
            (performance.now() - started) / 1000,
          )
          throw err
        }
      },
    ]),
  )
}
