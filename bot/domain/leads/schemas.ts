import { z } from 'zod'
import { centsSchema } from '../products/schemas'

const text = (max: number) => z.string().trim().max(max)
const optionalText = (max: number) => text(max).nullish()
const ymd = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  // A real calendar day: `2026-63-10` or `2026-02-30` would turn into an invalid instant further down.
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`)
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s)
  }, 'must be a real date')
const ym = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM')
const isoDate = z
  .preprocess((v) => (v instanceof Date ? v.toISOString() : v), z.iso.datetime({ offset: true }))
  .transform((s) => new Date(s))
const cents = z.number().int('must be whole cents').min(0, 'must be ≥ 0').max(1e15)

export const leadStatuses = ['new', 'contacted', 'qualified', 'converted', 'invalid'] as const
export const leadPriorities = ['low', 'normal', 'high'] as const
export const slaStates = ['none', 'pending', 'met', 'breached'] as const
export const intakePresets = ['generic', 'oceanengine', 'tencent_ads'] as const
export const followUpKinds = ['call', 'visit', 'message', 'email', 'meeting'] as const

export const utmInput = z.object({
  source: optionalText(100),
  medium: optionalText(100),
  campaign: optionalText(200),
  content: optionalText(200),
  term: optionalText(200),
})

/** The fields of a lead as any intake path delivers them (after preset mapping). */
export const leadFields = {
  name: text(100).min(1, '请填写姓名 / name is required'),
  company: optionalText(200),
  phone: optionalText(40),
  email: optionalText(200),
  region: optionalText(100),
  productInterest: optionalText(200),
  message: optionalText(2000),
  priority: z.enum(leadPriorities).optional(),
}

export const createLeadInput = z.object({
  ...leadFields,
  channelId: z.string().min(1, 'channelId is required').max(64),
  campaignId: z.string().max(64).nullish(),
  utm: utmInput.optional(),
  /** Leave empty to run the assignment rules; `null` puts it in the pool; a user id assigns (managers). */
  ownerId: z.string().max(64).nullish(),
  consent: z.boolean().optional(),
})
export type CreateLeadInput = z.input<typeof createLeadInput>

export const channelInput = z.object({
  name: text(40).min(1, 'name is required'),
  sort: z.number().int().min(0).max(10_000).optional(),
  active: z.boolean().optional(),
  preset: z.enum(intakePresets).optional(),
  fieldMapping: z.record(z.string().max(40), z.string().max(200)).optional(),
  slaMinutes: z
    .number()
    .int()
    .min(1, 'slaMinutes must be ≥ 1')
    .max(60 * 24 * 30)
    .nullish(),
  webForm: z.boolean().optional(),
})
export type ChannelInput = z.input<typeof channelInput>
export const updateChannelInput = channelInput.partial()

export const campaignInput = z.object({
  channelId: z.string().min(1, 'channelId is required').max(64),
  name: text(100).min(1, 'name is required'),
  startsOn: ymd.nullish(),
  endsOn: ymd.nullish(),
  budgetCents: cents.optional(),
  utmSource: optionalText(100),
  utmMedium: optionalText(100),
  utmCampaign: optionalText(200),
  utmContent: optionalText(200),
  utmTerm: optionalText(200),
  externalId: optionalText(100),
  active: z.boolean().optional(),
})
export type CampaignInput = z.input<typeof campaignInput>
export const updateCampaignInput = campaignInput.omit({ channelId: true }).partial()

export const campaignCostInput = z.object({ month: ym, amountCents: cents })

export const assignmentRuleInput = z.object({
  name: text(60).min(1, 'name is required'),
  position: z.number().int().min(0).max(10_000).optional(),
  active: z.boolean().optional(),
  match: z
    .object({
      channelIds: z.array(z.string().max(64)).max(100).optional(),
      regions: z.array(text(60).min(1)).max(100).optional(),
      products: z.array(text(100).min(1)).max(100).optional(),
    })
    .optional(),
  method: z.enum(['round_robin', 'weighted']).optional(),
  members: z
    .array(
      z.object({
        userId: z.string().min(1).max(64),
        capacity: z.number().int().min(1, 'capacity must be ≥ 1').max(100_000),
      }),
    )
    .min(1, 'members needs at least one person')
    .max(500),
  workingHours: z
    .object({
      days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
      start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:mm'),
      end: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:mm'),
    })
    .nullish(),
})
export type AssignmentRuleInput = z.input<typeof assignmentRuleInput>

export const leadSettingsInput = z.object({
  invalidReasons: z.array(text(40).min(1)).min(1).max(50).optional(),
  slaMinutes: z
    .object({
      low: z.number().int().min(1).max(43_200),
      normal: z.number().int().min(1).max(43_200),
      high: z.number().int().min(1).max(43_200),
    })
    .optional(),
  recycleAfterDays: z.number().int().min(0).max(365).optional(),
  formRateLimit: z.number().int().min(1).max(1000).optional(),
})

export const leadFollowUpInput = z.object({
  kind: z.enum(followUpKinds).default('call'),
  content: text(2000).min(1, 'content is required'),
  nextFollowUpAt: isoDate.nullish(),
})

export const transferInput = z.object({ toUserId: z.string().min(1, 'toUserId is required').max(64) })
export const invalidInput = z.object({ reason: text(40).min(1, 'reason is required') })
export const statusInput = z.object({ status: z.enum(['contacted', 'qualified']) })
export const mergeInput = z.object({ fromLeadId: z.string().min(1, 'fromLeadId is required').max(64) })

export const convertInput = z.object({
  /** Link an existing customer instead of creating one. */
  customerId: z.string().max(64).nullish(),
  customerName: optionalText(200),
  contactTitle: optionalText(60),
  /**
   * Also open an opportunity (商机) for the customer, linked to the lead (its `leadId`) and carrying its
   * channel and campaign, in the same transaction. Name defaults to the customer and product interest.
   */
  opportunity: z
    .object({
      name: optionalText(200),
      amountCents: centsSchema.optional(),
      expectedCloseDate: ymd.nullish(),
    })
    .nullish(),
})

const listDate = ymd
export const leadListInput = z.object({
  status: z.enum(leadStatuses).optional(),
  channelId: z.string().max(64).optional(),
  campaignId: z.string().max(64).optional(),
  ownerId: z.string().max(64).optional(),
  /** `pool`: unowned leads only; `mine`: the caller's; `owned`: everything visible except the pool. */
  scope: z.enum(['all', 'mine', 'pool', 'owned']).optional(),
  /** Leads that have passed this stage (what the channel analysis counts). */
  reached: z.enum(['contacted', 'qualified', 'converted']).optional(),
  sla: z.enum(slaStates).optional(),
  from: listDate.optional(),
  to: listDate.optional(),
  q: text(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
})
export type LeadListInput = z.input<typeof leadListInput>

export const analysisInput = z.object({
  from: listDate,
  to: listDate,
  channelId: z.string().max(64).optional(),
  campaignId: z.string().max(64).optional(),
  /** Group rows by channel (default) or by campaign. */
  by: z.enum(['channel', 'campaign']).default('channel'),
})
export type AnalysisInput = z.input<typeof analysisInput>

export { parseInput } from '../crm/schemas'

/** A saved lead list view: a name and the list filters (checked like the list query itself). */
export const savedViewInput = z.object({
  name: text(40).min(1, 'name is required'),
  filters: leadListInput.omit({ limit: true, offset: true }).strict(),
})
