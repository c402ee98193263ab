import { and, eq, sql } from 'drizzle-orm'
import { messages, outbox } from '../../../db/schema'
import { resultRows as rowsOf } from '../../lib/sql-rows'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError, NotFoundError } from '../errors'
import { requirePermission } from '../org/permissions'

/**
 * The admin console's view of this tenant's background work: what waits for the relay, what is queued or
 * running, what gave up, and a retry for the last. Scoped to the tenant (queue depths across tenants are
 * the operator's, in `/metrics`). Needs `org.admin`.
 */
export interface TopicCounts {
  topic: string
  pending: number
  relayed: number
  failed: number
}

export interface QueueStatus {
  pending: number
  relayed: number
  failed: number
  /** Finished in the last 24 hours. */
  doneLastDay: number
  /** Age in seconds of the oldest due row not yet relayed (0 when none): the relay's lag. */
  oldestPendingSeconds: number
  /** Rows not yet done, by topic (busiest first). */
  topics: TopicCounts[]
}

export async function getQueueStatus({ ctx }: { ctx: ServiceContext }): Promise<QueueStatus> {
  await requirePermission(ctx, 'org.admin')
  const now = ctx.clock.now()
  const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000)
  const rows = await ctx.db
    .select({
      topic: outbox.topic,
      pending: sql<number>`count(*) filter (where ${outbox.status} = 'pending')::int`,
      relayed: sql<number>`count(*) filter (where ${outbox.status} = 'relayed')::int`,
      failed: sql<number>`count(*) filter (where ${outbox.status} = 'failed')::int`,
      done: sql<number>`count(*) filter (where ${outbox.status} = 'done' and ${outbox.finishedAt} >= ${dayAgo.toISOString()}::timestamptz)::int`,
      oldest: sql<
        string | null
      >`min(${outbox.availableAt}) filter (where ${outbox.status} = 'pending' and ${outbox.availableAt} <= ${now.toISOString()}::timestamptz)`,
    })
    .from(outbox)
    .where(
      and(
        eq(outbox.tenantId, ctx.tenantId),
        sql`(${outbox.status} <> 'done' or ${outbox.finishedAt} >= ${dayAgo.toISOString()}::timestamptz)`,
      ),
    )
    .groupBy(outbox.topic)
  const sum = (k: 'pending' | 'relayed' | 'failed' | 'done') => rows.reduce((n, r) => n + Number(r[k]), 0)
  const oldest = rows
    .map((r) => (r.oldest ? new Date(r.oldest).getTime() : Number.POSITIVE_INFINITY))
    .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY)
  return {
    pending: sum('pending'),
    relayed: sum('relayed'),
    failed: sum('failed'),
    doneLastDay: sum('done'),
    oldestPendingSeconds: Number.isFinite(oldest)
      ? Math.max(0, Math.round((now.getTime() - oldest) / 1000))
      : 0,
    topics: rows
      .map((r) => ({
        topic: r.topic,
        pending: Number(r.pending),
        relayed: Number(r.relayed),
        failed: Number(r.failed),
      }))
      .filter((t) => t.pending + t.relayed + t.failed > 0)
      .sort((a, b) => b.pending + b.relayed + b.failed - (a.pending + a.relayed + a.failed)),
  }
}

export interface FailedJob {
  id: number
  topic: string
  attempts: number
  /** Why: the last error of a job that used every try, or the platform's refusal of a send. */
  lastError: string | null
  createdAt: string
  failedAt: string | null
  /** The person or chat a message was for, when the job is a send. */
  to: { userId: string } | { chatId: string } | null
}

/**
 * This tenant's work that did not get through, newest first (`before` pages by id): jobs that used every
 * try, and sends the platform refused for good (the bot blocked, a chat gone), whose job itself finished.
 */
export async function listFailedJobs({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { limit: number; before?: number | undefined }
}): Promise<{ items: FailedJob[]; nextBefore: number | null }> {
  await requirePermission(ctx, 'org.admin')
  const before = input.before !== undefined ? sql`and o.id < ${input.before}` : sql``
  const rows = await ctx.db.execute(sql`
    select o.id, o.topic, o.attempts, coalesce(m.error, o.last_error) as error, o.payload,
      o.created_at, coalesce(m.updated_at, o.finished_at) as failed_at
    from outbox o
    left join messages m on m.tenant_id = o.tenant_id and m.idempotency_key = 'ob-' || o.id::text
    where o.tenant_id = ${ctx.tenantId} ${before}
      and (o.status = 'failed' or m.status = 'failed')
      and o.id in (
        select id from outbox where tenant_id = ${ctx.tenantId} and status = 'failed'
        union all
        select substr(idempotency_key, 4)::bigint from messages
        where tenant_id = ${ctx.tenantId} and status = 'failed' and idempotency_key ~ '^ob-[0-9]{1,18}$')
    order by o.id desc
    limit ${input.limit + 1}`)
  const list = rowsOf<{
    id: number | string
    topic: string
    attempts: number
    error: string | null
    payload: Record<string, unknown>
    created_at: string | Date
    failed_at: string | Date | null
  }>(rows)
  const page = list.slice(0, input.limit)
  const iso = (v: string | Date) => new Date(v).toISOString()
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      topic: r.topic,
      attempts: Number(r.attempts),
      lastError: r.error ? r.error.slice(0, 300) : null,
      createdAt: iso(r.created_at),
      failedAt: r.failed_at ? iso(r.failed_at) : null,
      to: recipientOf(r.payload),
    })),
    nextBefore: list.length > input.limit ? Number(page.at(-1)?.id ?? 0) || null : null,
  }
}

function recipientOf(payload: Record<string, unknown>): FailedJob['to'] {
  const to = payload.to
  if (!to || typeof to !== 'object') return null
  if ('userId' in to && typeof to.userId === 'string') return { userId: to.userId }
  if ('chatId' in to && typeof to.chatId === 'string') return { chatId: to.chatId }
  return null
}

/**
 * Runs a failed job again: the row goes back to `pending` with its tries reset, so the relay queues it
 * under its own job id (`forget` first drops the queue's record of the failed job, which would otherwise
 * swallow the id) and a send keeps its idempotency key: the platform still refuses a double post. A
 * message recorded as failed is put back to pending so the send runs. Audited.
 */
export async function retryFailedJob({
  ctx,
  input,
  forget,
}: {
  ctx: ServiceContext
  input: { id: number }
  forget: (jobId: string, topic: string) => Promise<void>
}): Promise<{ id: number; status: 'pending' }> {
  await requirePermission(ctx, 'org.admin')
  const [row] = rowsOf<{ id: number | string; topic: string; status: string; message: string | null }>(
    await ctx.db.execute(sql`
      select o.id, o.topic, o.status, m.status as message from outbox o
      left join messages m on m.tenant_id = o.tenant_id and m.idempotency_key = 'ob-' || o.id::text
      where o.tenant_id = ${ctx.tenantId} and o.id = ${input.id}`),
  ).map((r) => ({ ...r, id: Number(r.id) }))
  if (!row) throw new NotFoundError('job', String(input.id))
  // A job that used every try, or a send the platform refused for good (its job finished).
  const retryable = row.status === 'failed' || (row.status === 'done' && row.message === 'failed')
  if (!retryable)
    throw new InvalidTransitionError(`job ${input.id} is ${row.status}; only failed jobs can be retried`)
  const jobId = `ob-${row.id}`
  await forget(jobId, row.topic)
  await withTransaction(ctx, async (tx, txCtx) => {
    const updated = await tx
      .update(outbox)
      .set({
        status: 'pending',
        attempts: 0,
        lastError: null,
        finishedAt: null,
        availableAt: ctx.clock.now(),
      })
      .where(
        and(
          eq(outbox.tenantId, ctx.tenantId),
          eq(outbox.id, row.id),
          eq(outbox.status, row.status === 'failed' ? 'failed' : 'done'),
        ),
      )
      .returning({ id: outbox.id })
    if (updated.length === 0)
      throw new InvalidTransitionError(`job ${input.id} was retried by someone else meanwhile`)
    await tx
      .update(messages)
      .set({ status: 'pending', error: null })
      .where(
        and(
          eq(messages.tenantId, ctx.tenantId),
          eq(messages.idempotencyKey, jobId),
          eq(messages.status, 'failed'),
        ),
      )
    await recordAudit(txCtx, {
      action: 'queue.retry',
      targetType: 'job',
      targetId: String(row.id),
      meta: { topic: row.topic },
    })
    await tx.execute(sql`select pg_notify('outbox', '')`)
  })
  return { id: row.id, status: 'pending' }
}
