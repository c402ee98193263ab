import { and, eq } from 'drizzle-orm'
import { userIdentities } from '../../db/schema'
import { t } from '../cards/i18n'
import { leadCard } from '../cards/lead-card'
import type { CardActionHandler, CardActionInput, CardActionResult } from '../chat/model'
import type { ServiceContext } from '../domain/context'
import { InvalidInputError, NotFoundError } from '../domain/errors'
import {
  acceptLead,
  addLeadFollowUp,
  claimLead,
  createLead,
  getLeadCardView,
  markLeadInvalid,
  transferLead,
} from '../domain/leads'
import type { Locale } from '../domain/locale'

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')
export const first = (v: unknown): string => (Array.isArray(v) ? str(v[0]) : str(v)).trim()

export async function resolveUserId(ctx: ServiceContext, platformId: string): Promise<string> {
  const via = ctx.actor.kind === 'user' ? ctx.actor.via : ''
  const rows = await ctx.db
    .select({ userId: userIdentities.userId, platform: userIdentities.platform })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, ctx.tenantId), eq(userIdentities.openId, platformId)))
  return rows.find((r) => r.platform === via)?.userId ?? rows[0]?.userId ?? platformId
}

async function refreshed(
  ctx: ServiceContext,
  leadId: string,
  locale: Locale,
  timeZone: string,
  note: string,
): Promise<CardActionResult> {
  const view = await getLeadCardView({ ctx, leadId })
  if (!view) throw new NotFoundError('lead', leadId)
  return { toast: { kind: 'success', text: note }, card: leadCard(view, locale, timeZone, 'plain', note) }
}

const leadOf = (input: CardActionInput): string => str(input.payload.lead)

/**
 * Taps on lead cards. The payload only names the lead; each verb re-checks that the tapper may work it
 * (owner, manager in scope, lead manager) and that its state still allows the step — a tap on a lead
 * outside the tapper's scope answers "not found".
 */
export const leadActions: Record<string, CardActionHandler> = {
  'lead.accept': async (input) => {
    await acceptLead({ ctx: input.ctx, leadId: leadOf(input) })
    return refreshed(
      input.ctx,
      leadOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '已接受', 'Accepted'),
    )
  },
  'lead.claim': async (input) => {
    await claimLead({ ctx: input.ctx, leadId: leadOf(input) })
    return refreshed(
      input.ctx,
      leadOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '已领取', 'Claimed'),
    )
  },
  'lead.followup': async (input) => {
    const content = first(input.formValues.content)
    if (!content)
      throw new InvalidInputError('content', t(input.locale, '请先填写跟进内容', 'Write the follow-up first'))
    await addLeadFollowUp({ ctx: input.ctx, leadId: leadOf(input), input: { kind: 'call', content } })
    return refreshed(
      input.ctx,
      leadOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '✅ 跟进已记录', '✅ Follow-up saved'),
    )
  },
  'lead.transfer': async (input) => {
    const picked = first(input.formValues.to)
    if (!picked)
      throw new InvalidInputError('to', t(input.locale, '请先选择转交给谁', 'Pick a colleague first'))
    await transferLead({
      ctx: input.ctx,
      leadId: leadOf(input),
      input: { toUserId: await resolveUserId(input.ctx, picked) },
    })
    return refreshed(
      input.ctx,
      leadOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '已转交', 'Transferred'),
    )
  },
  'lead.invalid': async (input) => {
    const reason = first(input.formValues.reason)
    if (!reason)
      throw new InvalidInputError('reason', t(input.locale, '请先选择无效原因', 'Pick a reason first'))
    await markLeadInvalid({ ctx: input.ctx, leadId: leadOf(input), input: { reason } })
    return refreshed(
      input.ctx,
      leadOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '已标记为无效', 'Marked invalid'),
    )
  },
  'lead.create': async (input) => {
    const v = input.formValues
    const r = await createLead({
      ctx: input.ctx,
      via: 'chat',
      input: {
        name: first(v.name),
        phone: first(v.phone) || null,
        email: first(v.email) || null,
        company: first(v.company) || null,
        message: first(v.message) || null,
        channelId: first(v.channel),
      },
    })
    if (r.outcome !== 'created') {
      const who = r.duplicate?.owner?.name ?? t(input.locale, '线索池', 'the pool')
      const note = t(
        input.locale,
        `该联系人已有线索（负责人：${who}），已记为一次新的来访。`,
        `This person is already a lead (owner: ${who}); recorded as a new touch.`,
      )
      if (r.lead) return refreshed(input.ctx, r.lead.id, input.locale, input.timeZone, note)
      return { toast: { kind: 'warning', text: note } }
    }
    return refreshed(
      input.ctx,
      r.lead?.id ?? '',
      input.locale,
      input.timeZone,
      t(input.locale, '✅ 线索已创建', '✅ Lead created'),
    )
  },
}
