import { z } from '@hono/zod-openapi'
import { intakePresets, leadPriorities, leadStatuses, slaStates } from '../../domain/leads'

/** Response schemas of the lead, channel and campaign API (`bot/domain/leads/*` DTOs). */

const utm = z
  .object({
    source: z.string().optional(),
    medium: z.string().optional(),
    campaign: z.string().optional(),
    content: z.string().optional(),
    term: z.string().optional(),
  })
  .openapi('LeadUtm')

export const LeadSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    company: z.string().nullable(),
    phone: z.string().nullable(),
    phoneRaw: z.string().nullable(),
    phoneValid: z.boolean(),
    email: z.string().nullable(),
    emailRaw: z.string().nullable(),
    emailValid: z.boolean(),
    region: z.string().nullable(),
    productInterest: z.string().nullable(),
    message: z.string().nullable(),
    priority: z.enum(leadPriorities),
    status: z.enum(leadStatuses),
    invalidReason: z.string().nullable(),
    ownerId: z.string().nullable(),
    ownerName: z.string().nullable(),
    inPool: z.boolean(),
    assignedAt: z.string().nullable(),
    acceptedAt: z.string().nullable(),
    firstContactedAt: z.string().nullable(),
    slaState: z.enum(slaStates),
    slaDueAt: z.string().nullable(),
    channelId: z.string(),
    channelName: z.string(),
    campaignId: z.string().nullable(),
    campaignName: z.string().nullable(),
    utm,
    consent: z.boolean(),
    matchedCustomerId: z.string().nullable(),
    customerId: z.string().nullable(),
    contactId: z.string().nullable(),
    convertedAt: z.string().nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Lead')

export const LeadPage = z.object({ items: z.array(LeadSchema), total: z.number().int() }).openapi('LeadPage')

export const DuplicateHintSchema = z
  .object({
    kind: z.enum(['lead', 'customer']),
    matchedOn: z.array(z.enum(['phone', 'email', 'company'])),
    owner: z.object({ name: z.string(), department: z.string().nullable() }).nullable(),
    inPool: z.boolean(),
    id: z.string().nullable(),
  })
  .openapi('LeadDuplicateHint')

export const CreateLeadResultSchema = z
  .object({
    outcome: z.enum(['created', 'touch', 'replay']),
    lead: LeadSchema.nullable(),
    duplicate: DuplicateHintSchema.nullable(),
  })
  .openapi('CreateLeadResult')

export const LeadDetailSchema = z
  .object({
    lead: LeadSchema,
    timeline: z.array(
      z.object({
        at: z.string(),
        kind: z.enum(['touch', 'follow_up', 'change']),
        title: z.string(),
        detail: z.string().nullable(),
        actorName: z.string().nullable(),
      }),
    ),
    can: z.object({ accept: z.boolean(), work: z.boolean(), claim: z.boolean(), convert: z.boolean() }),
    invalidReasons: z.array(z.string()),
  })
  .openapi('LeadDetail')

export const LeadFollowUpSchema = z
  .object({
    id: z.string(),
    leadId: z.string(),
    authorId: z.string().nullable(),
    kind: z.string(),
    content: z.string(),
    nextFollowUpAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('LeadFollowUp')

export const ConvertResultSchema = z
  .object({
    lead: LeadSchema,
    customerId: z.string(),
    contactId: z.string(),
    createdCustomer: z.boolean(),
    opportunityId: z.string().nullable(),
  })
  .openapi('LeadConvertResult')

export const ChannelSchema = z
  .object({
    id: z.string(),
    code: z.string().nullable(),
    name: z.string(),
    sort: z.number().int(),
    active: z.boolean(),
    intakeKey: z.string(),
    intakePath: z.string(),
    preset: z.enum(intakePresets),
    fieldMapping: z.record(z.string(), z.string()),
    formKey: z.string().nullable(),
    formPath: z.string().nullable(),
    slaMinutes: z.number().int().nullable(),
    secretHint: z.string().nullable(),
  })
  .openapi('LeadChannel')

export const ChannelSecretSchema = z
  .object({ channel: ChannelSchema, secret: z.string().openapi({ description: 'shown once' }) })
  .openapi('LeadChannelSecret')

export const CampaignSchema = z
  .object({
    id: z.string(),
    channelId: z.string(),
    name: z.string(),
    startsOn: z.string().nullable(),
    endsOn: z.string().nullable(),
    budgetCents: z.number().int(),
    utmSource: z.string().nullable(),
    utmMedium: z.string().nullable(),
    utmCampaign: z.string().nullable(),
    utmContent: z.string().nullable(),
    utmTerm: z.string().nullable(),
    externalId: z.string().nullable(),
    active: z.boolean(),
    costs: z.array(z.object({ month: z.string(), amountCents: z.number().int() })),
    totalCostCents: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('LeadCampaign')

export const RuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    position: z.number().int(),
    active: z.boolean(),
    match: z.object({
      channelIds: z.array(z.string()).optional(),
      regions: z.array(z.string()).optional(),
      products: z.array(z.string()).optional(),
    }),
    method: z.enum(['round_robin', 'weighted']),
    members: z.array(z.object({ userId: z.string(), capacity: z.number().int() })),
    workingHours: z
      .object({ days: z.array(z.number().int()), start: z.string(), end: z.string() })
      .nullable(),
  })
  .openapi('LeadAssignmentRule')

export const LeadSettingsSchema = z
  .object({
    invalidReasons: z.array(z.string()),
    slaMinutes: z.object({ low: z.number().int(), normal: z.number().int(), high: z.number().int() }),
    recycleAfterDays: z.number().int(),
    formRateLimit: z.number().int(),
  })
  .openapi('LeadSettings')

const row = z.object({
  channelId: z.string(),
  channelName: z.string(),
  campaignId: z.string().nullable(),
  campaignName: z.string().nullable(),
  leads: z.number().int(),
  contacted: z.number().int(),
  qualified: z.number().int(),
  converted: z.number().int(),
  invalid: z.number().int(),
  slaBreached: z.number().int(),
  spam: z.number().int(),
  contactRate: z.number().nullable(),
  qualifyRate: z.number().nullable(),
  conversionRate: z.number().nullable(),
  slaBreachRate: z.number().nullable(),
  costCents: z.number().int().nullable(),
  costPerLeadCents: z.number().int().nullable(),
  costPerConvertedCents: z.number().int().nullable(),
  wonDeals: z.number().int(),
  wonAmountCents: z.number().int(),
  roi: z.number().nullable(),
  medianMinutesToFirstContact: z.number().nullable(),
  medianDaysToConversion: z.number().nullable(),
  drill: z.record(z.string(), z.string()),
})

export const ChannelAnalysisSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    by: z.enum(['channel', 'campaign']),
    rows: z.array(row),
    total: row,
    trend: z.array(
      z.object({
        week: z.string(),
        leads: z.number().int(),
        contacted: z.number().int(),
        qualified: z.number().int(),
        converted: z.number().int(),
      }),
    ),
    allLeads: z.boolean(),
  })
  .openapi('ChannelAnalysis')

export const IntakeResultSchema = z
  .object({ outcome: z.enum(['created', 'touch', 'replay', 'spam']), leadId: z.string().nullable() })
  .openapi('LeadIntakeResult')

export const IntakeBatchResultSchema = z
  .object({ items: z.array(IntakeResultSchema) })
  .openapi('LeadIntakeBatchResult')

export const SavedViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    filters: z.record(z.string(), z.string()),
    createdAt: z.string(),
  })
  .openapi('LeadSavedView')
