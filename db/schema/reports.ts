import { bigint, index, pgEnum, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
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
