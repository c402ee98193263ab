import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  numeric,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { createdAt, id, tenantId, updatedAt } from './_columns'

/**
 * What a sales target (业绩目标) counts. Amounts are integer cents; the other kinds are counts. Contract and
 * 回款 targets can be set before those records exist, so a target table never waits for its data.
 */
export const targetKindEnum = pgEnum('report_target_kind', [
  'contract_amount',
  'payment_amount',
  'new_customers',
  'new_opportunities',
  'visits',
  'follow_ups',
])
export type TargetKind = (typeof targetKindEnum.enumValues)[number]

/**
 * One target per subject (a person or a department), kind and month. Quarters and years are rolled up from
 * the months on read, so there is one source of truth and no drift between a year row and its months.
 */
export const salesTargets = pgTable(
  'sales_targets',
  {
    id: id(),
    tenantId: tenantId(),
    subjectKind: text({ enum: ['user', 'department'] }).notNull(),
    subjectId: text().notNull(),
    kind: targetKindEnum().notNull(),
    /** `YYYY-MM` in the tenant's calendar. */
    month: text().notNull(),
    value: bigint({ mode: 'number' }).notNull(),
    setById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sales_targets_subject_uq').on(t.tenantId, t.subjectKind, t.subjectId, t.kind, t.month),
    index('sales_targets_month_idx').on(t.tenantId, t.month),
  ],
)

/** The digests sent in chat: the morning brief to each person, the weekly team digest to each manager. */
export const digestKindEnum = pgEnum('report_digest_kind', ['morning', 'weekly'])
export type DigestKind = (typeof digestKindEnum.enumValues)[number]

/**
 * A person's digest settings and the last period sent. No row means the defaults (on, 08:30 each workday,
 * the team digest Monday 09:00); the row is written when the person changes a setting or a digest is sent,
 * and `lastPeriod` (the local day, or the Monday of the week) makes the scan send each period once.
 */
export const digestPrefs = pgTable(
  'report_digest_prefs',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    kind: digestKindEnum().notNull(),
    enabled: boolean().notNull().default(true),
    /** `HH:MM` in the tenant's time zone; null = the default time. */
    sendAt: text(),
    lastPeriod: text(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.kind] })],
)

/**
 * What each person did each day (the tenant's local day), summed: the rollup the achievement and activity
 * reports read instead of grouping the raw tables. Kept by statement triggers on customers, deals, visits,
 * follow-ups, contracts and payments (migration `report_person_daily`), in the same transaction as every
 * write, whoever writes; rebuilt for a tenant when its time zone changes. `userId` '' = nobody (a pool
 * customer, a follow-up without author). Visits count by check-in day; 回款 by the day received, credited to
 * the contract's owner (an owner transfer moves them); contracts by the day they took effect.
 */
export const personDaily = pgTable(
  'report_person_daily',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    day: date({ mode: 'string' }).notNull(),
    customers: integer().notNull().default(0),
    opportunities: integer().notNull().default(0),
    visits: integer().notNull().default(0),
    visitsFlagged: integer().notNull().default(0),
    /** Visits checked out, and their seconds on site (numeric: exact under + and −). */
    visitsTimed: integer().notNull().default(0),
    visitSeconds: numeric().notNull().default('0'),
    followUps: integer().notNull().default(0),
    contractCents: bigint({ mode: 'number' }).notNull().default(0),
    paymentCents: bigint({ mode: 'number' }).notNull().default(0),
    /** Contracts that took effect and payments received, counted: a 0-amount contract still shows its owner. */
    contracts: integer().notNull().default(0),
    payments: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId, t.day] }),
    index('report_person_daily_day_idx').on(t.tenantId, t.day),
  ],
)

/**
 * How many customers each owner has per province, city and tier: the rollup the distribution map reads
 * (as of a past day, it takes off the customers created since). Kept by statement triggers on customers
 * (migration `report_customer_geo`) in the same transaction as every write; null owner = the pool, null
 * codes = no region. A key whose customers all left is deleted (migration `report_customer_geo_prune`).
 */
export const customerGeo = pgTable(
  'report_customer_geo',
  {
    tenantId: tenantId(),
    ownerId: text(),
    provinceCode: text(),
    cityCode: text(),
    tier: text(),
    customers: integer().notNull().default(0),
  },
  (t) => [
    unique('report_customer_geo_key')
      .on(t.tenantId, t.ownerId, t.provinceCode, t.cityCode, t.tier)
      .nullsNotDistinct(),
  ],
)

/**
 * The instalments of contracts in force (active or completed) per contract owner and due day, summed: the
 * rollup the 回款 report's plans read instead of joining every instalment to its contract. Kept by statement
 * triggers on instalments and contracts (an owner transfer or a status change moves a contract's
 * instalments; a deleted contract takes them off before its cascade) in the same transaction as every write
 * (migration `report_receivable_daily`). Planned received counts at most the instalment's amount; open is
 * what is still to come of the instalments not fully received. A key whose instalments all left is deleted.
 */
export const receivableDaily = pgTable(
  'report_receivable_daily',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    dueDate: date({ mode: 'string' }).notNull(),
    instalments: integer().notNull().default(0),
    plannedCents: bigint({ mode: 'number' }).notNull().default(0),
    plannedReceivedCents: bigint({ mode: 'number' }).notNull().default(0),
    openInstalments: integer().notNull().default(0),
    openCents: bigint({ mode: 'number' }).notNull().default(0),
    /** Open by the payments allocated to them (amount - allocated_cents): the ageing as of a past day. */
    allocOpenInstalments: integer().notNull().default(0),
    allocOpenCents: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.ownerId, t.dueDate] }),
    index('report_receivable_daily_due_idx').on(t.tenantId, t.dueDate),
    // The keys a statement emptied, found at once to be deleted.
    index('report_receivable_daily_empty_idx').on(t.tenantId).where(sql`instalments = 0`),
  ],
)

/** The funnel rollups' key after the period (stage, furthest stage, status) and their figures. */
const funnelFigures = () => ({
  stageId: text().notNull().default(''),
  top: integer().notNull().default(0),
  status: text().notNull().default(''),
  deals: integer().notNull().default(0),
  amountCents: bigint({ mode: 'number' }).notNull().default(0),
  /** Won deals with a close time, and their seconds from creation to close (numeric: exact under + and −). */
  wonDeals: integer().notNull().default(0),
  wonSeconds: numeric().notNull().default('0'),
  /** Finished stays in the stage, and their seconds. */
  stays: integer().notNull().default(0),
  staySeconds: numeric().notNull().default('0'),
})

/**
 * The funnel's rollup: the deals per owner, stage set and creation day (the tenant's local day) — per
 * furthest open stage reached and status (`stage_id` ''), with their amount and, for won deals, their
 * cycle (seconds from creation to close) — and their stage history's finished stays per stage (`stage_id`
 * the stage; `top` 0, `status` ''). Kept by statement triggers on deals and stage history in the same
 * transaction; a tenant's time-zone change rebuilds it (migration reports_ageing_funnel).
 */
export const funnelDaily = pgTable(
  'report_funnel_daily',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    stageSetId: text().notNull(),
    day: date({ mode: 'string' }).notNull(),
    ...funnelFigures(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.ownerId, t.stageSetId, t.day, t.stageId, t.top, t.status] }),
    // The keys a statement emptied, found at once to be deleted.
    index('report_funnel_daily_empty_idx').on(t.tenantId).where(sql`deals = 0 and stays = 0`),
  ],
)

/**
 * The funnel's rollup by month (`month` the first day of the creation day's month): the sums of
 * report_funnel_daily's rows of that month, kept by statement triggers on the daily rollup itself (so every
 * writer of it — the deal and history triggers, a zone change's rebuild — keeps this one in the same
 * transaction; migration funnel_monthly_has_deal). A period's whole months read here, its edge days there.
 */
export const funnelMonthly = pgTable(
  'report_funnel_monthly',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    stageSetId: text().notNull(),
    month: date({ mode: 'string' }).notNull(),
    ...funnelFigures(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.ownerId, t.stageSetId, t.month, t.stageId, t.top, t.status] }),
    // The keys a statement emptied, found at once to be deleted.
    index('report_funnel_monthly_empty_idx').on(t.tenantId).where(sql`deals = 0 and stays = 0`),
  ],
)
