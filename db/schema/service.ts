import { sql } from 'drizzle-orm'
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { at, createdAt, id, tenantId, updatedAt } from './_columns'
import { customers } from './crm'
import type { AssignmentMember, WorkingHours } from './leads'

/**
 * After-sales service (售后/客服工单): tickets numbered per tenant, their timeline, the tenant's service
 * settings (types, SLA per priority, working hours), dispatch rules, and the public intake codes (the
 * tenant's service form and per-device QR codes, `/s/{code}`).
 */

export const ticketStatusEnum = pgEnum('service_ticket_status', [
  'new',
  'assigned',
  'in_progress',
  'waiting_customer',
  'resolved',
  'closed',
  'rejected',
  'duplicate',
])
export type TicketStatus = (typeof ticketStatusEnum.enumValues)[number]

export const ticketPriorityEnum = pgEnum('service_ticket_priority', ['low', 'normal', 'high', 'urgent'])
export type TicketPriority = (typeof ticketPriorityEnum.enumValues)[number]

export const ticketChannelEnum = pgEnum('service_ticket_channel', [
  'chat',
  'phone',
  'miniapp',
  'form',
  'qr',
  'api',
])
export type TicketChannel = (typeof ticketChannelEnum.enumValues)[number]

/** none: no clock running; pending: due; met; breached. */
export const ticketSlaStateEnum = pgEnum('service_sla_state', ['none', 'pending', 'met', 'breached'])
export type TicketSlaState = (typeof ticketSlaStateEnum.enumValues)[number]

export const serviceTickets = pgTable(
  'service_tickets',
  {
    id: id(),
    tenantId: tenantId(),
    /** Per-tenant number `GD-2026-0001` (China-time year). */
    number: text().notNull(),
    customerId: text().references(() => customers.id, { onDelete: 'set null' }),
    contactId: text(),
    /** Who reported it when it is not a known contact (public form, hotline). */
    reporterName: text(),
    reporterPhone: text(),
    contractId: text(),
    productId: text(),
    /** The device's serial / label when it came through a device QR code. */
    deviceLabel: text(),
    channel: ticketChannelEnum().notNull(),
    /** One of the tenant's ticket types (咨询/故障/安装/维修/投诉 by default). */
    type: text().notNull(),
    priority: ticketPriorityEnum().notNull().default('normal'),
    subject: text().notNull(),
    description: text(),
    /** Storage keys of the photos. */
    photos: jsonb().$type<string[]>().notNull().default([]),
    status: ticketStatusEnum().notNull().default('new'),
    ownerId: text(),
    /**
     * The customer's owner, kept in step by triggers (set from the customer on insert and when the ticket's
     * customer changes; rewritten when the customer changes hands): the rep sees their customers' tickets
     * through an indexed column rather than a set of their whole book.
     */
    customerOwnerId: text(),
    /** The owner's department at assignment (the team), for the manager's view and reports. */
    departmentId: text(),
    assignedAt: at(),
    /** Bumped on every (re)assignment and priority change: older SLA timers do nothing. */
    assignmentSeq: integer().notNull().default(0),
    requesterId: text(),
    firstResponseDueAt: at(),
    firstRespondedAt: at(),
    responseSla: ticketSlaStateEnum().notNull().default('pending'),
    resolutionDueAt: at(),
    resolvedAt: at(),
    resolutionSla: ticketSlaStateEnum().notNull().default('pending'),
    resolutionNote: text(),
    closedAt: at(),
    duplicateOfId: text(),
    /** Unguessable token of the customer's status link `/s/t/{token}`. */
    statusToken: text().notNull(),
    rating: smallint(),
    ratingComment: text(),
    ratedAt: at(),
    reopenCount: integer().notNull().default(0),
    /** The external system and its id (hotline, ERP): a redelivery finds the same ticket. */
    externalSystem: text(),
    externalId: text(),
    visitId: text(),
    version: integer().notNull().default(1),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('service_tickets_number_uq').on(t.tenantId, t.number),
    uniqueIndex('service_tickets_token_uq').on(t.statusToken),
    uniqueIndex('service_tickets_external_uq')
      .on(t.tenantId, t.externalSystem, t.externalId)
      .where(sql`external_id is not null`),
    index('service_tickets_list_idx').on(t.tenantId, t.createdAt),
    index('service_tickets_owner_idx').on(t.tenantId, t.ownerId, t.status, t.createdAt),
    /** Dispatch quotas: tickets given to each member today. */
    index('service_tickets_assigned_idx').on(t.tenantId, t.ownerId, t.assignedAt),
    index('service_tickets_status_idx').on(t.tenantId, t.status, t.createdAt),
    index('service_tickets_customer_idx').on(t.tenantId, t.customerId, t.createdAt),
    index('service_tickets_customer_owner_idx').on(t.tenantId, t.customerOwnerId, t.createdAt),
    /**
     * Open tickets only (about a tenth of them), newest first: the "open" lists and the SLA scan. No index
     * reads the SLA flags, so the scan's updates stay HOT (heap-only: no index entry is rewritten).
     */
    index('service_tickets_open_idx')
      .on(t.tenantId, t.createdAt, t.id)
      .where(sql`status in ('new', 'assigned', 'in_progress', 'waiting_customer')`),
  ],
)

/**
 * Each member's open tickets (status new … waiting for customer), kept by triggers on `service_tickets` in
 * the writing transaction: least-open dispatch reads a row per member instead of counting their tickets.
 */
export const serviceMemberLoad = pgTable(
  'service_member_load',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    openCount: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
)

/** Every change and comment of a ticket, in order (the timeline). */
export const serviceTicketEvents = pgTable(
  'service_ticket_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    ticketId: text()
      .notNull()
      .references(() => serviceTickets.id, { onDelete: 'cascade' }),
    kind: text({
      enum: [
        'created',
        'status',
        'assigned',
        'comment',
        'priority',
        'sla_breach',
        'rated',
        'reopened',
        'visit',
      ],
    }).notNull(),
    /** Null = the system or the customer (see `data.by`). */
    actorId: text(),
    body: text(),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Internal comments are never shown on the customer's status page. */
    internal: boolean().notNull().default(false),
    at: createdAt(),
  },
  (t) => [index('service_ticket_events_ticket_idx').on(t.tenantId, t.ticketId, t.id)],
)

/**
 * Who may attach a stored ticket photo: one row per object under `<tenant>/service/`. An upload through the
 * API is the uploader's until a ticket takes it (`ticketId` set, once: a key is never on two tickets); the
 * public intake's photos are written with their ticket at once.
 */
export const servicePhotos = pgTable(
  'service_photos',
  {
    tenantId: tenantId(),
    key: text().notNull(),
    /** Null = uploaded and not yet on a ticket. */
    ticketId: text().references(() => serviceTickets.id, { onDelete: 'cascade' }),
    /** The person or external system (`system:<id>`) who uploaded it; null = the public intake. */
    uploadedBy: text(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
)

export interface ServiceSlaTarget {
  /** Working minutes to the first response. */
  responseMinutes: number
  /** Working minutes to resolution. */
  resolutionMinutes: number
}

/** Per-tenant service settings (defaults when absent). */
export const serviceSettings = pgTable('service_settings', {
  tenantId: text().primaryKey(),
  types: jsonb().$type<string[]>().notNull(),
  sla: jsonb().$type<Record<TicketPriority, ServiceSlaTarget>>().notNull(),
  /** The service calendar: SLA clocks run only inside these hours (null = around the clock). */
  workingHours: jsonb().$type<WorkingHours | null>(),
  /** A rating at or below this reopens the ticket and alerts the owner's manager. */
  lowRating: integer().notNull().default(2),
  /** Public-form submissions per IP and code in 10 minutes. */
  formRateLimit: integer().notNull().default(5),
  updatedAt: updatedAt(),
})

export interface DispatchMatch {
  types?: string[]
  priorities?: TicketPriority[]
  /** Substrings of the customer's address / province (like lead rules). */
  regions?: string[]
  /** Product categories. */
  productCategories?: string[]
}

/** Ordered dispatch rules (the shared assignment engine: round robin / weighted with daily quotas). */
export const serviceDispatchRules = pgTable(
  'service_dispatch_rules',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    position: integer().notNull().default(0),
    active: boolean().notNull().default(true),
    match: jsonb().$type<DispatchMatch>().notNull().default({}),
    method: text({ enum: ['round_robin', 'weighted', 'least_open'] })
      .notNull()
      .default('round_robin'),
    members: jsonb().$type<AssignmentMember[]>().notNull().default([]),
    workingHours: jsonb().$type<WorkingHours | null>(),
    cursor: integer().notNull().default(-1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('service_dispatch_rules_tenant_idx').on(t.tenantId, t.position)],
)

/**
 * Public intake codes: the tenant's service form (no customer) and device QR codes (a customer, optionally
 * a product and a device label). The code is the public, unguessable key in `/s/{code}`.
 */
export const serviceIntakeCodes = pgTable(
  'service_intake_codes',
  {
    id: id(),
    tenantId: tenantId(),
    code: text().notNull(),
    customerId: text().references(() => customers.id, { onDelete: 'cascade' }),
    productId: text(),
    deviceLabel: text(),
    label: text().notNull(),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('service_intake_codes_code_uq').on(t.code),
    index('service_intake_codes_tenant_idx').on(t.tenantId, t.customerId),
  ],
)
