import { and, eq, inArray } from 'drizzle-orm'
import { leadCampaigns, leadChannels } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { userLabels } from '../crm/access'
import type { LeadRow } from './access'

export interface LeadDto {
  id: string
  name: string
  company: string | null
  phone: string | null
  phoneRaw: string | null
  phoneValid: boolean
  email: string | null
  emailRaw: string | null
  emailValid: boolean
  region: string | null
  productInterest: string | null
  message: string | null
  priority: LeadRow['priority']
  status: LeadRow['status']
  invalidReason: string | null
  ownerId: string | null
  ownerName: string | null
  inPool: boolean
  assignedAt: string | null
  acceptedAt: string | null
  firstContactedAt: string | null
  slaState: LeadRow['slaState']
  slaDueAt: string | null
  channelId: string
  channelName: string
  campaignId: string | null
  campaignName: string | null
  utm: LeadRow['utm']
  consent: boolean
  /** An existing customer looks like this lead (id only; open it through the customer API if in scope). */
  matchedCustomerId: string | null
  customerId: string | null
  contactId: string | null
  convertedAt: string | null
  version: number
  createdAt: string
  updatedAt: string
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

/** Names of owners, channels and campaigns for a page of leads (three small lookups). */
export async function leadLabels(ctx: ServiceContext, rows: LeadRow[]) {
  const channelIds = [...new Set(rows.map((r) => r.channelId))]
  const campaignIds = [...new Set(rows.map((r) => r.campaignId).filter((x): x is string => !!x))]
  const [owners, channels, campaigns] = await Promise.all([
    userLabels(
      ctx,
      rows.map((r) => r.ownerId),
    ),
    channelIds.length
      ? ctx.db
          .select({ id: leadChannels.id, name: leadChannels.name })
          .from(leadChannels)
          .where(and(eq(leadChannels.tenantId, ctx.tenantId), inArray(leadChannels.id, channelIds)))
      : [],
    campaignIds.length
      ? ctx.db
          .select({ id: leadCampaigns.id, name: leadCampaigns.name })
          .from(leadCampaigns)
          .where(and(eq(leadCampaigns.tenantId, ctx.tenantId), inArray(leadCampaigns.id, campaignIds)))
      : [],
  ])
  return {
    owners,
    channels: new Map(channels.map((c) => [c.id, c.name])),
    campaigns: new Map(campaigns.map((c) => [c.id, c.name])),
  }
}

export type LeadLabels = Awaited<ReturnType<typeof leadLabels>>

export function toLeadDto(r: LeadRow, l: LeadLabels): LeadDto {
  return {
    id: r.id,
    name: r.name,
    company: r.company,
    phone: r.phone,
    phoneRaw: r.phoneRaw,
    phoneValid: r.phoneValid,
    email: r.email,
    emailRaw: r.emailRaw,
    emailValid: r.emailValid,
    region: r.region,
    productInterest: r.productInterest,
    message: r.message,
    priority: r.priority,
    status: r.status,
    invalidReason: r.invalidReason,
    ownerId: r.ownerId,
    ownerName: r.ownerId ? (l.owners.get(r.ownerId)?.name ?? null) : null,
    inPool: r.ownerId === null,
    assignedAt: iso(r.assignedAt),
    acceptedAt: iso(r.acceptedAt),
    firstContactedAt: iso(r.firstContactedAt),
    slaState: r.slaState,
    slaDueAt: iso(r.slaDueAt),
    channelId: r.channelId,
    channelName: l.channels.get(r.channelId) ?? '',
    campaignId: r.campaignId,
    campaignName: r.campaignId ? (l.campaigns.get(r.campaignId) ?? null) : null,
    utm: r.utm,
    consent: r.consent,
    matchedCustomerId: r.matchedCustomerId,
    customerId: r.customerId,
    contactId: r.contactId,
    convertedAt: iso(r.convertedAt),
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }
}

export async function leadDto(ctx: ServiceContext, row: LeadRow): Promise<LeadDto> {
  return toLeadDto(row, await leadLabels(ctx, [row]))
}
