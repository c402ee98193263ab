/** Options for one job. `jobId` makes adding idempotent: a second add with the same id is ignored. */
export interface JobOptions {
  jobId?: string
  delayMs?: number
  /** Total tries including the first (default 5). */
  attempts?: number
  /** Base of the exponential backoff between tries, in ms (default 1000). */
  backoffMs?: number
}

export interface JobInfo {
  id: string
  name: string
  /** 1 for the first try. */
  attempt: number
  maxAttempts: number
}

export type JobPayload = Record<string, unknown>
export type Processor = (payload: JobPayload, job: JobInfo) => Promise<void>

export interface WorkOptions {
  concurrency?: number
  /** Called once when a job has used all its tries. */
  onFailed?: (job: JobInfo, payload: JobPayload, error: Error) => Promise<void> | void
  /** Called after a job succeeded. */
  onCompleted?: (job: JobInfo, payload: JobPayload) => Promise<void> | void
}

/**
 * The job system's port. Two drivers keep one contract (tests/integration/job-queue-contract.test.ts):
 * BullMQ on Redis for production, and an in-process driver for the embedded default.
 */
export interface JobQueue {
  /** `outbox`: the Workers HTTP side, which only writes outbox rows (jobs/drivers/outbox.ts). */
  readonly kind: 'bullmq' | 'inline' | 'outbox'
  add(name: string, payload: JobPayload, options?: JobOptions): Promise<void>
  addBulk(jobs: Array<{ name: string; payload: JobPayload; options?: JobOptions }>): Promise<void>
  /** A repeatable job every `everyMs`, keyed so that re-declaring it at each start replaces, not adds. */
  schedule(key: string, name: string, everyMs: number, payload?: JobPayload): Promise<void>
  /** Starts consuming with these processors (one per job name). */
  work(processors: Record<string, Processor>, options?: WorkOptions): Promise<void>
  ping(): Promise<void>
  /**
   * Changes how many jobs of `lane` run at once in this process (the load governor adapts it to
   * event-loop delay); drivers without lanes or workers ignore it.
   */
  setConcurrency?(lane: Lane, n: number): void
  /** Jobs per lane and state, for metrics and the admin queue view (drivers that hold jobs). */
  counts?(): Promise<Record<Lane, LaneCounts>>
  /**
   * Drops a finished or failed job so that its id can be added again (an admin retrying a failed outbox
   * row re-relays it under the same `ob-<id>` job id, which the queue would otherwise ignore).
   */
  forget?(jobId: string, name: string): Promise<void>
  /**
   * Calls `listener` when the queue's store came back as a different server (Redis restarted; without
   * persistence every job it held is gone), so the relay re-relays what it had handed over at once instead
   * of after the stale timeout. Re-adding under the same job id is a no-op for jobs that survived.
   */
  onReset?(listener: () => void): void
  /** Stops taking jobs, lets in-flight ones finish until `deadlineMs`, then closes connections. */
  close(deadlineMs?: number): Promise<void>
}

export interface LaneCounts {
  waiting: number
  active: number
  delayed: number
  failed: number
}

export const DEFAULT_ATTEMPTS = 5
export const DEFAULT_BACKOFF_MS = 1000

/** Delay before try `attempt + 1` after try `attempt` failed. */
export const backoffDelay = (attempt: number, baseMs: number): number => baseMs * 2 ** (attempt - 1)

/**
 * Jobs run in lanes: `send.*` jobs (platform API calls, rate limited by the platform) get their own lane so
 * a notice fan-out cannot starve approvals' internal work; bulk work (imports, exports, report rebuilds,
 * directory syncs, periodic scans) runs in the `background` lane, at most a job or two at a time and only
 * as far as interactive latency allows.
 */
export type Lane = 'main' | 'send' | 'background'
const BACKGROUND_JOBS = new Set([
  'system.housekeeping',
  'org.sync_directory',
  'org.sync_all_directories',
  'crm.pool.scan',
])
const BACKGROUND_PATTERN = /(^|\.)(import|export|report|rebuild)(\.|_|$)/
export const laneOf = (jobName: string): Lane =>
  jobName.startsWith('send.')
    ? 'send'
    : BACKGROUND_JOBS.has(jobName) || BACKGROUND_PATTERN.test(jobName)
      ? 'background'
      : 'main'
export const LANES: readonly Lane[] = ['main', 'send', 'background']

/** Thrown by a processor: try again after `delayMs` without counting a failed try (rate limits). */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    message = 'retry later',
  ) {
    super(message)
    this.name = 'RetryLaterError'
  }
}

/** Thrown by a processor: the job can never succeed; fail it now without further tries. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentJobError'
  }
}
