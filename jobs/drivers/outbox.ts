import { sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import type { JobOptions, JobPayload, JobQueue } from '../queue'

/**
 * The queue of a process that runs no jobs (the Cloudflare Workers HTTP side): `add` writes an outbox row,
 * which a Node jobs process (`jobs/worker.ts`) relays to BullMQ and works like any other row. Its readiness
 * is the database's. Job ids cannot be kept (the relay gives each row the id `ob-<row id>`), so an `add`
 * with one is refused rather than silently losing its dedupe; tries and backoff come from the relay's
 * per-topic options.
 */
export class OutboxQueue implements JobQueue {
  readonly kind = 'outbox' as const

  constructor(private readonly database: Database) {}

  async add(name: string, payload: JobPayload, options: JobOptions = {}): Promise<void> {
    await this.addBulk([{ name, payload, options }])
  }

  async addBulk(jobs: Array<{ name: string; payload: JobPayload; options?: JobOptions }>): Promise<void> {
    if (jobs.length === 0) return
    for (const j of jobs) {
      if (j.options?.jobId !== undefined)
        throw new Error(
          `outbox queue: job id ${j.options.jobId} cannot be kept; write the outbox row in the transaction instead`,
        )
    }
    const values = jobs.map((j) => {
      const tenant = typeof j.payload._tenant === 'string' ? j.payload._tenant : null
      const delayMs = Math.max(0, j.options?.delayMs ?? 0)
      return sql`(${tenant}, ${j.name}, ${JSON.stringify(j.payload)}::jsonb, now() + (${delayMs} * interval '1 millisecond'))`
    })
    await this.database.db.execute(sql`
      insert into outbox (tenant_id, topic, payload, available_at) values ${sql.join(values, sql`, `)}`)
  }

  async schedule(key: string): Promise<void> {
    throw new Error(`outbox queue: repeatable job ${key} must be declared by the Node jobs process`)
  }

  async work(): Promise<void> {
    throw new Error('outbox queue: no jobs run here; run jobs/worker.ts (Node) to relay and work the outbox')
  }

  ping(): Promise<void> {
    return this.database.ping()
  }

  async close(): Promise<void> {}
}
