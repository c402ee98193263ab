import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { at, createdAt, id, tenantId, updatedAt } from './_columns'
import { customers } from './crm'

/**
 * The sales cycle after the customer: products, opportunities (商机) with stage sets and stage history,
 * contracts (合同) approved through the approvals engine, 回款 plans and payment records, invoices (开票),
 * and the customer value assessment. Money is integer cents (bigint), dates without time are `date`.
 */

const cents = () => bigint({ mode: 'number' })

export const products = pgTable(
  'sales_products',
  {
    id: id(),
    tenantId: tenantId(),
    sku: text().notNull(),
    name: text().notNull(),
    unit: text().notNull().default('件'),
    listPriceCents: cents().notNull().default(0),
    category: text(),
    active: boolean().notNull().default(true),
    /** The external system that last wrote the product (ERP bulk upsert), if any. */
    externalSystemId: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sales_products_sku_uq').on(t.tenantId, t.sku),
    index('sales_products_name_idx').on(t.tenantId, t.active, t.name),
  ],
)

export type StageKind = 'open' | 'won' | 'lost'
export type ForecastCategory = 'pipeline' | 'best_case' | 'commit'

/** A stage set (销售流程) per business line; every tenant has a default one. */
export const stageSets = pgTable(
  'sales_stage_sets',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    businessLine: text(),
    isDefault: boolean().notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('sales_stage_sets_name_uq').on(t.tenantId, t.name),
    uniqueIndex('sales_stage_sets_default_uq').on(t.tenantId).where(sql`is_default`),
  ],
)

export const stages = pgTable(
  'sales_stages',
  {
    id: id(),
    tenantId: tenantId(),
    stageSetId: text()
      .notNull()
      .references(() => stageSets.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    nameEn: text(),
    /** Default win probability, percent 0-100. */
    probability: integer().notNull(),
    sortOrder: integer().notNull(),
    kind: text({ enum: ['open', 'won', 'lost'] })
      .notNull()
      .default('open'),
    forecastCategory: text({ enum: ['pipeline', 'best_case', 'commit'] })
      .notNull()
      .default('pipeline'),
  },
  (t) => [index('sales_stages_set_idx').on(t.tenantId, t.stageSetId, t.sortOrder)],
)

/** The tenant's list of reasons for closing a deal (won or lost). */
export const closeReasons = pgTable(
  'sales_close_reasons',
  {
    id: id(),
    tenantId: tenantId(),
    kind: text({ enum: ['won', 'lost'] }).notNull(),
    name: text().notNull(),
    sortOrder: integer().notNull().default(0),
    active: boolean().notNull().default(true),
  },
  (t) => [uniqueIndex('sales_close_reasons_uq').on(t.tenantId, t.kind, t.name)],
)

export interface ProbabilityFactor {
  factor: string
  value: string
  /** English labels (absent on factors computed before they were added: readers fall back to zh). */
  factorEn?: string
  valueEn?: string
  /** Percentage points this factor moves the probability by (signed). */
  effect: number
}

export const opportunities = pgTable(
  'sales_opportunities',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'restrict' }),
    stageSetId: text().notNull(),
    stageId: text().notNull(),
    status: text({ enum: ['open', 'won', 'lost'] })
      .notNull()
      .default('open'),
    amountCents: cents().notNull().default(0),
    /** `items`: the amount is the sum of the line items; `manual`: entered. */
    amountSource: text({ enum: ['items', 'manual'] })
      .notNull()
      .default('manual'),
    expectedCloseDate: date({ mode: 'string' }),
    ownerId: text().notNull(),
    teamIds: jsonb().$type<string[]>().notNull().default([]),
    competitors: jsonb().$type<string[]>().notNull().default([]),
    /** Source attribution (from the lead when converted). */
    channel: text(),
    campaign: text(),
    leadId: text(),
    closeReasonId: text(),
    closeNote: text(),
    closedAt: at(),
    stageEnteredAt: at().notNull(),
    lastActivityAt: at().notNull(),
    /** How many times the expected close date moved later. */
    closeDateSlips: integer().notNull().default(0),
    /** The assessed win probability (stage default, or adjusted by the tenant's history) and why. */
    winProbability: integer().notNull().default(0),
    probabilityFactors: jsonb().$type<ProbabilityFactor[]>().notNull().default([]),
    stalledNotifiedAt: at(),
    /**
     * The sort order of the furthest open stage in the deal's stage history (0: none), for the funnel: a lost
     * deal counts in every stage it passed. Kept by statement triggers on sales_stage_history and sales_stages
     * (migration `deal_top_stage`), never written by the app.
     */
    topOpenOrder: integer().notNull().default(0),
    version: integer().notNull().default(1),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('sales_opps_owner_idx').on(t.tenantId, t.ownerId, t.updatedAt),
    // A person's (or a department's people's) deals created in a period: the funnel report's cohort, read
    // from the index alone (stage set, status, furthest stage and amount are what the funnel groups; the id
    // finds the cohort's stage history).
    index('sales_opps_owner_created_idx').on(
      t.tenantId,
      t.ownerId,
      t.createdAt,
      t.stageSetId,
      t.status,
      t.topOpenOrder,
      t.amountCents,
      t.id,
    ),
    index('sales_opps_customer_idx').on(t.tenantId, t.customerId),
    index('sales_opps_close_idx').on(t.tenantId, t.status, t.expectedCloseDate),
    // The list's other sorts (amount, last change) read the first page in index order instead of sorting
    // every deal of the status.
    index('sales_opps_amount_idx').on(t.tenantId, t.status, t.amountCents.desc().nullsFirst(), t.id),
    index('sales_opps_updated_idx').on(
      t.tenantId,
      t.status,
      t.updatedAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    // Reports follow a lead to the deals converted from it (funnel, channel conversion).
    index('sales_opps_lead_idx').on(t.tenantId, t.leadId).where(sql`lead_id is not null`),
    // Cohorts of deals by creation time (the funnel).
    index('sales_opps_created_idx').on(t.tenantId, t.createdAt),
    // A person's (or a department's people's) deals closed in a period, read index-only: the win/loss report.
    index('sales_opps_owner_closed_idx')
      .on(t.tenantId, t.ownerId, t.closedAt, t.status, t.closeReasonId, t.amountCents)
      .where(sql`status in ('won', 'lost')`),
    // Deals the actor is on the team of (the data scope's extra grant).
    index('sales_opps_team_idx').using('gin', t.teamIds.op('jsonb_path_ops')),
  ],
)

/**
 * The forecast's rollup: the deals that are not lost and have an expected close date, summed per owner,
 * close day, stage and status (deals, amount, Σ round(amount × win probability / 100)). Kept by statement
 * triggers on sales_opportunities (migration `sales_forecast_daily`) in the same transaction as every write;
 * a key whose deals all left is deleted. The forecast reads it instead of grouping the deals.
 */
export const forecastDaily = pgTable(
  'sales_forecast_daily',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    closeDate: date({ mode: 'string' }).notNull(),
    stageId: text().notNull(),
    status: text({ enum: ['open', 'won'] }).notNull(),
    deals: integer().notNull().default(0),
    amountCents: cents().notNull().default(0),
    weightedCents: cents().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.ownerId, t.closeDate, t.stageId, t.status] }),
    index('sales_forecast_daily_close_idx').on(t.tenantId, t.closeDate),
  ],
)

/** Line items of opportunities and contracts (`parentType`). */
export const lineItems = pgTable(
  'sales_line_items',
  {
    id: id(),
    tenantId: tenantId(),
    parentType: text({ enum: ['opportunity', 'contract'] }).notNull(),
    parentId: text().notNull(),
    productId: text(),
    name: text().notNull(),
    quantity: integer().notNull(),
    unitPriceCents: cents().notNull(),
    amountCents: cents().notNull(),
    sortOrder: integer().notNull().default(0),
  },
  (t) => [index('sales_line_items_parent_idx').on(t.tenantId, t.parentType, t.parentId)],
)

/** One row per stage an opportunity was in; `leftAt` null for the current one. */
export const stageHistory = pgTable(
  'sales_stage_history',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    opportunityId: text()
      .notNull()
      .references(() => opportunities.id, { onDelete: 'cascade' }),
    stageId: text().notNull(),
    stageName: text().notNull(),
    enteredAt: at().notNull(),
    leftAt: at(),
    amountCents: cents().notNull(),
    expectedCloseDate: date({ mode: 'string' }),
    actorId: text(),
  },
  (t) => [
    // A deal's history in order; with the stage and the exit it also answers the funnel's days per stage
    // from the index alone.
    index('sales_stage_history_opp_idx').on(t.tenantId, t.opportunityId, t.enteredAt, t.stageId, t.leftAt),
  ],
)

export type ContractStatus = 'draft' | 'in_approval' | 'active' | 'completed' | 'terminated'

export const contracts = pgTable(
  'sales_contracts',
  {
    id: id(),
    tenantId: tenantId(),
    number: text().notNull(),
    name: text().notNull(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'restrict' }),
    opportunityId: text(),
    ownerId: text().notNull(),
    amountCents: cents().notNull(),
    /** Discount off the list total, in basis points (1500 = 15 %). */
    discountBp: integer().notNull().default(0),
    status: text({ enum: ['draft', 'in_approval', 'active', 'completed', 'terminated'] })
      .notNull()
      .default('draft'),
    approvalInstanceId: text(),
    signedDate: date({ mode: 'string' }),
    startDate: date({ mode: 'string' }),
    endDate: date({ mode: 'string' }),
    activatedAt: at(),
    version: integer().notNull().default(1),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sales_contracts_number_uq').on(t.tenantId, t.number),
    index('sales_contracts_owner_idx').on(t.tenantId, t.ownerId, t.createdAt),
    index('sales_contracts_customer_idx').on(t.tenantId, t.customerId),
    index('sales_contracts_opp_idx').on(t.tenantId, t.opportunityId),
  ],
)

/** Per-tenant counters for document numbers (contracts: HT-2026-0001). */
export const numberSeries = pgTable(
  'sales_number_series',
  {
    tenantId: tenantId(),
    key: text().notNull(),
    lastValue: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
)

/** 回款计划: instalment `seq` of a contract. */
export const instalments = pgTable(
  'sales_instalments',
  {
    id: id(),
    tenantId: tenantId(),
    contractId: text()
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    seq: integer().notNull(),
    dueDate: date({ mode: 'string' }).notNull(),
    amountCents: cents().notNull(),
    receivedCents: cents().notNull().default(0),
    /** The payments allocated to it (all of them, summed by trigger on sales_payment_allocations). */
    allocatedCents: cents().notNull().default(0),
    overdueNotifiedAt: at(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('sales_instalments_seq_uq').on(t.contractId, t.seq),
    index('sales_instalments_contract_idx').on(t.tenantId, t.contractId),
    // The overdue scan reads only open instalments by due date.
    index('sales_instalments_due_idx').on(t.dueDate).where(sql`received_cents < amount_cents`),
    // The tenant's overdue scan walks them in (due date, id) order, batch after batch.
    index('sales_instalments_open_due_idx')
      .on(t.tenantId, t.dueDate, t.id)
      .where(sql`received_cents < amount_cents`),
    // The ageing as of today reads its rollup and takes off the open instalments created after that day.
    index('sales_instalments_open_created_idx')
      .on(t.tenantId, t.createdAt)
      .where(sql`received_cents < amount_cents`),
    // The ageing as of a past day takes off the instalments created after it.
    index('sales_instalments_created_idx').on(t.tenantId, t.createdAt),
  ],
)

/** 回款: one received payment, allocated to instalments. */
export const payments = pgTable(
  'sales_payments',
  {
    id: id(),
    tenantId: tenantId(),
    contractId: text()
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    customerId: text().notNull(),
    amountCents: cents().notNull(),
    receivedOn: date({ mode: 'string' }).notNull(),
    method: text().notNull(),
    note: text(),
    /** Set when an external system (ERP, finance) posted it: its id makes the post idempotent. */
    externalSystemId: text(),
    externalId: text(),
    createdById: text(),
    createdAt: createdAt(),
  },
  (t) => [
    index('sales_payments_contract_idx').on(t.tenantId, t.contractId),
    index('sales_payments_customer_idx').on(t.tenantId, t.customerId, t.receivedOn),
    // The ageing as of a past day corrects its rollup by the payments received after it.
    index('sales_payments_received_idx').on(t.tenantId, t.receivedOn),
    uniqueIndex('sales_payments_external_uq')
      .on(t.tenantId, t.externalSystemId, t.externalId)
      .where(sql`external_id is not null`),
  ],
)

export const paymentAllocations = pgTable(
  'sales_payment_allocations',
  {
    tenantId: tenantId(),
    paymentId: text()
      .notNull()
      .references(() => payments.id, { onDelete: 'cascade' }),
    instalmentId: text()
      .notNull()
      .references(() => instalments.id, { onDelete: 'cascade' }),
    amountCents: cents().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.paymentId, t.instalmentId] }),
    index('sales_allocations_instalment_idx').on(t.tenantId, t.instalmentId),
  ],
)

export type PaymentRequestState = 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'failed'

/**
 * 回款审批: a payment registered while the tenant's CRM rules ask for approval. It is only a request until
 * its approval instance is approved; then the payment is written through the ordinary path (and
 * `paymentId` set), so every sum over `sales_payments` counts approved money only. `failed` when the
 * payment was no longer valid at approval time (`failure` says why); nothing partial is ever written.
 */
export const paymentRequests = pgTable(
  'sales_payment_requests',
  {
    id: id(),
    tenantId: tenantId(),
    contractId: text()
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    customerId: text().notNull(),
    amountCents: cents().notNull(),
    receivedOn: date({ mode: 'string' }).notNull(),
    method: text().notNull(),
    note: text(),
    /** The instalments named by the applicant (`null`: the earliest open ones at approval time). */
    allocations: jsonb().$type<Array<{ instalmentId: string; amountCents: number }>>(),
    state: text().$type<PaymentRequestState>().notNull().default('pending'),
    approvalInstanceId: text().notNull(),
    paymentId: text(),
    /** Why an approved request could not be recorded (zh-CN / en in one string). */
    failure: text(),
    applicantId: text().notNull(),
    createdAt: createdAt(),
    decidedAt: at(),
  },
  (t) => [
    index('sales_payment_requests_contract_idx').on(t.tenantId, t.contractId, t.createdAt),
    uniqueIndex('sales_payment_requests_instance_uq').on(t.tenantId, t.approvalInstanceId),
  ],
)

export type InvoiceStatus = 'requested' | 'issued' | 'cancelled'

/** 开票: an invoice against a contract. */
export const invoices = pgTable(
  'sales_invoices',
  {
    id: id(),
    tenantId: tenantId(),
    contractId: text()
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    amountCents: cents().notNull(),
    title: text().notNull(),
    taxNumber: text(),
    status: text({ enum: ['requested', 'issued', 'cancelled'] })
      .notNull()
      .default('requested'),
    invoiceNumber: text(),
    issuedOn: date({ mode: 'string' }),
    externalSystemId: text(),
    externalId: text(),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('sales_invoices_contract_idx').on(t.tenantId, t.contractId),
    uniqueIndex('sales_invoices_external_uq')
      .on(t.tenantId, t.externalSystemId, t.externalId)
      .where(sql`external_id is not null`),
  ],
)

/** Idempotency keys of external posts (ERP): the first answer is replayed for a repeated key. */
export const externalPosts = pgTable(
  'sales_external_posts',
  {
    tenantId: tenantId(),
    systemId: text().notNull(),
    idempotencyKey: text().notNull(),
    kind: text().notNull(),
    response: jsonb().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.systemId, t.kind, t.idempotencyKey] })],
)

/** 客户价值评估: RFM from payments plus engagement → score and tier, with an audited manual override. */
export const customerValues = pgTable(
  'sales_customer_values',
  {
    tenantId: tenantId(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    recencyDays: integer(),
    frequency: integer().notNull().default(0),
    monetaryCents: cents().notNull().default(0),
    engagement: integer().notNull().default(0),
    score: integer().notNull().default(0),
    tier: text({ enum: ['A', 'B', 'C', 'D'] }).notNull(),
    factors: jsonb().$type<ProbabilityFactor[]>().notNull().default([]),
    overrideTier: text({ enum: ['A', 'B', 'C', 'D'] }),
    overrideReason: text(),
    computedAt: at().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.customerId] }),
    index('sales_customer_values_tier_idx').on(t.tenantId, t.tier),
  ],
)

/**
 * The tenant's learned win model (nightly, from its closed deals), kept so a stage change is assessed at
 * once with the same model. No row: too little history, the stage default stands.
 */
export const winModels = pgTable('sales_win_models', {
  tenantId: text().primaryKey(),
  model: jsonb()
    .$type<{
      wonTotal: number
      lostTotal: number
      counts: Array<[WinVariable, string, number, number]>
    }>()
    .notNull(),
  closedDeals: integer().notNull(),
  trainedAt: at().notNull(),
})

export type WinVariable = 'stage' | 'stage_age' | 'amount' | 'channel' | 'competitor' | 'slips'

/**
 * 打单经验: the review written when a deal closes (what worked, lessons, competitors met, tags), with the
 * facts it is searched by copied at writing time (the customer's industry, the products on the deal), so a
 * salesperson finds "won deals like mine" without joining across the book.
 */
export const dealReviews = pgTable(
  'sales_deal_reviews',
  {
    id: id(),
    tenantId: tenantId(),
    opportunityId: text()
      .notNull()
      .references(() => opportunities.id, { onDelete: 'cascade' }),
    outcome: text({ enum: ['won', 'lost'] }).notNull(),
    whatWorked: text().notNull().default(''),
    lessons: text().notNull().default(''),
    competitors: jsonb().$type<string[]>().notNull().default([]),
    tags: jsonb().$type<string[]>().notNull().default([]),
    industry: text(),
    productIds: jsonb().$type<string[]>().notNull().default([]),
    amountCents: cents().notNull().default(0),
    authorId: text().notNull(),
    version: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sales_deal_reviews_opp_uq').on(t.tenantId, t.opportunityId),
    index('sales_deal_reviews_outcome_idx').on(t.tenantId, t.outcome, t.updatedAt),
    index('sales_deal_reviews_facets_idx').using('gin', t.productIds, t.competitors, t.tags),
  ],
)
