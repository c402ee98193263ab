import { type ChildProcess, fork } from 'node:child_process'
import { getPriority, setPriority } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../bot/lib/logger'
import type { JobOptions, JobPayload, JobQueue, Lane, LaneCounts, Processor, WorkOptions } from './queue'

/** Messages between `npm start` and its job children (`jobs/worker.ts` forked with an IPC channel). */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'draining' }
  | { type: 'metrics'; id: number; data: unknown }
export type ParentMessage =
  | { type: 'loop-delay'; ms: number }
  | { type: 'stop' }
  | { type: 'metrics'; id: number }

export interface SupervisorOptions {
  /** How many children (each runs the relay and every lane's workers). */
  processes: number
  logger: Logger
  /** The script forked; default `jobs/worker.ts`. */
  script?: string
  /** Environment of the children (default this process's). */
  env?: NodeJS.ProcessEnv
  /** First restart delay; doubles per consecutive crash up to `maxBackoffMs`. */
  backoffMs?: number
  maxBackoffMs?: number
  /** A child up this long has its crash count reset. */
  healthyAfterMs?: number
  /** Time a child gets to finish in-flight jobs on stop before it is killed. */
  stopDeadlineMs?: number
  /**
   * The children's nice value (default 0): above 0 the operating system gives the parent (HTTP) the cores
   * first when both want them, so a burst of background work cannot take CPU from taps and acks.
   */
  niceness?: number
}

interface Slot {
  index: number
  child: ChildProcess | null
  state: 'starting' | 'up' | 'down' | 'stopped'
  crashes: number
  startedAt: number
  restartTimer: ReturnType<typeof setTimeout> | null
}

/** `jobs/worker.ts`, or its compiled twin when `npm start` runs the compiled server (bot/entry/start.mjs). */
const WORKER_SCRIPT =
  process.env.FLOWCARD_WORKER_SCRIPT ?? fileURLToPath(new URL('./worker.ts', import.meta.url))

/**
 * Runs the outbox relay and the job workers in child processes so the HTTP server keeps its event loop
 * and the other cores work jobs. A child that dies is restarted after a backoff (its unfinished jobs go
 * back to the queue through BullMQ's stalled-job check and the outbox's stale sweep, and their sends are
 * deduplicated by the platform idempotency key); `problem()` names a child that is not up, for readiness.
 * `stop()` asks every child to drain (finish in-flight jobs, stop taking new ones) and kills it after the
 * deadline, which hands its jobs back to the queue.
 */
export class JobsSupervisor {
  private readonly slots: Slot[]
  private stopping = false
  private readonly backoffMs: number
  private readonly maxBackoffMs: number
  private readonly healthyAfterMs: number
  private metricsSeq = 0
  private readonly metricsWaiters = new Map<number, (data: unknown) => void>()

  constructor(private readonly options: SupervisorOptions) {
    this.slots = Array.from({ length: Math.max(1, options.processes) }, (_, index) => ({
      index,
      child: null,
      state: 'down' as const,
      crashes: 0,
      startedAt: 0,
      restartTimer: null,
    }))
    this.backoffMs = options.backoffMs ?? 500
    this.maxBackoffMs = options.maxBackoffMs ?? 15_000
    this.healthyAfterMs = options.healthyAfterMs ?? 30_000
  }

  start(): void {
    for (const slot of this.slots) this.spawn(slot)
  }

  /** Resolves once every child reported ready (or `timeoutMs` passed: then false). */
  async whenUp(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (this.problem() === null) return true
      await new Promise((r) => setTimeout(r, 50))
    }
    return this.problem() === null
  }

  /** Null when every child is up, else why not (readiness shows it). */
  problem(): string | null {
    const notUp = this.slots.filter((s) => s.state !== 'up')
    if (notUp.length === 0) return null
    return `job workers not running: ${notUp.map((s) => `#${s.index + 1} ${s.state}`).join(', ')}`
  }

  /** Child process ids (diagnostics and tests). */
  pids(): number[] {
    return this.slots.flatMap((s) => (s.child?.pid ? [s.child.pid] : []))
  }

  /** Forwards this loop's event-loop delay so children's background work yields to interactive requests. */
  broadcast(message: ParentMessage): void {
    for (const s of this.slots) {
      if (s.state === 'up' && s.child?.connected) s.child.send(message, () => {})
    }
  }

  /**
   * Each running child's metrics snapshot (what its registry's `getMetricsAsJSON` gave), for `/metrics` in
   * this process; a child that does not answer within `timeoutMs` is left out of this scrape.
   */
  async collectMetrics(timeoutMs = 1000): Promise<unknown[]> {
    const asks = this.slots.flatMap((s) => {
      const child = s.child
      if (s.state !== 'up' || !child?.connected) return []
      const id = ++this.metricsSeq
      return [
        new Promise<unknown>((resolve) => {
          const timer = setTimeout(() => {
            this.metricsWaiters.delete(id)
            resolve(null)
          }, timeoutMs)
          this.metricsWaiters.set(id, (data) => {
            clearTimeout(timer)
            this.metricsWaiters.delete(id)
            resolve(data)
          })
          child.send({ type: 'metrics', id } satisfies ParentMessage, (err) => {
            if (err) this.metricsWaiters.get(id)?.(null)
          })
        }),
      ]
    })
    return (await Promise.all(asks)).filter((d) => d !== null)
  }

  /**
   * No more restarts from now on: a terminal's Ctrl-C reaches the children too, and one that drains and
   * exits while the HTTP server is still closing must not be replaced.
   */
  prepareStop(): void {
    this.stopping = true
    for (const slot of this.slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer)
      slot.restartTimer = null
    }
  }

  async stop(): Promise<void> {
    this.prepareStop()
    const deadline = this.options.stopDeadlineMs ?? 12_000
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.restartTimer) clearTimeout(slot.restartTimer)
        slot.restartTimer = null
        const child = slot.child
        slot.state = 'stopped'
        if (!child || child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), deadline)
        await exited
        clearTimeout(timer)
      }),
    )
  }

  private spawn(slot: Slot): void {
    if (this.stopping) return
    slot.state = 'starting'
    slot.startedAt = Date.now()
    const script = this.options.script ?? WORKER_SCRIPT
    // The parent's loader flags (tsx) carry over; profiling and inspector flags do not.
    const inherited = process.execArgv.filter((a) => !/^--(inspect|cpu-prof|heap-prof)/.test(a))
    // A TypeScript worker needs tsx in the child too: `npm start` on sources edited since the build registers
    // tsx inside the process (bot/entry/start.mjs), which a fork does not inherit.
    const loader =
      /\.[cm]?ts$/.test(script) && !inherited.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : []
    const child = fork(script, [], {
      env: { ...(this.options.env ?? process.env), FLOWCARD_JOBS_CHILD: String(slot.index + 1) },
      execArgv: [...loader, ...inherited],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    })
    slot.child = child
    const niceness = this.options.niceness ?? 0
    // Never above this process's own priority (raising it needs privileges).
    if (niceness > 0 && child.pid && niceness > getPriority(0)) {
      try {
        setPriority(child.pid, niceness)
      } catch (err) {
        // Containers may forbid it; the children then run at the parent's priority.
        this.options.logger.warn({ err, child: slot.index + 1 }, 'could not lower the job child priority')
      }
    }
    child.on('message', (m: ChildMessage) => {
      if (m?.type === 'metrics') {
        this.metricsWaiters.get(m.id)?.(m.data)
        return
      }
      if (m?.type === 'ready' && slot.child === child && !this.stopping) {
        slot.state = 'up'
        this.options.logger.info({ child: slot.index + 1, pid: child.pid }, 'job workers started')
      }
    })
    child.on('error', (err) => this.options.logger.error({ err, child: slot.index + 1 }, 'job child error'))
    child.once('exit', (code, signal) => {
      if (slot.child !== child) return
      slot.child = null
      if (this.stopping) {
        slot.state = 'stopped'
        return
      }
      slot.state = 'down'
      if (Date.now() - slot.startedAt > this.healthyAfterMs) slot.crashes = 0
      slot.crashes++
      const delay = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (slot.crashes - 1))
      this.options.logger.error(
        { child: slot.index + 1, pid: child.pid, code, signal, restartInMs: delay },
        'job child exited; restarting',
      )
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = null
        this.spawn(slot)
      }, delay)
    })
  }
}

/**
 * The queue `npm start` hands to HTTP handlers when jobs run in children: adds go to the same BullMQ
 * queues, and readiness (`ping`) also fails while a job child is down, naming it.
 */
export class SupervisedQueue implements JobQueue {
  constructor(
    private readonly inner: JobQueue,
    private readonly supervisor: Pick<JobsSupervisor, 'problem'>,
  ) {}

  get kind(): JobQueue['kind'] {
    return this.inner.kind
  }

  add(name: string, payload: JobPayload, options?: JobOptions): Promise<void> {
    return this.inner.add(name, payload, options)
  }

  addBulk(jobs: Array<{ name: string; payload: JobPayload; options?: JobOptions }>): Promise<void> {
    return this.inner.addBulk(jobs)
  }

  schedule(key: string, name: string, everyMs: number, payload?: JobPayload): Promise<void> {
    return this.inner.schedule(key, name, everyMs, payload)
  }

  work(processors: Record<string, Processor>, options?: WorkOptions): Promise<void> {
    return this.inner.work(processors, options)
  }

  async counts(): Promise<Record<Lane, LaneCounts>> {
    if (!this.inner.counts) throw new Error(`the ${this.inner.kind} queue does not count jobs`)
    return this.inner.counts()
  }

  async forget(jobId: string, name: string): Promise<void> {
    await this.inner.forget?.(jobId, name)
  }

  async ping(): Promise<void> {
    await this.inner.ping()
    const problem = this.supervisor.problem()
    if (problem) throw new Error(problem)
  }

  close(deadlineMs?: number): Promise<void> {
    return this.inner.close(deadlineMs)
  }
}
