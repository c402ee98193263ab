import { AsyncLocalStorage } from 'node:async_hooks'
import { sql } from 'drizzle-orm'
import { type JobEffects, setJobEffectsSource } from '../bot/domain/outbox'
import type { Logger } from '../bot/lib/logger'
import { resultRows } from '../bot/lib/sql-rows'
import type { Database, DbOrTx } from '../db/client'
import type { JobInfo, JobOptions, JobPayload, JobQueue, Processor, WorkOptions } from './queue'

interface OutboxRow {
  id: number | string
  topic: string
  payload: JobPayload
  tenant_id: string | null
}

export interface RelayOptions {
  batchSize?: number
  /** Fallback poll when no NOTIFY arrives (also picks up rows whose available_at has come). */
  pollMs?: number
  /** A relayed row not finished after this long is relayed again (its job id dedupes if still queued). */
  staleAfterMs?: number
  logger?: Logger
  /** Per-topic job options (tries, backoff); default the queue's. */
  jobOptions?: (topic: string) => JobOptions
  /** Relay only this tenant's rows (tests sharing one database; diagnostics). */
  tenantId?: string
  /** With `tenantId`: also this tenant's inbound events, which are recorded before the tenant is known. */
  tenantKey?: string
}

export const OUTBOX_FIELD = '_outbox'

/** The outbox id a job came from, if any. */
export const outboxIdOf = (payload: JobPayload): number | null => {
  const v = payload[OUTBOX_FIELD]
  return typeof v === 'number' ? v : null
}

/**
 * Moves committed outbox rows to the job queue. Rows are claimed with `FOR UPDATE SKIP LOCKED` inside a
 * transaction, added with job id `ob-<row id>`, then marked relayed before commit: two relays never take
 * the same row, and a crash between add and commit only re-adds a job id the queue already holds.
 *
 * With the in-process queue the claim is one statement without a transaction: the queue lives and dies
 * with this process (a restart relays every `relayed` row again, see `start`), adding to it cannot fail
 * half-way like a Redis write, and the embedded database's BEGIN and COMMIT were two thirds of the relay's
 * calls into it. Wake-ups (NOTIFY, the poll) are gathered until the end of the event loop's turn, so the
 * rows of one burst go in one pass.
 */
export class OutboxRelay {
  private unlisten: (() => Promise<void>) | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private running: Promise<void> | null = null
  private again = false
  private stopped = false
  private batchSize: number
  private readonly pollMs: number
  private readonly staleAfterMs: number
  private lastSweep = 0

  constructor(
    private readonly database: Database,
    private readonly queue: JobQueue,
    private readonly options: RelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500
    this.pollMs = options.pollMs ?? 500
    this.staleAfterMs = options.staleAfterMs ?? 120_000
  }

  /** Rows claimed per transaction; the load governor lowers it while interactive work is waiting. */
  setBatchSize(n: number): void {
    if (n >= 1) this.batchSize = Math.floor(n)
  }

  /** Relays every due row; returns how many were moved. */
  async relayAll(now: Date = new Date()): Promise<number> {
    let total = 0
    for (;;) {
      const size = this.batchSize
      const n = await this.relayBatch(now, size)
      total += n
      if (n < size) return total
      // Between batches of a backlog, let waiting requests run first.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async relayBatch(now: Date = new Date(), limit: number = this.batchSize): Promise<number> {
    if (this.queue.kind === 'inline') {
      const rows = await this.claim(this.database.db, now, limit)
      try {
        await this.enqueue(rows)
      } catch (err) {
        // Not queued (the queue closed under us): pending again, for this process or the next.
        await this.database.db.execute(sql`
          update outbox set status = 'pending', relayed_at = null
          where id in (select (jsonb_array_elements_text(${JSON.stringify(rows.map((r) => String(r.id)))}::jsonb))::bigint)
            and status = 'relayed'`)
        throw err
      }
      return rows.length
    }
    return this.database.db.transaction(async (tx) => {
      // The queue write below is in the claim's transaction, so a failing queue (Redis down) rolls the mark
      // back and the rows stay pending.
      const rows = await this.claim(tx, now, limit)
      await this.enqueue(rows)
      return rows.length
    })
  }

  /** Claims and marks due rows in one statement (one round trip, one PGlite call), oldest first. */
  private async claim(db: DbOrTx, now: Date, limit: number): Promise<OutboxRow[]> {
    const result = await db.execute(sql`
      update outbox set status = 'relayed', relayed_at = now()
      where id in (
        select id from outbox
        where status = 'pending' and available_at <= ${now.toISOString()}::timestamptz
          ${this.tenantCondition()}
        order by id limit ${limit}
        for update skip locked)
      returning id, topic, payload, tenant_id`)
    return resultRows<OutboxRow>(result).sort((a, b) => Number(a.id) - Number(b.id))
  }

  private async enqueue(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.queue.addBulk(
      rows.map((r) => ({
        name: r.topic,
        payload: { ...r.payload, [OUTBOX_FIELD]: Number(r.id), _tenant: r.tenant_id },
        options: { ...this.options.jobOptions?.(r.topic), jobId: `ob-${r.id}` },
      })),
    )
  }

  /** Rows relayed but never finished (a lost in-memory job, a Redis restart without persistence). */
  async requeueStale(olderThanMs = this.staleAfterMs): Promise<number> {
    const result = await this.database.db.execute(sql`
      update outbox set status = 'pending'
      where status = 'relayed' and relayed_at < now() - (${olderThanMs} * interval '1 millisecond')
        ${this.tenantCondition()}
      returning id`)
    return resultRows(result).length
  }

  private tenantCondition() {
    const { tenantId, tenantKey } = this.options
    if (!tenantId) return sql``
    if (!tenantKey) return sql`and tenant_id = ${tenantId}`
    return sql`and (tenant_id = ${tenantId} or (tenant_id is null and payload #>> '{event,tenantKey}' = ${tenantKey}))`
  }

  /** Starts relaying on NOTIFY and on a short poll. */
  async start(): Promise<void> {
    this.stopped = false
    if (this.queue.kind === 'inline') {
      // The in-process queue lost whatever it held when the last process stopped.
      await this.requeueStale(0)
    }
    // Redis came back empty: what was relayed to it is relayed again now, not after the stale timeout.
    this.queue.onReset?.(() => {
      if (this.stopped) return
      void this.requeueStale(0).then(
        () => this.kick(),
        () => {},
      )
    })
    await this.listenForWakeups(0)
    this.timer = setInterval(() => this.kick(), this.pollMs)
    this.timer.unref?.()
    this.kick()
  }

  /**
   * LISTEN for NOTIFY wake-ups. A database that does not answer (restarting as this process starts) is not
   * fatal: the poll relays meanwhile and LISTEN is tried again with backoff (up to 5 s); once it holds,
   * postgres.js renews it across reconnects itself.
   */
  private listenRetry: ReturnType<typeof setTimeout> | null = null
  private async listenForWakeups(attempt: number): Promise<void> {
    this.listenRetry = null
    if (this.stopped) return
    try {
      const unlisten = await this.database.listen('outbox', () => this.kick())
      if (this.stopped) await unlisten().catch(() => {})
      else this.unlisten = unlisten
    } catch (err) {
      if (this.stopped) return
      if (attempt === 0)
        this.options.logger?.warn({ err }, 'outbox relay: LISTEN failed, polling until it works')
      this.listenRetry = setTimeout(
        () => void this.listenForWakeups(attempt + 1),
        Math.min(5000, 250 * 2 ** attempt),
      )
      this.listenRetry.unref?.()
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.listenRetry) clearTimeout(this.listenRetry)
    this.listenRetry = null
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.unlisten) await this.unlisten().catch(() => {})
    this.unlisten = null
    await this.running
  }

  /** Coalesces wake-ups: at most one pass runs at a time, and a wake-up during a pass causes one more. */
  private failedPasses = 0
  private lastFailureLog = 0

  private kickScheduled = false

  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    if (this.kickScheduled) return
    this.kickScheduled = true
    setImmediate(() => {
      this.kickScheduled = false
      this.pass()
    })
  }

  private pass(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = (async () => {
      do {
        this.again = false
        try {
          await this.relayAll()
          if (this.failedPasses > 0) {
            this.options.logger?.info({ failedPasses: this.failedPasses }, 'outbox relay recovered')
            this.failedPasses = 0
          }
          if (Date.now() - this.lastSweep > this.staleAfterMs / 4) {
            this.lastSweep = Date.now()
            const n = await this.requeueStale()
            if (n > 0) this.again = true
          }
        } catch (err) {
          // During an outage a pass fails every poll: warn on the first failure, then once a minute.
          this.failedPasses++
          if (this.failedPasses === 1 || Date.now() - this.lastFailureLog >= 60_000) {
            this.lastFailureLog = Date.now()
            this.options.logger?.warn({ err, failedPasses: this.failedPasses }, 'outbox relay pass failed')
          }
        }
      } while (this.again && !this.stopped)
      this.running = null
    })()
  }
}

interface Completion {
  id: number
  status: 'done' | 'failed'
  attempts: number
  error: string | null
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Group commit for job ends: completions arriving while a write is in flight are recorded together by the
 * next statement, so a burst of finished jobs costs a few statements instead of one each. On the embedded
 * database (one connection) every statement queues in front of interactive requests, and a job's own
 * "done" update was the most frequent statement under load. Each caller still resolves only once its row
 * is written.
 */
export class OutboxCompletions {
  private readonly queue: Completion[] = []
  private inFlight = false

  constructor(
    private readonly database: Database,
    private readonly maxBatch = 500,
  ) {}

  record(
    id: number,
    status: 'done' | 'failed',
    attempts: number,
    error: string | null = null,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ id, status, attempts, error, resolve, reject })
      this.pump()
    })
  }

  private scheduled = false

  private pump(): void {
    if (this.inFlight || this.queue.length === 0 || this.scheduled) return
    // Completions of one turn of the event loop go together (embedded: a statement never stays in flight
    // across turns, so without this each job's end was its own statement).
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flush()
    })
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return
    const batch = this.queue.splice(0, this.maxBatch)
    this.inFlight = true
    void this.write(batch)
      .then(
        () => {
          for (const c of batch) c.resolve()
        },
        (err: unknown) => {
          for (const c of batch) c.reject(err)
        },
      )
      .finally(() => {
        this.inFlight = false
        this.pump()
      })
  }

  private async write(batch: Completion[]): Promise<void> {
    const rows = JSON.stringify(
      batch.map((c) => ({ id: c.id, status: c.status, attempts: c.attempts, error: c.error })),
    )
    await this.database.db.execute(sql`
      update outbox o set status = v.status, finished_at = now(), attempts = v.attempts,
        last_error = case when v.status = 'failed' then v.error else o.last_error end
      from jsonb_to_recordset(${rows}::jsonb) as v(id bigint, status text, attempts int, error text)
      where o.id = v.id`)
  }
}

/**
 * Work options that record each outbox job's end on its row: `done`, or `failed` with the last error once
 * the queue has used all tries (written in groups, see {@link OutboxCompletions}).
 */
export function outboxWorkOptions(database: Database, base: WorkOptions = {}): WorkOptions {
  const completions = new OutboxCompletions(database)
  return {
    ...base,
    onCompleted: async (job: JobInfo, payload: JobPayload) => {
      const id = outboxIdOf(payload)
      if (id !== null) await completions.record(id, 'done', job.attempt)
      await base.onCompleted?.(job, payload)
    },
    onFailed: async (job: JobInfo, payload: JobPayload, error: Error) => {
      const id = outboxIdOf(payload)
      if (id !== null) await completions.record(id, 'failed', job.attempt, error.message.slice(0, 2000))
      await base.onFailed?.(job, payload, error)
    },
  }
}

const jobEffects = new AsyncLocalStorage<JobEffects>()
setJobEffectsSource(() => jobEffects.getStore())

/** Runs `fn` as the job `jobId`: the outbox rows it writes are keyed by it (see `setJobEffectsSource`). */
export function runAsJob<T>(jobId: string, fn: () => Promise<T>): Promise<T> {
  return jobEffects.run({ jobId, seen: new Map() }, fn)
}

/**
 * Wraps processors so their payload arrives without the relay's bookkeeping fields; a job from an outbox row
 * runs as that row's job (`runAsJob`: the rows it writes are keyed by it, so a rerun after a commit writes none
 * twice).
 */
export function stripOutboxFields(processors: Record<string, Processor>): Record<string, Processor> {
  return Object.fromEntries(
    Object.entries(processors).map(([name, p]) => [
      name,
      async (payload: JobPayload, job: JobInfo) => {
        const { [OUTBOX_FIELD]: _o, _tenant, ...rest } = payload
        // A job from an outbox row writes its rows keyed by that row's id (unique for good, unlike queue ids,
        // which restart with an in-process queue or a flushed Redis): a rerun writes none twice.
        const id = outboxIdOf(payload)
        if (id === null) await p(rest, job)
        else await runAsJob(`ob-${id}`, () => p(rest, job))
      },
    ]),
  )
}
