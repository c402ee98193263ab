import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import type { InboundEvent } from '../chat/model'

export const INBOUND_EVENT = 'inbound.event'

/** The dedupe keys of an event: its event id, and for messages also the message id (Feishu redelivers both). */
export function dedupeKeys(event: InboundEvent): string[] {
  const keys = [event.eventId]
  if (event.kind === 'message') keys.push(`msg:${event.messageId}`)
  return keys
}

/**
 * Records an inbound event durably and exactly once, in one statement: the dedupe keys are inserted and,
 * only if none existed, an outbox row carries the event to a worker. Returns false for a redelivery.
 * The HTTP handler acknowledges as soon as this returns; the work happens from the queue.
 */
export async function ingestEvent(db: DbOrTx, event: InboundEvent): Promise<boolean> {
  const keys = dedupeKeys(event)
  const values = sql.join(
    keys.map((k) => sql`(${event.platform}, ${k}, ${event.tenantKey}, ${event.kind})`),
    sql`, `,
  )
  const result = await db.execute(sql`
    with ins as (
      insert into inbound_events (platform, event_id, tenant_key, event_type) values ${values}
      on conflict do nothing returning 1
    )
    insert into outbox (tenant_id, topic, payload)
    select null, ${INBOUND_EVENT}, ${JSON.stringify({ event })}::jsonb
    where (select count(*) from ins) = ${keys.length}
    returning id`)
  return rowCount(result) > 0
}

/** Marks a synchronous event (a card tap) as seen; false when it was already handled. */
export async function claimEvent(db: DbOrTx, event: InboundEvent): Promise<boolean> {
  const result = await db.execute(sql`
    insert into inbound_events (platform, event_id, tenant_key, event_type)
    values (${event.platform}, ${event.eventId}, ${event.tenantKey}, ${event.kind})
    on conflict do nothing returning 1`)
  return rowCount(result) > 0
}

function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows))
    return result.rows.length
  return 0
}
