import { z } from 'zod'
import { InvalidInputError } from '../errors'

const text = (max: number) => z.string().trim().max(max)
const optionalText = (max: number) => text(max).nullish()
const code6 = z.string().regex(/^\d{6}$/, 'must be a 6-digit administrative-division code')
/** ISO time with offset → Date; idempotent (a Date passes), so routes and verbs may both parse. */
const isoDate = z
  .preprocess((v) => (v instanceof Date ? v.toISOString() : v), z.iso.datetime({ offset: true }))
  .transform((s) => new Date(s))

/** 统一社会信用代码: 18 characters, digits and upper-case letters except I, O, S, V, Z. */
export const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/

export const customerFields = {
  name: text(200).min(1, 'name is required'),
  shortName: optionalText(60),
  creditCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(CREDIT_CODE, 'must be an 18-character unified social credit code')
    .nullish(),
  phone: optionalText(40),
  industry: optionalText(60),
  scale: optionalText(40),
  tier: optionalText(20),
  tags: z.array(text(30).min(1)).max(20).optional(),
  provinceCode: code6.nullish(),
  cityCode: code6.nullish(),
  districtCode: code6.nullish(),
  address: optionalText(300),
  lat: z.number().min(-90, 'lat must be ≥ -90').max(90, 'lat must be ≤ 90').nullish(),
  lng: z.number().min(-180, 'lng must be ≥ -180').max(180, 'lng must be ≤ 180').nullish(),
  source: optionalText(60),
  customFields: z.record(z.string(), z.unknown()).optional(),
}

export const createCustomerInput = z.object({
  ...customerFields,
  /** Managers may create for someone else; `null` puts it straight into the pool. Default: the creator. */
  ownerId: z.string().min(1).nullish(),
  collaboratorIds: z.array(z.string().min(1)).max(20).optional(),
})
export type CreateCustomerInput = z.input<typeof createCustomerInput>

export const updateCustomerInput = z
  .object({
    ...customerFields,
    name: customerFields.name.optional(),
    collaboratorIds: z.array(z.string().min(1)).max(20).optional(),
    /** Optimistic lock: the version the editor saw. */
    version: z.number().int().positive().optional(),
  })
  .strict()
export type UpdateCustomerInput = z.input<typeof updateCustomerInput>

export const decisionRoles = [
  'decision_maker',
  'influencer',
  'evaluator',
  'user',
  'gatekeeper',
  'other',
] as const
export const contactInput = z.object({
  name: text(60).min(1, 'name is required'),
  title: optionalText(60),
  phone: optionalText(40),
  email: z.email().nullish(),
  wechat: optionalText(60),
  decisionRole: z.enum(decisionRoles).default('other'),
  isPrimary: z.boolean().default(false),
  notes: optionalText(1000),
})
export type ContactInput = z.input<typeof contactInput>

export const followUpKinds = ['call', 'visit', 'message', 'email', 'meeting'] as const
export const followUpInput = z.object({
  kind: z.enum(followUpKinds),
  content: text(5000).min(1, 'content is required'),
  contactId: z.string().min(1).nullish(),
  nextFollowUpAt: isoDate.nullish(),
})
export type FollowUpInput = z.input<typeof followUpInput>

export const planVisitInput = z.object({
  customerId: z.string().min(1),
  plannedAt: isoDate,
  purpose: optionalText(500),
})
export type PlanVisitInput = z.input<typeof planVisitInput>

export const checkInInput = z.object({
  customerId: z.string().min(1),
  /** Check in to a planned visit; without it a visit is created on the spot. */
  visitId: z.string().min(1).nullish(),
  /** The device's idempotency key: an offline check-in retried later is accepted once. */
  clientKey: z.string().trim().min(8).max(100),
  /** The device's time of check-in (offline check-ins arrive later with their original time). */
  checkedInAt: isoDate,
  lat: z.number().min(-90, 'lat must be ≥ -90').max(90, 'lat must be ≤ 90'),
  lng: z.number().min(-180, 'lng must be ≥ -180').max(180, 'lng must be ≤ 180'),
  address: optionalText(300),
})
export type CheckInInput = z.input<typeof checkInInput>

export const checkOutInput = z.object({
  checkedOutAt: isoDate.nullish(),
  lat: z.number().min(-90).max(90).nullish(),
  lng: z.number().min(-180).max(180).nullish(),
  summary: optionalText(5000),
})
export type CheckOutInput = z.input<typeof checkOutInput>

export const relationKinds = ['supplier', 'distributor', 'parent', 'partner'] as const
export const relationInput = z.object({
  toCustomerId: z.string().min(1),
  kind: z.enum(relationKinds),
  note: optionalText(300),
})
export type RelationInput = z.input<typeof relationInput>

export const rulesInput = z.object({
  reclaimAfterDays: z.number().int().min(0).max(3650),
  warnDaysBefore: z.number().int().min(0).max(60),
  extendDays: z.number().int().min(0).max(365),
  reclaimCooldownDays: z.number().int().min(0).max(365),
  claimLimit: z.number().int().min(1).max(100_000),
  checkInFlagMeters: z.number().int().min(10).max(1_000_000),
  /** 回款审批: payments registered by people wait for the 回款审批 approval (absent: unchanged). */
  paymentApproval: z.boolean().optional(),
})
export type RulesInput = z.input<typeof rulesInput>

export const customFieldTypes = ['text', 'number', 'date', 'boolean', 'select', 'multiselect'] as const
export const customFieldDefInput = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and _ (max 40)'),
  label: text(60).min(1),
  type: z.enum(customFieldTypes),
  options: z.array(text(60).min(1)).max(100).default([]),
  required: z.boolean().default(false),
})
export type CustomFieldDefInput = z.input<typeof customFieldDefInput>

export const assignInput = z.object({ ownerId: z.string().min(1) })

export const searchInput = z.object({
  q: z.string().max(100).default(''),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /**
   * mine: owned by me; department: owned by people of my departments (and below); pool: unowned; all:
   * everything visible. The data scope applies on top of every filter.
   */
  filter: z.enum(['all', 'mine', 'department', 'pool']).default('all'),
  /** Customers owned by people of this department (and, unless `subDepartments=false`, those below it). */
  departmentId: z.string().min(1).max(64).optional(),
  subDepartments: z.enum(['true', 'false']).default('true'),
  /** Comma-separated tags (`重点,国企`); `tagMode` any (default) or all of them. */
  tags: z
    .string()
    .max(600)
    .optional()
    .refine((v) => v === undefined || splitTags(v).length <= 10, { message: 'at most 10 tags' })
    .refine((v) => v === undefined || splitTags(v).every((t) => t.length <= 50), {
      message: 'a tag has at most 50 characters',
    }),
  tagMode: z.enum(['any', 'all']).default('any'),
})
export type SearchInput = z.input<typeof searchInput>

/** `a, b,,c` → `['a','b','c']`: trimmed, empty parts dropped, duplicates removed. */
export const splitTags = (raw: string): string[] => [
  ...new Set(
    raw
      .split(/[,，]/)
      .map((t) => t.trim())
      .filter(Boolean),
  ),
]

export const nearbyInput = z.object({
  lat: z.coerce.number().min(-90).max(90),
  lng: z.coerce.number().min(-180).max(180),
  limit: z.coerce.number().int().min(1).max(20).default(5),
})

/**
 * Parses a verb's input; a failure becomes an `InvalidInputError` naming the first bad field, so chat
 * commands and card actions (not only HTTP) answer with a specific message instead of failing.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue?.path.map(String).join('.') ?? ''
  throw new InvalidInputError(field || 'input', `${field || 'input'}: ${issue?.message ?? 'invalid'}`)
}
