import { z } from 'zod'
import { dateOnly } from '../opportunities/schemas'
import { centsSchema } from '../products/schemas'

export { parseInput } from '../crm/schemas'

const id = z.string().trim().min(1).max(64)
const positiveCents = centsSchema.refine((n) => n > 0, 'must be more than 0')

export const PAYMENT_METHODS = ['bank_transfer', 'cash', 'cheque', 'alipay', 'wechat', 'other'] as const

export const instalmentPlanInput = z.object({
  /** 回款计划: instalments in order (期数 = position); their total must equal the contract amount. */
  instalments: z
    .array(z.object({ dueDate: dateOnly, amountCents: positiveCents }))
    .min(1, 'at least one instalment')
    .max(120),
})
export type InstalmentPlanInput = z.input<typeof instalmentPlanInput>

export const recordPaymentInput = z.object({
  contractId: id,
  amountCents: positiveCents,
  receivedOn: dateOnly,
  method: z.enum(PAYMENT_METHODS),
  note: z.string().trim().max(500).optional(),
  /** Which instalments it pays; default: the earliest open ones in order. */
  allocations: z
    .array(z.object({ instalmentId: id, amountCents: positiveCents }))
    .min(1)
    .max(120)
    .optional(),
  /** The posting system's id of the payment (ERP): a repeated post answers with the first record. */
  externalId: z.string().trim().min(1).max(128).optional(),
})
export type RecordPaymentInput = z.input<typeof recordPaymentInput>

export const invoiceInput = z.object({
  contractId: id,
  amountCents: positiveCents,
  title: z.string().trim().min(1, 'title is required').max(200),
  taxNumber: z.string().trim().max(40).nullish(),
  externalId: z.string().trim().min(1).max(128).optional(),
})
export type InvoiceInput = z.input<typeof invoiceInput>

export const invoiceStatusInput = z.object({
  status: z.enum(['issued', 'cancelled']),
  invoiceNumber: z.string().trim().min(1).max(64).optional(),
  issuedOn: dateOnly.optional(),
})
export type InvoiceStatusInput = z.input<typeof invoiceStatusInput>

export const tierOverrideInput = z.object({
  /** A manual 客户价值 tier over the computed one; `null` clears the override. */
  tier: z.enum(['A', 'B', 'C', 'D']).nullable(),
  /** Required when setting a tier: why it differs from what the figures say. */
  reason: z.string().trim().max(200).optional(),
})
export type TierOverrideInput = z.input<typeof tierOverrideInput>
