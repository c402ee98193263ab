import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type JobOptions,
  type JobPayload,
  type JobQueue,
  LANES,
  type Lane,
  type LaneCounts,
  laneOf,
  PermanentJobError,
  type Processor,
  RetryLaterError,
  type WorkOptions,
} from '../queue'

export interface BullQueueOptions {
  url: string
  /** Key prefix; tests use a unique one each so runs never see each other's jobs. */
  prefix?: string
  /** A job's lock (and the stalled-job check interval), ms; a job whose worker died runs again after it. */
  lockMs?: number
}

const toBullOptions = (options: JobOptions = {}) => ({
  jobId: options.jobId,
  delay: options.delayMs,
  attempts: options.attempts ?? DEFAULT_ATTEMPTS,
  backoff: { type: 'exponential' as const, delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
})

/**
 * BullMQ on Redis. The producer connection refuses to queue commands while Redis is down
 * (`enableOfflineQueue: false`) so callers fail fast; workers use `maxRetriesPerRequest: null` as BullMQ
 * requires for blocking connections.
 */
export class BullQueue implements JobQueue {
  readonly kind = 'bullmq' as const
  private readonly producer: Redis
  private readonly queues: Record<Lane, Queue>
  private workers: Worker[] = []
  private readonly workerByLane = new Map<Lane, Worker>()
  private workerConnections: Redis[] = []

  private constructor(
    private readonly options: BullQueueOptions,
    producer: Redis,
  ) {
    this.producer = producer
    const prefix = options.prefix ?? 'flowcard'
    this.queues = {
      main: new Queue('main', { connection: producer, prefix }),
      send: new Queue('send', { connection: producer, prefix }),
      background: new Queue('background', { connection: producer, prefix }),
    }
  }

  static async connect(options: BullQueueOptions): Promise<BullQueue> {
    const producer = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 2 })
    await new Promise<void>((resolve, reject) => {
      producer.once('ready', () => resolve())
      producer.once('error', (err) => reject(err))
    })
    producer.on('error', () => {})
    return new BullQueue(options, producer)
  }

  async add(name: string, payload: JobPayload, options?: JobOptions): Promise<void> {
    await this.queues[laneOf(name)].add(name, payload, toBullOptions(options))
  }

  async addBulk(jobs: Array<{ name: string; payload: JobPayload; options?: JobOptions }>): Promise<void> {
    for (const lane of LANES) {
      const inLane = jobs.filter((j) => laneOf(j.name) === lane)
      if (inLane.length === 0) continue
      await this.queues[lane].addBulk(
        inLane.map((j) => ({ name: j.name, data: j.payload, opts: toBullOptions(j.options) })),
      )
    }
  }

  async schedule(key: string, name: string, everyMs: number, payload: JobPayload = {}): Promise<void> {
    const lane = laneOf(name)
    await this.queues[lane].upsertJobScheduler(key, { every: everyMs }, { name, data: payload })
    // A scheduler declared in another lane by an older version would run the job twice.
    for (const other of LANES)
      if (other !== lane) await this.queues[other].removeJobScheduler(key).catch(() => false)
  }

  setConcurrency(lane: Lane, n: number): void {
    const worker = this.workerByLane.get(lane)
    if (worker && n >= 1) worker.concurrency = Math.floor(n)
  }

  async work(processors: Record<string, Processor>, options: WorkOptions = {}): Promise<void> {
    const prefix = this.options.prefix ?? 'flowcard'
    for (const lane of LANES) {
      const connection = new Redis(this.options.url, { maxRetriesPerRequest: null })
      connection.on('error', () => {})
      this.workerConnections.push(connection)
      const worker = new Worker(
        lane,
        async (job: Job, token?: string) => {
          const processor = processors[job.name]
          if (!processor) throw new Error(`no processor for job ${job.name}`)
          try {
            await processor(job.data as JobPayload, {
              id: job.id ?? '',
              name: job.name,
              attempt: job.attemptsMade + 1,
              maxAttempts: job.opts.attempts ?? 1,
            })
          } catch (err) {
            if (err instanceof RetryLaterError) {
              // Only this job waits (a per-user limit must not pause the whole lane); no try is counted.
              await job.moveToDelayed(Date.now() + err.delayMs, token)
              throw new DelayedError()
            }
            if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message)
            throw err
          }
        },
        {
          connection,
          prefix,
          concurrency: lane === 'background' ? 1 : (options.concurrency ?? 8),
          lockDuration: this.options.lockMs ?? 30_000,
          stalledInterval: this.options.lockMs ?? 30_000,
        },
      )
      worker.on('error', () => {})
      worker.on('completed', (job) => {
        void Promise.resolve(
          options.onCompleted?.(
            {
              id: job.id ?? '',
              name: job.name,
              attempt: job.attemptsMade,
              maxAttempts: job.opts.attempts ?? 1,
            },
            job.data as JobPayload,
          ),
        ).catch(() => {})
      })
      worker.on('failed', (job, error) => {
        if (!job) return
        const maxAttempts = job.opts.attempts ?? 1
        if (job.attemptsMade < maxAttempts && !(error instanceof UnrecoverableError)) return
        void Promise.resolve(
          options.onFailed?.(
            { id: job.id ?? '', name: job.name, attempt: job.attemptsMade, maxAttempts },
            job.data as JobPayload,
            error,
          ),
        ).catch(() => {})
      })
      this.workers.push(worker)
      this.workerByLane.set(lane, worker)
    }
  }

  async counts(): Promise<Record<Lane, LaneCounts>> {
    const entries = await Promise.all(
      LANES.map(async (lane) => {
        const c = await this.queues[lane].getJobCounts(
          'waiting',
          'prioritized',
          'active',
          'delayed',
          'failed',
        )
        const n = (k: string) => c[k] ?? 0
        return [
          lane,
          {
            waiting: n('waiting') + n('prioritized'),
            active: n('active'),
            delayed: n('delayed'),
            failed: n('failed'),
          },
        ] as const
      }),
    )
    return Object.fromEntries(entries) as Record<Lane, LaneCounts>
  }

  async forget(jobId: string, name: string): Promise<void> {
    const job = await this.queues[laneOf(name)].getJob(jobId)
    if (!job) return
    // An active job is locked by its worker and cannot be removed; it finishes or stalls by itself.
    const state = await job.getState()
    if (state === 'completed' || state === 'failed') await job.remove()
  }

  async ping(): Promise<void> {
    const answer = await this.producer.ping()
    if (answer !== 'PONG') throw new Error(`redis answered ${answer}`)
  }

  async close(deadlineMs = 10_000): Promise<void> {
    const graceful = Promise.all(this.workers.map((w) => w.close()))
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs)
      }),
    ])
    if (timer) clearTimeout(timer)
    if (timedOut) await Promise.all(this.workers.map((w) => w.close(true)))
    await Promise.all(Object.values(this.queues).map((q) => q.close()))
    await Promise.all(this.workerConnections.map((c) => c.quit().catch(() => c.disconnect())))
    await this.producer.quit().catch(() => this.producer.disconnect())
  }
}
