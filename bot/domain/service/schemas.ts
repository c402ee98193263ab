import { z } from 'zod'

const text = (max: number) => z.string().trim().max(max)
const optionalText = (max: number) => text(max).nullish()
const id = z.string().trim().min(1).max(64)

export const ticketStatuses = [
  'new',
  'assigned',
  'in_progress',
  'waiting_customer',
  'resolved',
  'closed',
  'rejected',
  'duplicate',
] as const
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const
export const ticketChannels = ['chat', 'phone', 'miniapp', 'form', 'qr', 'api'] as const

/** The fields of a ticket as every intake path delivers them. */
export const ticketFields = {
  subject: text(200).min(1, 'subject is required'),
  description: optionalText(5000),
  type: text(40).min(1).nullish(),
  priority: z.enum(ticketPriorities).nullish(),
  customerId: id.nullish(),
  contactId: id.nullish(),
  contractId: id.nullish(),
  productId: id.nullish(),
  reporterName: optionalText(100),
  reporterPhone: optionalText(40),
  photos: z.array(text(300).min(1)).max(9, 'at most 9 photos').nullish(),
}

export const createTicketInput = z.object({
  ...ticketFields,
  channel: z.enum(ticketChannels).nullish(),
  /** A person, `"rules"` for the dispatch rules (the default), or null to leave it in the queue. */
  ownerId: z.union([id, z.literal('rules')]).nullish(),
})
export type CreateTicketInput = z.input<typeof createTicketInput>

export const externalTicketInput = z.object({
  ...ticketFields,
  externalId: text(128).min(1).nullish(),
  /** Find the customer by its exact name when no id is given (hotlines know names, not ids). */
  customerName: optionalText(200),
})
export type ExternalTicketInput = z.input<typeof externalTicketInput>

export const ticketListInput = z.object({
  status: z.union([z.enum(ticketStatuses), z.literal('open')]).optional(),
  priority: z.enum(ticketPriorities).optional(),
  type: text(40).optional(),
  ownerId: z.union([id, z.literal('me'), z.literal('none')]).optional(),
  customerId: id.optional(),
  breached: z.enum(['true', 'false']).optional(),
  q: text(100).optional(),
  cursor: text(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
})
export type TicketListInput = z.input<typeof ticketListInput>

export const statusChangeInput = z.object({
  status: z.enum(ticketStatuses),
  note: optionalText(2000),
  duplicateOfId: id.nullish(),
})
export const priorityInput = z.object({ priority: z.enum(ticketPriorities), note: optionalText(500) })
export const commentInput = z.object({
  body: text(5000).min(1, 'body is required'),
  internal: z.boolean().nullish(),
})
export const assignInput = z.object({ ownerId: id, note: optionalText(500) })
export const ratingInput = z.object({
  rating: z.number().int().min(1, 'rating is 1–5').max(5, 'rating is 1–5'),
  comment: optionalText(1000),
})

const hm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM')
const slaTarget = z.object({
  responseMinutes: z.number().int().min(1).max(100_000),
  resolutionMinutes: z.number().int().min(1).max(1_000_000),
})
export const serviceSettingsInput = z.object({
  types: z.array(text(40).min(1)).min(1).max(30).optional(),
  sla: z.object({ urgent: slaTarget, high: slaTarget, normal: slaTarget, low: slaTarget }).optional(),
  workingHours: z
    .object({ days: z.array(z.number().int().min(1).max(7)).min(1), start: hm, end: hm })
    .refine((h) => h.start < h.end, { message: 'end must be after start', path: ['end'] })
    .nullable()
    .optional(),
  lowRating: z.number().int().min(0).max(5).optional(),
  formRateLimit: z.number().int().min(1).max(1000).optional(),
})

export const dispatchRuleInput = z.object({
  name: text(100).min(1),
  position: z.number().int().min(0).max(10_000).optional(),
  active: z.boolean().optional(),
  match: z
    .object({
      types: z.array(text(40)).max(30).optional(),
      priorities: z.array(z.enum(ticketPriorities)).optional(),
      regions: z.array(text(40)).max(50).optional(),
      productCategories: z.array(text(100)).max(50).optional(),
    })
    .optional(),
  method: z.enum(['round_robin', 'weighted', 'least_open']).optional(),
  members: z
    .array(z.object({ userId: id, capacity: z.number().int().min(1).max(100_000) }))
    .min(1, 'at least one member')
    .max(200),
  workingHours: z
    .object({ days: z.array(z.number().int().min(1).max(7)).min(1), start: hm, end: hm })
    .nullable()
    .optional(),
})

export const intakeCodeInput = z.object({
  label: text(100).min(1, 'label is required'),
  customerId: id.nullish(),
  productId: id.nullish(),
  deviceLabel: optionalText(100),
})

/** 上门 from a ticket: when (default now) and what for (default the ticket's number and subject). */
export const onSiteInput = z.object({
  plannedAt: z.coerce.date().nullish(),
  purpose: optionalText(500),
})

export { parseInput } from '../crm/schemas'
