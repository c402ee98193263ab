import { type SQL, sql } from 'drizzle-orm'
import { outbox } from '../../db/schema'
import type { ServiceContext } from './context'

export interface OutboxMessage {
  topic: string
  payload: Record<string, unknown>
  /** When the job becomes due (reminders, escalations); default now. Survives restarts. */
  availableAt?: Date
}

/** The job being worked, while its processor runs: what its outbox rows are keyed by. */
export interface JobEffects {
  /** Unique for good (the outbox row the job came from: `ob-<id>`). */
  jobId: string
  /** How often each row hash was written in this run. */
  seen: Map<string, number>
}
let currentJob: () => JobEffects | undefined = () => undefined

/**
 * Set by the job runtime (jobs/outbox.ts, which runs each job from an outbox row in an AsyncLocalStorage
 * scope): the job whose processor is running, if any. The outbox rows it writes are then its effects, keyed by
 * the job, a hash of the row and its occurrence in the run: a job run again after it committed them
 * (at-least-once: a worker killed, or Redis restarted, before the job was marked done) writes the same keys,
 * and the outbox's unique index drops them — its cards are not sent twice, while a row it did not write the
 * first time still is. Rows written by requests have no key.
 */
export function setJobEffectsSource(source: () => JobEffects | undefined): void {
  currentJob = source
}

/** cyrb53: a fast 53-bit string hash (collisions only matter within one job's own rows). */
function hash53(s: string): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/** The effect key of a row written now: inside a job, `<job id>:<row hash>:<occurrence>`; else null. */
function effectKeyOf(tenantId: string, m: OutboxMessage): string | null {
  const job = currentJob()
  if (!job) return null
  const h = hash53(
    `${tenantId}\u0000${m.topic}\u0000${JSON.stringify(m.payload)}\u0000${m.availableAt?.toISOString() ?? ''}`,
  )
  const n = job.seen.get(h) ?? 0
  job.seen.set(h, n + 1)
  return `${job.jobId}:${h}:${n}`
}

/**
 * Records work to do after the current transaction commits. Call it with the transaction's context so
 * the rows commit or roll back together with the state change they announce.
 */
export async function emit(ctx: ServiceContext, messages: OutboxMessage | OutboxMessage[]): Promise<void> {
  const list = Array.isArray(messages) ? messages : [messages]
  if (list.length === 0) return
  await ctx.db
    .insert(outbox)
    .values(
      list.map((m) => ({
        tenantId: ctx.tenantId,
        topic: m.topic,
        payload: m.payload,
        effectKey: effectKeyOf(ctx.tenantId, m),
        ...(m.availableAt ? { availableAt: m.availableAt } : {}),
      })),
    )
    .onConflictDoNothing()
}

/** The outbox rows of `messages`, in order, as the JSON parameter of {@link insertOutboxFrom}. */
export function outboxRowsJson(ctx: ServiceContext, messages: OutboxMessage[]): string {
  return JSON.stringify(
    messages.map((m, n) => ({
      tenant_id: ctx.tenantId,
      topic: m.topic,
      payload: m.payload,
      available_at: m.availableAt?.toISOString() ?? null,
      effect_key: effectKeyOf(ctx.tenantId, m),
      n,
    })),
  )
}

/**
 * An `insert into outbox` for a CTE of a batch statement, of the rows in `rows` (a JSON parameter from
 * {@link outboxRowsJson}, or a placeholder for it), in their order: the statement's text stays the same
 * whatever their number. A row whose effect key is there already (a job's rerun) is left out.
 */
export function insertOutboxFrom(rows: unknown): SQL {
  return sql`insert into outbox (tenant_id, topic, payload, available_at, effect_key)
    select tenant_id, topic, payload, coalesce(available_at, now()), effect_key
    from jsonb_to_recordset(${rows}::jsonb) as x(
      tenant_id text, topic text, payload jsonb, available_at timestamptz, effect_key text, n int)
    order by n
    on conflict do nothing`
}

/** {@link insertOutboxFrom} with `messages` as its parameter. */
export function insertOutboxSql(ctx: ServiceContext, messages: OutboxMessage[]): SQL {
  return insertOutboxFrom(outboxRowsJson(ctx, messages))
}
