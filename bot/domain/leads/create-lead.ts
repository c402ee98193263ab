import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError } from '../errors'
import { loadLeadAccess } from './access'
import { type LeadDto, leadDto } from './dto'
import { ensureDefaultChannels } from './ensure-default-channels'
import { type LeadDuplicateHint, leadHint } from './find-lead-duplicates'
import { type IntakeVia, intakeLead, requireChannel, resolveCampaign } from './internal/intake-lead'
import { normaliseContact } from './normalise'
import { type CreateLeadInput, createLeadInput, parseInput } from './schemas'

export interface CreateLeadResult {
  outcome: 'created' | 'touch' | 'replay'
  /** The lead, when the caller may see it. */
  lead: LeadDto | null
  /** For a touch on someone else's lead: who to ask, nothing else. */
  duplicate: LeadDuplicateHint | null
}

/**
 * Enters a lead by hand (mini-app form, API, chat). Without `ownerId` the creator owns it; `null` puts it
 * in the pool, `"rules"` runs the assignment rules, another person needs `crm.leads.manage`. The same
 * person already known (phone or email) becomes a touch on that lead and the answer names its owner only.
 */
export async function createLead({
  ctx,
  input,
  via = 'manual',
}: {
  ctx: ServiceContext
  input: CreateLeadInput
  via?: IntakeVia
}): Promise<CreateLeadResult> {
  const data = parseInput(createLeadInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await ensureDefaultChannels(txCtx)
    const access = await loadLeadAccess(txCtx)
    const me = actorId(txCtx.actor)
    const channel = await requireChannel(txCtx, data.channelId)
    if (!channel.active) throw new InvalidInputError('channelId', 'this channel is switched off')
    let ownerId: string | null | undefined = data.ownerId === undefined ? (me ?? undefined) : data.ownerId
    if (ownerId === 'rules') ownerId = undefined
    if (ownerId && ownerId !== me) {
      if (!access.canManage) throw new ForbiddenError('only lead managers may assign leads to others')
      await requireTenantUsers(txCtx, [ownerId], 'ownerId')
    }
    const utm = data.utm ?? {}
    const campaignId = await resolveCampaign(txCtx, channel.id, data.campaignId, {
      ...(utm.campaign ? { campaign: utm.campaign } : {}),
    })
    const r = await intakeLead(txCtx, {
      fields: data,
      channelId: channel.id,
      campaignId,
      utm: Object.fromEntries(Object.entries(utm).filter(([, v]) => v)) as Record<string, string>,
      via,
      ownerId,
      consent: data.consent ?? false,
    })
    if (r.outcome === 'created') {
      await recordAudit(txCtx, {
        action: 'crm.lead.create',
        targetType: 'lead',
        targetId: r.lead.id,
        after: { name: r.lead.name, channelId: channel.id, ownerId: r.lead.ownerId },
      })
      return { outcome: r.outcome, lead: await leadDto(txCtx, r.lead), duplicate: null }
    }
    const hint = await leadHint(txCtx, access, r.lead, normaliseContact(data))
    return { outcome: r.outcome, lead: hint.id ? await leadDto(txCtx, r.lead) : null, duplicate: hint }
  })
}
