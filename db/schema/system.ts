import { sql } from 'drizzle-orm'
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { at, createdAt } from './_columns'

/**
 * Append-only audit trail. A trigger (see the migration) refuses UPDATE and DELETE, so history cannot be
 * rewritten by application code.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: text().notNull(),
    actorKind: text().notNull(),
    actorId: text(),
    action: text().notNull(),
    targetType: text().notNull(),
    targetId: text().notNull(),
    before: jsonb(),
    after: jsonb(),
    meta: jsonb(),
    at: createdAt(),
  },
  (t) => [
    index('audit_log_tenant_target_idx').on(t.tenantId, t.targetType, t.targetId),
    index('audit_log_tenant_at_idx').on(t.tenantId, t.at),
  ],
)

export type OutboxStatus = 'pending' | 'relayed' | 'done' | 'failed'

/**
 * Transactional outbox: rows written in the same transaction as the state change they announce; the relay
 * moves committed rows to the job queue with the row id as job id.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: text(),
    topic: text().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: ['pending', 'relayed', 'done', 'failed'] })
      .notNull()
      .default('pending'),
    availableAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().default(sql`now()`),
    createdAt: createdAt(),
    relayedAt: at(),
    finishedAt: at(),
    attempts: integer().notNull().default(0),
    lastError: text(),
    /**
     * Set on rows a job writes (its job id, a hash of the row, its occurrence): a job run again after it
     * committed (worker killed, Redis restarted before it was marked done) writes the same keys, and the
     * unique index drops them, so its cards are not sent twice. Null for rows written by requests.
     */
    effectKey: text(),
  },
  (t) => [
    index('outbox_pending_idx').on(t.availableAt, t.id).where(sql`status = 'pending'`),
    index('outbox_tenant_idx').on(t.tenantId, t.topic),
    uniqueIndex('outbox_effect_key_idx').on(t.effectKey).where(sql`effect_key is not null`),
  ],
)

/** Inbound platform events already accepted; the primary key makes redelivery detection atomic. */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    platform: text().notNull(),
    eventId: text().notNull(),
    tenantKey: text(),
    eventType: text(),
    receivedAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.platform, t.eventId] }),
    // BRIN: rows arrive in time order and are only ever deleted by age, so a block-range index serves the
    // cleanup at a fraction of a btree's cost on every webhook ack.
    index('inbound_events_received_idx').using('brin', t.receivedAt),
  ],
)
