import { and, eq } from 'drizzle-orm'
import {
  fieldHistory,
  leadCampaigns,
  leadChannels,
  leads,
  opportunities,
  stageHistory,
  stageSets,
  stages,
} from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess, requireCustomer } from '../crm/access'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError } from '../errors'
import { type OpportunityDto, toOpportunityDto } from './dto'
import { announceAssigned } from './events'
import { resolveLineItems, writeLineItems } from './line-items'
import { type CreateOpportunityInput, createOpportunityInput, parseInput } from './schemas'
import { ensureSalesDefaults, type StageRow } from './stage-sets'

/** The stage set named (or the tenant's default) and a stage of it; a stage outside the set is a 400. */
export async function resolveStage(
  ctx: ServiceContext,
  stageSetId: string | undefined,
  stageId: string | undefined,
): Promise<{ setId: string; stage: StageRow }> {
  await ensureSalesDefaults(ctx)
  const [set] = await ctx.db
    .select({ id: stageSets.id })
    .from(stageSets)
    .where(
      and(
        eq(stageSets.tenantId, ctx.tenantId),
        stageSetId ? eq(stageSets.id, stageSetId) : eq(stageSets.isDefault, true),
      ),
    )
  if (!set) throw new InvalidInputError('stageSetId', `no stage set ${stageSetId}`)
  const rows = await ctx.db
    .select()
    .from(stages)
    .where(and(eq(stages.tenantId, ctx.tenantId), eq(stages.stageSetId, set.id)))
    .orderBy(stages.sortOrder)
  const stage = stageId ? rows.find((s) => s.id === stageId) : rows.find((s) => s.kind === 'open')
  if (!stage)
    throw new InvalidInputError(
      'stageId',
      `stageId: 阶段不属于该销售流程 / stage ${stageId} is not in the stage set`,
    )
  return { setId: set.id, stage }
}

/**
 * Creates an opportunity (商机) for a customer the caller may work on, in the given or the default stage
 * set. The amount is the sum of the line items when given, else the entered amount. Attribution: a lead id
 * must name a lead converted to this customer (else a 400 naming `leadId`), and its channel and campaign
 * are carried unless given. Managers may name another owner,
 * who is told by a card.
 */
export async function createOpportunity({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CreateOpportunityInput
}): Promise<OpportunityDto> {
  const data = parseInput(createOpportunityInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const customer = await requireCustomer(c, access, data.customerId, 'write')
    const me = actorId(c.actor)
    const ownerId = data.ownerId ?? me ?? customer.ownerId
    if (!ownerId) throw new InvalidInputError('ownerId', 'an opportunity needs an owner')
    if (ownerId !== me && me && !access.canManage)
      throw new ForbiddenError('only managers may create opportunities for others')
    await requireTenantUsers(c, [ownerId], 'ownerId')
    const teamIds = [...new Set(data.teamIds ?? [])].filter((u) => u !== ownerId)
    await requireTenantUsers(c, teamIds, 'teamIds')
    const { setId, stage } = await resolveStage(c, data.stageSetId, data.stageId)
    if (stage.kind !== 'open')
      throw new InvalidInputError(
        'stageId',
        'stageId: 新商机不能直接赢单或输单 / a new opportunity starts in an open stage',
      )
    const fromLead = data.leadId ? await leadAttribution(c, data.leadId, customer.id) : null
    const resolved = data.items?.length ? await resolveLineItems(c, data.items) : null
    const now = c.clock.now()
    const id = newId('opp')
    const amountCents = resolved ? resolved.totalCents : (data.amountCents ?? 0)
    const [row] = await c.db
      .insert(opportunities)
      .values({
        id,
        tenantId: c.tenantId,
        name: data.name,
        customerId: customer.id,
        stageSetId: setId,
        stageId: stage.id,
        status: 'open',
        amountCents,
        amountSource: resolved ? 'items' : 'manual',
        expectedCloseDate: data.expectedCloseDate ?? null,
        ownerId,
        teamIds,
        competitors: data.competitors ?? [],
        channel: data.channel ?? fromLead?.channel ?? null,
        campaign: data.campaign ?? fromLead?.campaign ?? null,
        leadId: data.leadId ?? null,
        stageEnteredAt: now,
        lastActivityAt: now,
        winProbability: stage.probability,
        createdById: me,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    if (!row) throw new Error('opportunity insert returned nothing')
    if (resolved) await writeLineItems(c, 'opportunity', id, resolved.items)
    await c.db.insert(stageHistory).values({
      tenantId: c.tenantId,
      opportunityId: id,
      stageId: stage.id,
      stageName: stage.name,
      enteredAt: now,
      amountCents,
      expectedCloseDate: row.expectedCloseDate,
      actorId: me,
    })
    await c.db.insert(fieldHistory).values({
      tenantId: c.tenantId,
      entityType: 'opportunity',
      entityId: id,
      field: 'ownerId',
      oldValue: null,
      newValue: ownerId,
      actorId: me,
      at: now,
    })
    await recordAudit(c, {
      action: 'sales.opportunity.create',
      targetType: 'opportunity',
      targetId: id,
      after: { name: data.name, customerId: customer.id, amountCents, ownerId, leadId: data.leadId ?? null },
    })
    await announceAssigned(c, id, ownerId, me)
    return toOpportunityDto(c, row)
  })
}

/** The channel and campaign names of a lead converted to `customerId`; otherwise a 400 naming `leadId`. */
async function leadAttribution(
  ctx: ServiceContext,
  leadId: string,
  customerId: string,
): Promise<{ channel: string | null; campaign: string | null }> {
  const [lead] = await ctx.db
    .select({ channel: leadChannels.name, campaign: leadCampaigns.name })
    .from(leads)
    .leftJoin(leadChannels, eq(leadChannels.id, leads.channelId))
    .leftJoin(leadCampaigns, eq(leadCampaigns.id, leads.campaignId))
    .where(and(eq(leads.tenantId, ctx.tenantId), eq(leads.id, leadId), eq(leads.customerId, customerId)))
  if (!lead)
    throw new InvalidInputError(
      'leadId',
      'leadId: 线索不存在或未转化为该客户 / no lead converted to this customer has that id',
    )
  return { channel: lead.channel ?? null, campaign: lead.campaign ?? null }
}
