import { and, asc, eq } from 'drizzle-orm'
import { leadCampaignCosts, leadCampaigns } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { isUniqueViolation } from '../crm/dto'
import { ConflictError, InvalidInputError, NotFoundError } from '../errors'
import { requirePermission } from '../org/permissions'
import { ensureDefaultChannels } from './ensure-default-channels'
import { requireChannel } from './internal/intake-lead'
import { campaignCostInput, campaignInput, parseInput, updateCampaignInput } from './schemas'

export type CampaignRow = typeof leadCampaigns.$inferSelect

export interface CampaignDto extends Omit<CampaignRow, 'tenantId' | 'createdAt' | 'updatedAt'> {
  /** Monthly actual cost entries, oldest first. */
  costs: Array<{ month: string; amountCents: number }>
  totalCostCents: number
  createdAt: string
}

async function withCosts(ctx: ServiceContext, rows: CampaignRow[]): Promise<CampaignDto[]> {
  const costs = rows.length
    ? await ctx.db
        .select()
        .from(leadCampaignCosts)
        .where(eq(leadCampaignCosts.tenantId, ctx.tenantId))
        .orderBy(asc(leadCampaignCosts.month))
    : []
  return rows.map(({ tenantId: _t, createdAt, updatedAt: _u, ...c }) => {
    const mine = costs
      .filter((x) => x.campaignId === c.id)
      .map((x) => ({ month: x.month.slice(0, 7), amountCents: x.amountCents }))
    return {
      ...c,
      costs: mine,
      totalCostCents: mine.reduce((s, x) => s + x.amountCents, 0),
      createdAt: createdAt.toISOString(),
    }
  })
}

export async function listCampaigns({
  ctx,
  channelId,
}: {
  ctx: ServiceContext
  channelId?: string
}): Promise<CampaignDto[]> {
  const rows = await ctx.db
    .select()
    .from(leadCampaigns)
    .where(
      and(
        eq(leadCampaigns.tenantId, ctx.tenantId),
        channelId ? eq(leadCampaigns.channelId, channelId) : undefined,
      ),
    )
    .orderBy(asc(leadCampaigns.createdAt))
  return withCosts(ctx, rows)
}

function checkPeriod(startsOn?: string | null, endsOn?: string | null): void {
  if (startsOn && endsOn && endsOn < startsOn)
    throw new InvalidInputError('endsOn', 'endsOn is before startsOn')
}

/** Adds a campaign to a channel: period, budget (cents), UTM values, the ad platform's id (lead managers). */
export async function createCampaign({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<CampaignDto> {
  const data = parseInput(campaignInput, input)
  checkPeriod(data.startsOn, data.endsOn)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    await ensureDefaultChannels(txCtx)
    await requireChannel(txCtx, data.channelId)
    const now = txCtx.clock.now()
    try {
      const [row] = await txCtx.db.transaction((sp) =>
        sp
          .insert(leadCampaigns)
          .values({
            id: newId('lcp'),
            tenantId: txCtx.tenantId,
            ...data,
            budgetCents: data.budgetCents ?? 0,
            createdAt: now,
            updatedAt: now,
          })
          .returning(),
      )
      if (!row) throw new Error('insert returned nothing')
      await recordAudit(txCtx, {
        action: 'crm.campaign.create',
        targetType: 'lead_campaign',
        targetId: row.id,
        after: data,
      })
      return (await withCosts(txCtx, [row]))[0] as CampaignDto
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError('a campaign with this name exists in the channel', { field: 'name' })
      throw err
    }
  })
}

async function requireCampaign(ctx: ServiceContext, id: string): Promise<CampaignRow> {
  const [row] = await ctx.db
    .select()
    .from(leadCampaigns)
    .where(and(eq(leadCampaigns.tenantId, ctx.tenantId), eq(leadCampaigns.id, id)))
    .for('update')
  if (!row) throw new NotFoundError('campaign', id)
  return row
}

export async function updateCampaign({
  ctx,
  campaignId,
  input,
}: {
  ctx: ServiceContext
  campaignId: string
  input: unknown
}): Promise<CampaignDto> {
  const data = parseInput(updateCampaignInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    const before = await requireCampaign(txCtx, campaignId)
    checkPeriod(
      data.startsOn === undefined ? before.startsOn : data.startsOn,
      data.endsOn === undefined ? before.endsOn : data.endsOn,
    )
    const set = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined))
    const [row] = await txCtx.db
      .update(leadCampaigns)
      .set({ ...set, updatedAt: txCtx.clock.now() })
      .where(eq(leadCampaigns.id, campaignId))
      .returning()
    if (!row) throw new Error('update returned nothing')
    await recordAudit(txCtx, {
      action: 'crm.campaign.update',
      targetType: 'lead_campaign',
      targetId: campaignId,
      before,
      after: set,
    })
    return (await withCosts(txCtx, [row]))[0] as CampaignDto
  })
}

/** Sets the actual cost of one month (replaces that month's figure; 0 clears it). */
export async function setCampaignCost({
  ctx,
  campaignId,
  input,
}: {
  ctx: ServiceContext
  campaignId: string
  input: unknown
}): Promise<CampaignDto> {
  const data = parseInput(campaignCostInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePermission(txCtx, 'crm.leads.manage')
    const campaign = await requireCampaign(txCtx, campaignId)
    const month = `${data.month}-01`
    const now = txCtx.clock.now()
    await txCtx.db
      .insert(leadCampaignCosts)
      .values({ tenantId: txCtx.tenantId, campaignId, month, amountCents: data.amountCents, updatedAt: now })
      .onConflictDoUpdate({
        target: [leadCampaignCosts.campaignId, leadCampaignCosts.month],
        set: { amountCents: data.amountCents, updatedAt: now },
      })
    await recordAudit(txCtx, {
      action: 'crm.campaign.cost',
      targetType: 'lead_campaign',
      targetId: campaignId,
      after: { month: data.month, amountCents: data.amountCents },
    })
    return (await withCosts(txCtx, [campaign]))[0] as CampaignDto
  })
}
