import {
  backoffDelay,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type JobInfo,
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

interface InlineJob {
  lane: Lane
  info: JobInfo
  payload: JobPayload
  backoffMs: number
  state: 'waiting' | 'active' | 'done' | 'failed'
}

const KEEP_FINISHED_MS = 24 * 3600 * 1000

/**
 * In-process driver for the embedded default: the same processors, retries with exponential backoff,
 * delays, repeatable schedules and dedupe by job id, without Redis. Durable work goes through the outbox,
 * which re-relays what a stopped process had not finished.
 */
export class InlineQueue implements JobQueue {
  readonly kind = 'inline' as const
  private jobs = new Map<string, InlineJob>()
  private finishedAt = new Map<string, number>()
  private ready: Record<Lane, InlineJob[]> = { main: [], send: [], background: [] }
  private activeIn: Record<Lane, number> = { main: 0, send: 0, background: 0 }
  /** Per-lane limits set by the load governor (default: the work concurrency; background 1). */
  private laneLimit: Partial<Record<Lane, number>> = {}
  private timers = new Set<ReturnType<typeof setTimeout>>()
  private intervals = new Map<string, ReturnType<typeof setInterval>>()
  private processors: Record<string, Processor> = {}
  private options: WorkOptions = {}
  private active = 0
  private working = false
  private closed = false
  private idleWaiters: Array<() => void> = []
  private seq = 0

  async add(name: string, payload: JobPayload, options: JobOptions = {}): Promise<void> {
    if (this.closed) throw new Error('queue is closed')
    const id = options.jobId ?? `inline-${++this.seq}`
    if (this.jobs.has(id)) return
    this.pruneFinished()
    const job: InlineJob = {
      lane: laneOf(name),
      info: { id, name, attempt: 1, maxAttempts: options.attempts ?? DEFAULT_ATTEMPTS },
      payload,
      backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      state: 'waiting',
    }
    this.jobs.set(id, job)
    this.enqueueAfter(job, options.delayMs ?? 0)
  }

  async addBulk(jobs: Array<{ name: string; payload: JobPayload; options?: JobOptions }>): Promise<void> {
    for (const j of jobs) await this.add(j.name, j.payload, j.options)
  }

  async schedule(key: string, name: string, everyMs: number, payload: JobPayload = {}): Promise<void> {
    const existing = this.intervals.get(key)
    if (existing) clearInterval(existing)
    const timer = setInterval(() => {
      const slot = Math.floor(Date.now() / everyMs)
      void this.add(name, payload, { jobId: `sched-${key}-${slot}` }).catch(() => {})
    }, everyMs)
    timer.unref?.()
    this.intervals.set(key, timer)
  }

  async work(processors: Record<string, Processor>, options: WorkOptions = {}): Promise<void> {
    this.processors = { ...this.processors, ...processors }
    this.options = options
    this.working = true
    this.pump()
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('queue is closed')
  }

  setConcurrency(lane: Lane, n: number): void {
    if (n < 1) return
    this.laneLimit[lane] = Math.floor(n)
    this.pump()
  }

  async close(deadlineMs = 10_000): Promise<void> {
    this.closed = true
    this.working = false
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const t of this.intervals.values()) clearInterval(t)
    this.intervals.clear()
    if (this.active === 0) return
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref?.()),
    ])
  }

  async counts(): Promise<Record<Lane, LaneCounts>> {
    const zero = (): LaneCounts => ({ waiting: 0, active: 0, delayed: 0, failed: 0 })
    const out: Record<Lane, LaneCounts> = { main: zero(), send: zero(), background: zero() }
    const ready = new Set(LANES.flatMap((l) => this.ready[l]))
    for (const j of this.jobs.values()) {
      const c = out[j.lane]
      if (j.state === 'active') c.active++
      else if (j.state === 'failed') c.failed++
      else if (j.state === 'waiting') {
        if (ready.has(j)) c.waiting++
        else c.delayed++
      }
    }
    return out
  }

  async forget(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId)
    if (job && (job.state === 'done' || job.state === 'failed')) {
      this.jobs.delete(jobId)
      this.finishedAt.delete(jobId)
    }
  }

  /** Jobs known to the driver that have not finished (for tests and diagnostics). */
  pendingCount(): number {
    let n = 0
    for (const j of this.jobs.values()) if (j.state === 'waiting' || j.state === 'active') n++
    return n
  }

  private enqueueAfter(job: InlineJob, delayMs: number): void {
    const push = () => {
      this.ready[job.lane].push(job)
      this.pump()
    }
    if (delayMs <= 0) {
      queueMicrotask(push)
      return
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      push()
    }, delayMs)
    this.timers.add(timer)
  }

  /**
   * Starts ready jobs while the total stays under the work concurrency and each lane under its own limit;
   * lanes take turns so a fan-out's sends never hold every slot against a chat reply.
   */
  private pump(): void {
    const concurrency = this.options.concurrency ?? 8
    let started = true
    while (this.working && this.active < concurrency && started) {
      started = false
      for (const lane of LANES) {
        if (this.active >= concurrency) break
        const limit = this.laneLimit[lane] ?? (lane === 'background' ? 1 : concurrency)
        if (this.activeIn[lane] >= limit) continue
        const job = this.ready[lane].shift()
        if (!job) continue
        const processor = this.processors[job.info.name]
        if (!processor) {
          // No processor for this name in this process: keep it waiting until one is registered.
          this.enqueueAfter(job, 1000)
          continue
        }
        this.active++
        this.activeIn[lane]++
        job.state = 'active'
        started = true
        void this.run(job, processor)
      }
    }
  }

  private async run(job: InlineJob, processor: Processor): Promise<void> {
    try {
      await processor(job.payload, { ...job.info })
      job.state = 'done'
      this.finish(job)
      await this.options.onCompleted?.({ ...job.info }, job.payload)
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      if (error instanceof RetryLaterError && !this.closed) {
        job.state = 'waiting'
        this.enqueueAfter(job, error.delayMs)
      } else if (
        job.info.attempt < job.info.maxAttempts &&
        !this.closed &&
        !(error instanceof PermanentJobError)
      ) {
        const delay = backoffDelay(job.info.attempt, job.backoffMs)
        job.info = { ...job.info, attempt: job.info.attempt + 1 }
        job.state = 'waiting'
        this.enqueueAfter(job, delay)
      } else {
        job.state = 'failed'
        this.finish(job)
        await Promise.resolve(this.options.onFailed?.({ ...job.info }, job.payload, error)).catch(() => {})
      }
    } finally {
      this.active--
      this.activeIn[job.lane]--
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w()
      this.pump()
    }
  }

  private finish(job: InlineJob): void {
    this.finishedAt.delete(job.info.id) // re-set at the end: the map stays in order of finishing
    this.finishedAt.set(job.info.id, Date.now())
  }

  /** Finished ids are remembered for a day (like BullMQ's removeOnComplete age) so re-adds stay deduped. */
  private pruneFinished(): void {
    if (this.finishedAt.size < 10_000) return
    const cutoff = Date.now() - KEEP_FINISHED_MS
    // Oldest first (the map is in order of finishing): stop at the first one to keep, so a busy day's
    // 10,000 recent jobs are not walked on every add.
    for (const [id, at] of this.finishedAt) {
      if (at >= cutoff && this.finishedAt.size <= 50_000) break
      this.finishedAt.delete(id)
      this.jobs.delete(id)
    }
  }
}
