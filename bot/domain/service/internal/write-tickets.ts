import { getTableColumns, sql } from 'drizzle-orm'
import { serviceTickets } from '../../../../db/schema'
import { resultRows } from '../../../lib/sql-rows'
import { type AuditEntry, insertAuditSql } from '../../audit/record-audit'
import type { ServiceContext } from '../../context'
import { giveBackNumbersSql } from '../../contracts/number-series'
import { insertOutboxSql, type OutboxMessage } from '../../outbox'
import type { TicketRow } from '../access'

export interface TicketEventRow {
  ticketId: string
  kind: 'created' | 'assigned'
  actorId: string | null
  data: Record<string, unknown>
  at: Date
}

/** The columns by property, with their names in the database (the schema's keys, in snake case). */
const ticketColumns = Object.entries(getTableColumns(serviceTickets)).map(
  ([key, col]) => [key, col, key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] as const,
)

/** A ticket as its columns' names (what `jsonb_populate_recordset` reads). */
const toColumns = (t: TicketRow): Record<string, unknown> =>
  Object.fromEntries(ticketColumns.map(([key, , name]) => [name, t[key as keyof TicketRow]]))

/** A row of `service_tickets` as the driver returns it, as the ORM would map it. */
const fromColumns = (row: Record<string, unknown>): TicketRow =>
  Object.fromEntries(
    ticketColumns.map(([key, col, name]) => {
      const v = row[name]
      return [key, v === null || v === undefined ? null : col.mapFromDriverValue(v)]
    }),
  ) as TicketRow

/**
 * Writes a batch of new tickets with their photos' ownership rows, timeline entries, audit rows, outbox rows and the dispatch rules'
 * moved cursors in one statement of constant text (prepared once per connection, one round trip whatever
 * the batch size), and answers the tickets as stored (the customer's owner is set by a trigger). Every
 * ticket row carries all its columns.
 */
export async function writeTickets(
  ctx: ServiceContext,
  batch: {
    tickets: TicketRow[]
    events: TicketEventRow[]
    audit: AuditEntry[]
    outbox: OutboxMessage[]
    cursors: Array<{ id: string; cursor: number }>
    /** The ticket numbers drawn but not used (requests dropped after the draw), handed back. */
    unusedNumbers: { key: string; n: number }
  },
): Promise<TicketRow[]> {
  const events = batch.events.map((e, n) => ({
    ticket_id: e.ticketId,
    kind: e.kind,
    actor_id: e.actorId,
    data: e.data,
    at: e.at.toISOString(),
    n,
  }))
  const rows = resultRows<Record<string, unknown>>(
    await ctx.db.execute(sql`
      with r as (
        update service_dispatch_rules d set cursor = x.cursor
        from jsonb_to_recordset(${JSON.stringify(batch.cursors)}::jsonb) as x(id text, cursor int)
        where d.id = x.id and d.tenant_id = ${ctx.tenantId}::text
      ), t as (
        insert into service_tickets
        select * from jsonb_populate_recordset(null::service_tickets, ${JSON.stringify(batch.tickets.map(toColumns))}::jsonb)
        returning *
      ), p as (
        -- Each photo now on its ticket: a fresh one from the public intake is added, an upload (checked and
        -- locked by claimTicketPhotos) is taken; a key already on a ticket is never moved.
        insert into service_photos (tenant_id, key, ticket_id, uploaded_by)
        select t.tenant_id, k.key, t.id, t.created_by_id
        from t cross join lateral jsonb_array_elements_text(t.photos) as k(key)
        on conflict (tenant_id, key) do update set ticket_id = excluded.ticket_id
        where service_photos.ticket_id is null
      ), e as (
        insert into service_ticket_events (tenant_id, ticket_id, kind, actor_id, data, at)
        select ${ctx.tenantId}::text, ticket_id, kind, actor_id, data, at
        from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as x(
          ticket_id text, kind text, actor_id text, data jsonb, at timestamptz, n int)
        order by n
      ), g as (${giveBackNumbersSql(ctx, batch.unusedNumbers.key, batch.unusedNumbers.n)}
      ), a as (${insertAuditSql(ctx, batch.audit)}
      ), o as (${insertOutboxSql(ctx, batch.outbox)}
      )
      select * from t`),
  )
  const byId = new Map(rows.map((r) => [String(r.id), fromColumns(r)]))
  return batch.tickets.map((t) => {
    const stored = byId.get(t.id)
    if (!stored) throw new Error('ticket insert returned nothing')
    return stored
  })
}
