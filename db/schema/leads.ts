import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { at, createdAt, id, tenantId, updatedAt } from './_columns'
import { customers, followUpKindEnum } from './crm'

/**
 * Leads (线索) and where they come from: channels (per tenant, editable, with the intake secret and the
 * web-form key), campaigns with budget and monthly actual cost, leads with their first touch and later
 * touches, follow-ups on leads, assignment rules, tenant lead settings, and the monthly and weekly rollups that keep
 * the channel analysis fresh. Money is integer cents.
 */

export const leadStatusEnum = pgEnum('crm_lead_status', [
  'new',
  'contacted',
  'qualified',
  'converted',
  'invalid',
])
export type LeadStatus = (typeof leadStatusEnum.enumValues)[number]

export const leadPriorityEnum = pgEnum('crm_lead_priority', ['low', 'normal', 'high'])
export type LeadPriority = (typeof leadPriorityEnum.enumValues)[number]

/** none: no SLA running (pool, closed); pending: first contact due; met; breached. */
export const leadSlaStateEnum = pgEnum('crm_lead_sla_state', ['none', 'pending', 'met', 'breached'])
export type LeadSlaState = (typeof leadSlaStateEnum.enumValues)[number]

/** Field-mapping preset of a channel's intake webhook. */
export const intakePresetEnum = pgEnum('crm_lead_intake_preset', ['generic', 'oceanengine', 'tencent_ads'])
export type IntakePreset = (typeof intakePresetEnum.enumValues)[number]

export const leadChannels = pgTable(
  'crm_lead_channels',
  {
    id: id(),
    tenantId: tenantId(),
    /** Stable per-tenant code of a seeded default (`search_ads`); null for channels admins add. */
    code: text(),
    name: text().notNull(),
    sort: integer().notNull().default(0),
    active: boolean().notNull().default(true),
    /** Public, globally unique key in the intake URL `/api/v1/intake/{intakeKey}`. */
    intakeKey: text().notNull(),
    /** HMAC secret of the intake webhook; null until an admin generates one (intake refused until then). */
    secret: text(),
    previousSecret: text(),
    previousSecretUntil: at(),
    preset: intakePresetEnum().notNull().default('generic'),
    /** Generic mapping: lead field → dotted path in the pushed JSON. */
    fieldMapping: jsonb().$type<Record<string, string>>().notNull().default({}),
    /** Public, globally unique key of the embeddable web form `/f/{formKey}`; null = no form. */
    formKey: text(),
    /** First-contact SLA in minutes for normal-priority leads; null = the tenant default. */
    slaMinutes: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('crm_lead_channels_code_uq').on(t.tenantId, t.code),
    uniqueIndex('crm_lead_channels_name_uq').on(t.tenantId, t.name),
    uniqueIndex('crm_lead_channels_intake_uq').on(t.intakeKey),
    uniqueIndex('crm_lead_channels_form_uq').on(t.formKey),
  ],
)

export interface UtmValues {
  source?: string
  medium?: string
  campaign?: string
  content?: string
  term?: string
}

export const leadCampaigns = pgTable(
  'crm_lead_campaigns',
  {
    id: id(),
    tenantId: tenantId(),
    channelId: text()
      .notNull()
      .references(() => leadChannels.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    startsOn: date({ mode: 'string' }),
    endsOn: date({ mode: 'string' }),
    budgetCents: bigint({ mode: 'number' }).notNull().default(0),
    /** The campaign's UTM values; `utmCampaign` links web-form and webhook leads to it. */
    utmSource: text(),
    utmMedium: text(),
    utmCampaign: text(),
    utmContent: text(),
    utmTerm: text(),
    /** The ad platform's campaign id (巨量 promotion/ad id, 腾讯 campaign id) for webhook matching. */
    externalId: text(),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('crm_lead_campaigns_name_uq').on(t.tenantId, t.channelId, t.name),
    index('crm_lead_campaigns_utm_idx').on(t.tenantId, t.utmCampaign),
    index('crm_lead_campaigns_ext_idx').on(t.tenantId, t.externalId),
  ],
)

/** Actual cost of a campaign in one calendar month. */
export const leadCampaignCosts = pgTable(
  'crm_lead_campaign_costs',
  {
    tenantId: tenantId(),
    campaignId: text()
      .notNull()
      .references(() => leadCampaigns.id, { onDelete: 'cascade' }),
    /** First day of the month. */
    month: date({ mode: 'string' }).notNull(),
    amountCents: bigint({ mode: 'number' }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.month] }),
    index('crm_lead_campaign_costs_idx').on(t.tenantId, t.month),
  ],
)

export const leads = pgTable(
  'crm_leads',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    company: text(),
    /** Duplicate key of the company name (same rule as customers). */
    companyNorm: text(),
    phoneRaw: text(),
    /** Digits (and a leading +) of the phone; null when none. */
    phone: text(),
    /** Whether the phone looks like a mainland mobile/landline or an international number. */
    phoneValid: boolean().notNull().default(false),
    emailRaw: text(),
    email: text(),
    emailValid: boolean().notNull().default(false),
    region: text(),
    productInterest: text(),
    message: text(),
    priority: leadPriorityEnum().notNull().default('normal'),
    status: leadStatusEnum().notNull().default('new'),
    invalidReason: text(),
    /** Null = in the lead pool (线索池). */
    ownerId: text(),
    assignedAt: at(),
    /** How the current owner got it: rule, claim, manual, transfer, intake (creator). */
    assignedBy: text(),
    assignmentRuleId: text(),
    acceptedAt: at(),
    firstContactedAt: at(),
    lastActivityAt: at(),
    slaState: leadSlaStateEnum().notNull().default('none'),
    slaDueAt: at(),
    /** Bumped on every (re)assignment: timers of an older assignment do nothing. */
    assignmentSeq: integer().notNull().default(0),
    channelId: text()
      .notNull()
      .references(() => leadChannels.id),
    campaignId: text().references(() => leadCampaigns.id, { onDelete: 'set null' }),
    utm: jsonb().$type<UtmValues>().notNull().default({}),
    consent: boolean().notNull().default(false),
    /** An existing customer with the same phone/email/company (a hint; never its data). */
    matchedCustomerId: text(),
    customerId: text().references(() => customers.id, { onDelete: 'set null' }),
    contactId: text(),
    convertedAt: at(),
    /** Merged into another lead: hidden from lists and figures, its touches moved. */
    mergedIntoId: text(),
    /**
     * Whether a deal points to this lead (sales_opportunities.lead_id), kept by statement triggers on the deals
     * (migration funnel_monthly_has_deal): the funnel counts a period's converted leads with a deal from an
     * index instead of probing the deals per lead.
     */
    hasDeal: boolean().notNull().default(false),
    version: integer().notNull().default(1),
    createdById: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('crm_leads_phone_idx').on(t.tenantId, t.phone),
    index('crm_leads_email_idx').on(t.tenantId, t.email),
    index('crm_leads_company_idx').on(t.tenantId, t.companyNorm),
    index('crm_leads_owner_idx').on(t.tenantId, t.ownerId, t.status),
    index('crm_leads_assigned_idx').on(t.tenantId, t.ownerId, t.assignedAt),
    // A person's (or a department's people's) leads created in a period: the funnel and channel reports.
    // Their trailing columns are the ones the channel analysis counts and the funnel's lead steps read (status,
    // merged, channel and the id its deals point to): a period's leads read index-only.
    index('crm_leads_owner_created_idx').on(
      t.tenantId,
      t.ownerId,
      t.createdAt,
      t.channelId,
      t.campaignId,
      t.status,
      t.slaState,
      t.firstContactedAt,
      t.convertedAt,
      t.mergedIntoId,
      t.id,
    ),
    index('crm_leads_created_idx').on(
      t.tenantId,
      t.createdAt,
      t.channelId,
      t.campaignId,
      t.status,
      t.slaState,
      t.firstContactedAt,
      t.convertedAt,
      t.mergedIntoId,
    ),
    index('crm_leads_channel_idx').on(t.tenantId, t.channelId, t.createdAt),
    // The funnel's converted leads with a deal: a person's (a department's people's) in a period, index-only.
    index('crm_leads_owner_deal_idx')
      .on(t.tenantId, t.ownerId, t.createdAt, t.mergedIntoId, t.channelId)
      .where(sql`status = 'converted' and has_deal`),
    index('crm_leads_sla_idx').on(t.tenantId, t.slaDueAt).where(sql`sla_state = 'pending'`),
  ],
)

/**
 * Every arrival of a lead: the first touch and later ones (the same person from another campaign, an import,
 * a merge). `(channel, source lead id)` is unique: a redelivered webhook finds its touch and its lead.
 */
export const leadTouches = pgTable(
  'crm_lead_touches',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    leadId: text()
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    channelId: text().notNull(),
    campaignId: text(),
    kind: text({ enum: ['first', 'repeat', 'merged'] }).notNull(),
    via: text({ enum: ['manual', 'chat', 'webhook', 'form', 'import'] }).notNull(),
    sourceLeadId: text(),
    utm: jsonb().$type<UtmValues>().notNull().default({}),
    /** The pushed record as received (webhook, form), for audit and re-mapping. */
    payload: jsonb().$type<Record<string, unknown>>(),
    at: createdAt(),
  },
  (t) => [
    index('crm_lead_touches_lead_idx').on(t.tenantId, t.leadId, t.at),
    uniqueIndex('crm_lead_touches_source_uq')
      .on(t.tenantId, t.channelId, t.sourceLeadId)
      .where(sql`source_lead_id is not null`),
  ],
)

export const leadFollowUps = pgTable(
  'crm_lead_follow_ups',
  {
    id: id(),
    tenantId: tenantId(),
    leadId: text()
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    authorId: text(),
    kind: followUpKindEnum().notNull(),
    content: text().notNull(),
    nextFollowUpAt: at(),
    createdAt: createdAt(),
  },
  (t) => [index('crm_lead_follow_ups_lead_idx').on(t.tenantId, t.leadId, t.createdAt)],
)

export interface AssignmentMember {
  userId: string
  /** Leads per 30 days; the daily quota is round(capacity / 30), at least 1. */
  capacity: number
}

export interface AssignmentMatch {
  channelIds?: string[]
  regions?: string[]
  products?: string[]
}

export interface WorkingHours {
  /** ISO weekdays 1 (Mon) … 7 (Sun), in China time. */
  days: number[]
  start: string
  end: string
}

export const leadAssignmentRules = pgTable(
  'crm_lead_assignment_rules',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    position: integer().notNull().default(0),
    active: boolean().notNull().default(true),
    match: jsonb().$type<AssignmentMatch>().notNull().default({}),
    method: text({ enum: ['round_robin', 'weighted'] })
      .notNull()
      .default('round_robin'),
    members: jsonb().$type<AssignmentMember[]>().notNull().default([]),
    workingHours: jsonb().$type<WorkingHours | null>(),
    /** Round-robin position: index of the member who got the last lead. */
    cursor: integer().notNull().default(-1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('crm_lead_rules_tenant_idx').on(t.tenantId, t.position)],
)

/**
 * Leads the assignment rules gave each member per day (China days, like the quota): the daily quota reads
 * this counter instead of counting the day's assigned leads on every intake batch (a count that grew through
 * the day: 35 ms at 18,000 leads a day). Moved in the intake's write statement.
 */
export const leadRuleUsage = pgTable(
  'crm_lead_rule_usage',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    day: date({ mode: 'string' }).notNull(),
    n: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day, t.userId] })],
)

/** Per-tenant lead settings (defaults when absent). */
export const leadSettings = pgTable('crm_lead_settings', {
  tenantId: text().primaryKey(),
  invalidReasons: jsonb().$type<string[]>().notNull(),
  /** First-contact SLA (minutes) by priority, when the channel sets none for normal priority. */
  slaMinutes: jsonb().$type<Record<'low' | 'normal' | 'high', number>>().notNull(),
  /** An owned lead untouched this many days goes back to the pool; 0 disables. */
  recycleAfterDays: integer().notNull().default(7),
  /** Web-form submissions per IP and form in 10 minutes. */
  formRateLimit: integer().notNull().default(5),
  updatedAt: updatedAt(),
})

/** Which customer a lead became (attribution carried to the customer). */
export const customerAttributions = pgTable(
  'crm_customer_attributions',
  {
    tenantId: tenantId(),
    customerId: text()
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    leadId: text()
      .notNull()
      .references(() => leads.id, { onDelete: 'cascade' }),
    channelId: text().notNull(),
    campaignId: text(),
    at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.leadId] }),
    index('crm_customer_attr_channel_idx').on(t.tenantId, t.channelId),
  ],
)

/** Web-form submissions per IP in one-minute buckets, summed over a sliding 10 minutes (the rate limit works across processes). */
export const leadFormHits = pgTable(
  'crm_lead_form_hits',
  {
    formKey: text().notNull(),
    ip: text().notNull(),
    bucket: bigint({ mode: 'number' }).notNull(),
    hits: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.formKey, t.ip, t.bucket] })],
)

const bucketCounts = () => ({
  /** Time to first contact in buckets (`CONTACT_MINUTE_EDGES` in rollup.ts): the medians of long periods. */
  contactB0: integer().notNull().default(0),
  contactB1: integer().notNull().default(0),
  contactB2: integer().notNull().default(0),
  contactB3: integer().notNull().default(0),
  contactB4: integer().notNull().default(0),
  contactB5: integer().notNull().default(0),
  contactB6: integer().notNull().default(0),
  contactB7: integer().notNull().default(0),
  contactB8: integer().notNull().default(0),
  contactB9: integer().notNull().default(0),
  contactB10: integer().notNull().default(0),
  contactB11: integer().notNull().default(0),
  /** Time to conversion in buckets (`CONVERT_DAY_EDGES`). */
  convertB0: integer().notNull().default(0),
  convertB1: integer().notNull().default(0),
  convertB2: integer().notNull().default(0),
  convertB3: integer().notNull().default(0),
  convertB4: integer().notNull().default(0),
  convertB5: integer().notNull().default(0),
  convertB6: integer().notNull().default(0),
  convertB7: integer().notNull().default(0),
  convertB8: integer().notNull().default(0),
  convertB9: integer().notNull().default(0),
})

const stageCounts = () => ({
  leads: integer().notNull().default(0),
  contacted: integer().notNull().default(0),
  qualified: integer().notNull().default(0),
  converted: integer().notNull().default(0),
  invalid: integer().notNull().default(0),
  slaBreached: integer().notNull().default(0),
})

/**
 * Monthly rollup of the channel analysis (everyone's figures): per creation month in the tenant's time zone
 * (the month's first day), channel and campaign ('' = none), without the owner: how many leads of that
 * cohort exist and have reached each stage, and their time buckets. Maintained in the same transaction as
 * every lead write (`rollup.ts`); a period reads its whole months here.
 */
export const leadMonthly = pgTable(
  'crm_lead_monthly',
  {
    tenantId: tenantId(),
    month: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    campaignId: text().notNull().default(''),
    ...stageCounts(),
    ...bucketCounts(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month, t.channelId, t.campaignId] })],
)

/**
 * Weekly rollup, the same figures per week piece: a Monday-to-Sunday week in the tenant's time zone cut at
 * month starts, keyed by the piece's first day (`greatest(week start, month start)`), so a piece lies in one
 * month. A period reads whole months, then whole pieces, then at most six days at each end from the leads.
 */
export const leadWeekly = pgTable(
  'crm_lead_weekly',
  {
    tenantId: tenantId(),
    start: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    campaignId: text().notNull().default(''),
    ...stageCounts(),
    ...bucketCounts(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.start, t.channelId, t.campaignId] }),
    // One campaign's trend.
    index('crm_lead_weekly_campaign_idx').on(t.tenantId, t.campaignId, t.start),
  ],
)

/**
 * The weekly trend's rollup: the weekly pieces summed over campaigns (per piece and channel, the first four
 * stages), so a trend over two years reads a few thousand rows however many campaigns there are.
 */
export const leadWeeklyChannel = pgTable(
  'crm_lead_weekly_channel',
  {
    tenantId: tenantId(),
    start: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    leads: integer().notNull().default(0),
    contacted: integer().notNull().default(0),
    qualified: integer().notNull().default(0),
    converted: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.start, t.channelId] })],
)

/**
 * The monthly rollup per owner ('' = the pool): a caller limited to some owners' leads (a rep's own, a
 * department manager's people's) reads their whole months here, as everyone's figures read
 * `crm_lead_monthly`. An owner change moves the lead's contribution from one owner's rows to the other's.
 */
export const leadOwnerMonthly = pgTable(
  'crm_lead_owner_monthly',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    month: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    campaignId: text().notNull().default(''),
    ...stageCounts(),
    ...bucketCounts(),
  },
  (t) => [
    primaryKey({
      name: 'crm_lead_owner_monthly_pk',
      columns: [t.tenantId, t.ownerId, t.month, t.channelId, t.campaignId],
    }),
  ],
)

/** The weekly rollup per owner (week pieces as `crm_lead_weekly`). */
export const leadOwnerWeekly = pgTable(
  'crm_lead_owner_weekly',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    start: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    campaignId: text().notNull().default(''),
    ...stageCounts(),
    ...bucketCounts(),
  },
  (t) => [
    primaryKey({
      name: 'crm_lead_owner_weekly_pk',
      columns: [t.tenantId, t.ownerId, t.start, t.channelId, t.campaignId],
    }),
  ],
)

/** The weekly trend's rollup per owner (as `crm_lead_weekly_channel`). */
export const leadOwnerWeeklyChannel = pgTable(
  'crm_lead_owner_weekly_channel',
  {
    tenantId: tenantId(),
    ownerId: text().notNull(),
    start: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    leads: integer().notNull().default(0),
    contacted: integer().notNull().default(0),
    qualified: integer().notNull().default(0),
    converted: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({
      name: 'crm_lead_owner_weekly_channel_pk',
      columns: [t.tenantId, t.ownerId, t.start, t.channelId],
    }),
  ],
)

/** Discarded (spam) web-form and webhook submissions per day (tenant's time zone), channel and campaign. */
export const leadSpamDaily = pgTable(
  'crm_lead_spam_daily',
  {
    tenantId: tenantId(),
    day: date({ mode: 'string' }).notNull(),
    channelId: text().notNull(),
    campaignId: text().notNull().default(''),
    spam: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day, t.channelId, t.campaignId] })],
)

/** The time zone the tenant's rollup rows are cut in; a change of the tenant's zone rebuilds them. */
export const leadRollupZone = pgTable('crm_lead_rollup_zone', {
  tenantId: text().primaryKey(),
  zone: text().notNull(),
})

/** A person's saved lead-list filters (「我的视图」): per user, named, stored server-side. */
export const leadSavedViews = pgTable(
  'crm_lead_saved_views',
  {
    id: id(),
    tenantId: tenantId(),
    userId: text().notNull(),
    name: text().notNull(),
    /** The list query (status, channelId, campaignId, ownerId, scope, sla, from, to, q…) as strings. */
    filters: jsonb().$type<Record<string, string>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('crm_lead_saved_views_name_uq').on(t.tenantId, t.userId, t.name)],
)
