import { and, eq } from 'drizzle-orm'
import { fieldHistory, leadChannels, leadFollowUps, leads, leadTouches, users } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { userLabels } from '../crm/access'
import { loadLeadAccess, mayWork, requireLead } from './access'
import { type LeadDto, leadDto } from './dto'
import { loadLeadSettings } from './settings'

export interface LeadTimelineEntry {
  at: string
  kind: 'touch' | 'follow_up' | 'change'
  title: string
  detail: string | null
  actorName: string | null
}

export interface LeadDetail {
  lead: LeadDto
  timeline: LeadTimelineEntry[]
  /** What the caller may do now (the mini-app shows these buttons). */
  can: { accept: boolean; work: boolean; claim: boolean; convert: boolean }
  invalidReasons: string[]
}

const FIELD_TITLES: Record<string, string> = {
  ownerId: '负责人变更',
  status: '状态变更',
  acceptedAt: '已接受',
  merged: '合并线索',
}

/** One lead with its timeline (touches, follow-ups, owner and status changes), newest first. */
export async function getLead({ ctx, leadId }: { ctx: ServiceContext; leadId: string }): Promise<LeadDetail> {
  const access = await loadLeadAccess(ctx)
  const row = await requireLead(ctx, access, leadId)
  const [touches, follows, changes, settings] = await Promise.all([
    ctx.db
      .select({ t: leadTouches, channel: leadChannels.name })
      .from(leadTouches)
      .leftJoin(leadChannels, eq(leadChannels.id, leadTouches.channelId))
      .where(and(eq(leadTouches.tenantId, ctx.tenantId), eq(leadTouches.leadId, leadId))),
    ctx.db
      .select()
      .from(leadFollowUps)
      .where(and(eq(leadFollowUps.tenantId, ctx.tenantId), eq(leadFollowUps.leadId, leadId))),
    ctx.db
      .select()
      .from(fieldHistory)
      .where(
        and(
          eq(fieldHistory.tenantId, ctx.tenantId),
          eq(fieldHistory.entityType, 'lead'),
          eq(fieldHistory.entityId, leadId),
        ),
      ),
    loadLeadSettings(ctx.db, ctx.tenantId),
  ])
  const people = await userLabels(ctx, [
    ...follows.map((f) => f.authorId),
    ...changes.map((c) => c.actorId),
    ...changes
      .filter((c) => c.field === 'ownerId')
      .flatMap((c) => [c.oldValue as string | null, c.newValue as string | null]),
  ])
  const nameOf = (id: string | null | undefined) => (id ? (people.get(id)?.name ?? null) : null)
  const timeline: LeadTimelineEntry[] = [
    ...touches.map((x) => ({
      at: x.t.at.toISOString(),
      kind: 'touch' as const,
      title: `${x.t.kind === 'first' ? '首次来源' : x.t.kind === 'merged' ? '合并来源' : '再次来访'}：${x.channel ?? ''}`,
      detail: x.t.utm.campaign ?? null,
      actorName: null,
    })),
    ...follows.map((f) => ({
      at: f.createdAt.toISOString(),
      kind: 'follow_up' as const,
      title: '跟进',
      detail: f.content,
      actorName: nameOf(f.authorId),
    })),
    ...changes.map((c) => ({
      at: c.at.toISOString(),
      kind: 'change' as const,
      title: FIELD_TITLES[c.field] ?? c.field,
      detail:
        c.field === 'ownerId'
          ? `${nameOf(c.oldValue as string | null) ?? '线索池'} → ${nameOf(c.newValue as string | null) ?? '线索池'}`
          : c.field === 'status'
            ? `${String(c.oldValue)} → ${String(c.newValue)}`
            : null,
      actorName: nameOf(c.actorId),
    })),
  ].sort((a, b) => b.at.localeCompare(a.at))
  const me = access.userId
  const open = row.status !== 'converted' && row.status !== 'invalid'
  const work = open && row.ownerId !== null && mayWork(access, row)
  return {
    lead: await leadDto(ctx, row),
    timeline,
    can: {
      accept: open && row.ownerId === me && !row.acceptedAt,
      work,
      claim: open && row.ownerId === null && ctx.actor.kind === 'user',
      convert: work && row.status !== 'new',
    },
    invalidReasons: settings.invalidReasons,
  }
}

/** What a lead card shows: key facts, source and owner; read without a data-scope check (system sends). */
export interface LeadCardView {
  id: string
  name: string
  company: string | null
  phone: string | null
  phoneValid: boolean
  email: string | null
  region: string | null
  productInterest: string | null
  message: string | null
  status: LeadDto['status']
  priority: LeadDto['priority']
  channelName: string
  campaignName: string | null
  ownerId: string | null
  ownerName: string | null
  slaState: LeadDto['slaState']
  slaDueAt: string | null
  acceptedAt: string | null
  invalidReason: string | null
  invalidReasons: string[]
  assignmentSeq: number
  version: number
}

/** The card data of a lead (for the notification job and card taps), or null when it is gone. */
export async function getLeadCardView({
  ctx,
  leadId,
}: {
  ctx: ServiceContext
  leadId: string
}): Promise<LeadCardView | null> {
  const [row] = await ctx.db
    .select()
    .from(leads)
    .where(and(eq(leads.tenantId, ctx.tenantId), eq(leads.id, leadId)))
  if (!row) return null
  const [dto, settings] = await Promise.all([leadDto(ctx, row), loadLeadSettings(ctx.db, ctx.tenantId)])
  return {
    id: row.id,
    name: row.name,
    company: row.company,
    phone: row.phoneRaw,
    phoneValid: row.phoneValid,
    email: row.emailRaw,
    region: row.region,
    productInterest: row.productInterest,
    message: row.message,
    status: row.status,
    priority: row.priority,
    channelName: dto.channelName,
    campaignName: dto.campaignName,
    ownerId: row.ownerId,
    ownerName: dto.ownerName,
    slaState: row.slaState,
    slaDueAt: dto.slaDueAt,
    acceptedAt: dto.acceptedAt,
    invalidReason: row.invalidReason,
    invalidReasons: settings.invalidReasons,
    assignmentSeq: row.assignmentSeq,
    version: row.version,
  }
}

/** A person's locale (cards to them are rendered in it). */
export async function localeOf(ctx: ServiceContext, userId: string): Promise<'zh-CN' | 'en'> {
  const [u] = await ctx.db
    .select({ locale: users.locale })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, userId)))
  return u?.locale === 'en' ? 'en' : 'zh-CN'
}
