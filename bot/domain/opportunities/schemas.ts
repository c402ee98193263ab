import { z } from 'zod'
import { centsSchema } from '../products/schemas'

export { parseInput } from '../crm/schemas'

export const dateOnly = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'not a real date')

const id = z.string().trim().min(1).max(64)

export const lineItemInput = z.object({
  productId: id.nullish(),
  name: z.string().trim().min(1).max(200).optional(),
  quantity: z.number().int('quantity must be a whole number').min(1, 'quantity must be ≥ 1').max(1_000_000),
  /** Defaults to the product's list price. */
  unitPriceCents: centsSchema.optional(),
})
export type LineItemInput = z.input<typeof lineItemInput>

const attribution = {
  channel: z.string().trim().max(60).nullish(),
  campaign: z.string().trim().max(120).nullish(),
  leadId: id.nullish(),
}

export const createOpportunityInput = z.object({
  name: z.string().trim().min(1, 'name is required').max(200),
  customerId: id,
  stageSetId: id.optional(),
  stageId: id.optional(),
  /** Entered amount; ignored when line items are given (the amount is then their sum). */
  amountCents: centsSchema.optional(),
  items: z.array(lineItemInput).max(200).optional(),
  expectedCloseDate: dateOnly.nullish(),
  ownerId: id.optional(),
  teamIds: z.array(id).max(30).optional(),
  competitors: z.array(z.string().trim().min(1).max(60)).max(20).optional(),
  ...attribution,
})
export type CreateOpportunityInput = z.input<typeof createOpportunityInput>

export const updateOpportunityInput = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  amountCents: centsSchema.optional(),
  items: z.array(lineItemInput).max(200).optional(),
  expectedCloseDate: dateOnly.nullish(),
  ownerId: id.optional(),
  teamIds: z.array(id).max(30).optional(),
  competitors: z.array(z.string().trim().min(1).max(60)).max(20).optional(),
  ...attribution,
  version: z.number().int().optional(),
})
export type UpdateOpportunityInput = z.input<typeof updateOpportunityInput>

export const changeStageInput = z.object({
  stageId: id,
  /** Required when the stage closes the deal as lost; optional when won. From the tenant's reason list. */
  reasonId: id.optional(),
  note: z.string().trim().max(1000).optional(),
  version: z.number().int().optional(),
})
export type ChangeStageInput = z.input<typeof changeStageInput>

export const closeOpportunityInput = z.object({
  outcome: z.enum(['won', 'lost']),
  reasonId: id.optional(),
  note: z.string().trim().max(1000).optional(),
})
export type CloseOpportunityInput = z.input<typeof closeOpportunityInput>

export const listOpportunitiesInput = z.object({
  q: z.string().trim().max(100).optional(),
  status: z.enum(['open', 'won', 'lost', 'all']).optional(),
  stageId: id.optional(),
  ownerId: id.optional(),
  customerId: id.optional(),
  closeFrom: dateOnly.optional(),
  closeTo: dateOnly.optional(),
  sort: z.enum(['updated', 'close_date', 'amount']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).optional(),
})
export type ListOpportunitiesInput = z.input<typeof listOpportunitiesInput>

export const stageSetInput = z.object({
  name: z.string().trim().min(1).max(60),
  businessLine: z.string().trim().max(60).nullish(),
  stages: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(40),
        nameEn: z.string().trim().max(60).nullish(),
        probability: z.number().int().min(0).max(100),
        kind: z.enum(['open', 'won', 'lost']).optional(),
        forecastCategory: z.enum(['pipeline', 'best_case', 'commit']).optional(),
      }),
    )
    .min(2)
    .max(20),
})
export type StageSetInput = z.input<typeof stageSetInput>

export const closeReasonInput = z.object({
  kind: z.enum(['won', 'lost']),
  name: z.string().trim().min(1).max(60),
})
export type CloseReasonInput = z.input<typeof closeReasonInput>

export const forecastInput = z.object({
  groupBy: z.enum(['month', 'owner', 'department']).optional(),
  /** Expected close from/to (inclusive); default: this month and the next five. */
  from: dateOnly.optional(),
  to: dateOnly.optional(),
  /** Only owners in this department and below. */
  departmentId: id.optional(),
  ownerId: id.optional(),
})
export type ForecastInput = z.input<typeof forecastInput>

const label = z.string().trim().min(1).max(40)

/** 打单经验: what a closed deal teaches (at least one of the two texts). */
export const dealReviewInput = z
  .object({
    whatWorked: z.string().trim().max(2000).optional(),
    lessons: z.string().trim().max(2000).optional(),
    /** Competitors met; default: the opportunity's own list. */
    competitors: z.array(label).max(20).optional(),
    tags: z.array(z.string().trim().min(1).max(20)).max(10).optional(),
    version: z.number().int().optional(),
  })
  .refine((r) => Boolean(r.whatWorked || r.lessons), {
    message: 'write what worked or the lessons learned',
    path: ['whatWorked'],
  })
export type DealReviewInput = z.input<typeof dealReviewInput>

export const listDealReviewsInput = z.object({
  outcome: z.enum(['won', 'lost', 'all']).optional(),
  industry: z.string().trim().min(1).max(60).optional(),
  productId: id.optional(),
  competitor: label.optional(),
  tag: z.string().trim().min(1).max(20).optional(),
  /** Words in what worked or the lessons. */
  q: z.string().trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  offset: z.coerce.number().int().min(0).max(10_000).optional(),
})
export type ListDealReviewsInput = z.input<typeof listDealReviewsInput>
