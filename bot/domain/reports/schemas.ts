import { z } from 'zod'

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    'not a real date',
  )

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')

/** The longest period one report call may cover. */
export const MAX_REPORT_DAYS = 731

/**
 * The filters every report takes: a period in the tenant's calendar (both ends inclusive), an optional
 * department (with or without its sub-departments) and person, and the dimension to group by. Filters are
 * narrowed to the caller's data scope, never widened.
 */
export const reportQuery = z.object({
  from: day.describe('first day of the period (inclusive)'),
  to: day.describe('last day of the period (inclusive)'),
  departmentId: z.string().min(1).max(64).optional(),
  includeSub: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  userId: z.string().min(1).max(64).optional(),
  /** Lead channel, for the reports that follow leads (funnel, channel conversion). */
  channelId: z.string().min(1).max(64).optional(),
  dimension: z.string().min(1).max(32).optional(),
  /** Province code (GB/T 2260, 2 digits or 6) to drill the distribution map down to its cities. */
  provinceCode: z
    .string()
    .regex(/^\d{2}(\d{4})?$/, 'a province code')
    .optional(),
})
export type ReportQueryInput = z.input<typeof reportQuery>
export type ReportQuery = z.output<typeof reportQuery>

/** Which records stand behind one figure: the report's filters plus the row (dimension value) and measure. */
export const drillQuery = reportQuery.extend({
  value: z.string().max(128).optional(),
  measure: z.string().min(1).max(32).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})
export type DrillQuery = z.output<typeof drillQuery>

export const targetKinds = [
  'contract_amount',
  'payment_amount',
  'new_customers',
  'new_opportunities',
  'visits',
  'follow_ups',
] as const

/** Targets to set: each entry one subject, kind and month; `value` null removes the target. */
export const setTargetsInput = z.object({
  targets: z
    .array(
      z.object({
        subjectKind: z.enum(['user', 'department']),
        subjectId: z.string().min(1).max(64),
        kind: z.enum(targetKinds),
        month,
        value: z.number().int().min(0).max(1e13).nullable(),
      }),
    )
    .min(1)
    .max(2000),
})
export type SetTargetsInput = z.infer<typeof setTargetsInput>

export const listTargetsInput = z.object({
  year: z.coerce.number().int().min(2000).max(2100),
  subjectKind: z.enum(['user', 'department']).optional(),
  subjectId: z.string().min(1).max(64).optional(),
})
export type ListTargetsInput = z.infer<typeof listTargetsInput>

/**
 * A person's digest settings to save, all at once: for each digest (`morning`: the brief each workday;
 * `weekly`: the team digest on Mondays) whether it comes and at what time (`HH:MM`, tenant time zone; null =
 * the default time). Kinds left out keep their settings.
 */
export const digestPrefsInput = z.object({
  prefs: z
    .array(
      z.object({
        kind: z.enum(['morning', 'weekly']),
        enabled: z.boolean().optional(),
        sendAt: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM, e.g. 08:30')
          .nullable()
          .optional(),
      }),
    )
    .min(1)
    .max(2)
    .refine((xs) => new Set(xs.map((x) => x.kind)).size === xs.length, 'each digest once'),
})
export type DigestPrefsInput = z.input<typeof digestPrefsInput>
