import { type SQL, sql } from 'drizzle-orm'
import { outbox } from '../../db/schema'
import type { ServiceContext } from './context'

export interface OutboxMessage {
  topic: string
  payload: Record<string, unknown>
  /** When the job becomes due (reminders, escalations); default now. Survives restarts. */
  availableAt?: Date
}

/**
 * Records work to do after the current transaction commits. Call it with the transaction's context so
 * the rows commit or roll back together with the state change they announce.
 */
export async function emit(ctx: ServiceContext, messages: OutboxMessage | OutboxMessage[]): Promise<void> {
  const list = Array.isArray(messages) ? messages : [messages]
  if (list.length === 0) return
  await ctx.db.insert(outbox).values(
    list.map((m) => ({
      tenantId: ctx.tenantId,
      topic: m.topic,
      payload: m.payload,
      ...(m.availableAt ? { availableAt: m.availableAt } : {}),
    })),
  )
}

/** The outbox rows of `messages`, in order, as the JSON parameter of {@link insertOutboxFrom}. */
export function outboxRowsJson(ctx: ServiceContext, messages: OutboxMessage[]): string {
  return JSON.stringify(
    messages.map((m, n) => ({
      tenant_id: ctx.tenantId,
      topic: m.topic,
      payload: m.payload,
      available_at: m.availableAt?.toISOString() ?? null,
      n,
    })),
  )
}

/**
 * An `insert into outbox` for a CTE of a batch statement, of the rows in `rows` (a JSON parameter from
 * {@link outboxRowsJson}, or a placeholder for it), in their order: the statement's text stays the same
 * whatever their number.
 */
export function insertOutboxFrom(rows: unknown): SQL {
  return sql`insert into outbox (tenant_id, topic, payload, available_at)
    select tenant_id, topic, payload, coalesce(available_at, now())
    from jsonb_to_recordset(${rows}::jsonb) as x(
      tenant_id text, topic text, payload jsonb, available_at timestamptz, n int)
    order by n`
}

/** {@link insertOutboxFrom} with `messages` as its parameter. */
export function insertOutboxSql(ctx: ServiceContext, messages: OutboxMessage[]): SQL {
  return insertOutboxFrom(outboxRowsJson(ctx, messages))
}
