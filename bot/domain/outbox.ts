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

/**
 * An `insert into outbox` of `messages`, in order, for a CTE of a batch statement (one JSON parameter, so
 * the statement's text stays the same whatever their number).
 */
export function insertOutboxSql(ctx: ServiceContext, messages: OutboxMessage[]): SQL {
  const rows = messages.map((m, n) => ({
    topic: m.topic,
    payload: m.payload,
    available_at: m.availableAt?.toISOString() ?? null,
    n,
  }))
  return sql`insert into outbox (tenant_id, topic, payload, available_at)
    select ${ctx.tenantId}::text, topic, payload, coalesce(available_at, now())
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
      topic text, payload jsonb, available_at timestamptz, n int)
    order by n`
}
