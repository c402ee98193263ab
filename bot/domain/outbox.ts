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
