import { z } from 'zod'
import { dateOnly, lineItemInput } from '../opportunities/schemas'
import { centsSchema } from '../products/schemas'

export { parseInput } from '../crm/schemas'

const id = z.string().trim().min(1).max(64)

export const createContractInput = z.object({
  name: z.string().trim().min(1, 'name is required').max(200),
  /** From a won opportunity: customer, amount and line items are copied unless given. */
  opportunityId: id.optional(),
  customerId: id.optional(),
  amountCents: centsSchema.optional(),
  items: z.array(lineItemInput).max(200).optional(),
  /** Discount off the list total, basis points (1500 = 15 %). */
  discountBp: z.number().int().min(0).max(10_000).optional(),
  signedDate: dateOnly.nullish(),
  startDate: dateOnly.nullish(),
  endDate: dateOnly.nullish(),
  ownerId: id.optional(),
})
export type CreateContractInput = z.input<typeof createContractInput>

export const updateContractInput = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  amountCents: centsSchema.optional(),
  items: z.array(lineItemInput).max(200).optional(),
  discountBp: z.number().int().min(0).max(10_000).optional(),
  signedDate: dateOnly.nullish(),
  startDate: dateOnly.nullish(),
  endDate: dateOnly.nullish(),
  version: z.number().int().optional(),
})
export type UpdateContractInput = z.input<typeof updateContractInput>

export const submitContractInput = z.object({
  notes: z.string().trim().max(2000).optional(),
})
export type SubmitContractInput = z.input<typeof submitContractInput>

export const endContractInput = z.object({
  outcome: z.enum(['completed', 'terminated']),
  reason: z.string().trim().max(500).optional(),
})
export type EndContractInput = z.input<typeof endContractInput>

export const listContractsInput = z.object({
  status: z.enum(['draft', 'in_approval', 'active', 'completed', 'terminated', 'all']).optional(),
  customerId: id.optional(),
  ownerId: id.optional(),
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).optional(),
})
export type ListContractsInput = z.input<typeof listContractsInput>
