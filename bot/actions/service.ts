import { t } from '../cards/i18n'
import { serviceTicketCard } from '../cards/service-card'
import type { CardActionHandler, CardActionInput, CardActionResult } from '../chat/model'
import type { ServiceContext } from '../domain/context'
import { InvalidInputError } from '../domain/errors'
import type { Locale } from '../domain/locale'
import type { TicketCardKind } from '../domain/service'
import {
  acceptTicket,
  assignTicket,
  cardData,
  createTicket,
  loadServiceAccess,
  rateTicket,
  requestHelp,
  requireTicket,
  setTicketStatus,
} from '../domain/service'
import { first, resolveUserId } from './leads'

const ticketOf = (input: CardActionInput): string => {
  const v = input.payload.ticket
  return typeof v === 'string' ? v : ''
}

async function refreshed(
  ctx: ServiceContext,
  ticketId: string,
  locale: Locale,
  timeZone: string,
  note: string,
  kind: TicketCardKind = 'assigned',
): Promise<CardActionResult> {
  const access = await loadServiceAccess(ctx)
  const ticket = await requireTicket(ctx, access, ticketId)
  const view = await cardData(ctx, ticket, kind)
  return {
    toast: { kind: 'success', text: note },
    card: serviceTicketCard(view.data, locale, timeZone, note),
  }
}

/**
 * Taps on ticket cards. The payload only names the ticket; each verb re-checks that the tapper may see
 * and work it (owner, service manager in scope, the requester for the rating) and that its state still
 * allows the step — a ticket outside the tapper's scope answers "not found".
 */
export const serviceActions: Record<string, CardActionHandler> = {
  'service.create': async (input) => {
    const v = input.formValues
    const t0 = await createTicket({
      ctx: input.ctx,
      channel: 'chat',
      input: {
        subject: first(v.subject),
        customerId: first(v.customer) || null,
        type: first(v.type) || null,
        priority: (first(v.priority) || 'normal') as 'normal',
        description: first(v.description) || null,
      },
    })
    return refreshed(
      input.ctx,
      t0.id,
      input.locale,
      input.timeZone,
      t(input.locale, `✅ 工单已创建：${t0.number}`, `✅ Ticket created: ${t0.number}`),
    )
  },
  'service.accept': async (input) => {
    await acceptTicket({ ctx: input.ctx, ticketId: ticketOf(input) })
    return refreshed(
      input.ctx,
      ticketOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '已接单', 'Accepted'),
    )
  },
  'service.resolve': async (input) => {
    const note = first(input.formValues.note)
    if (!note)
      throw new InvalidInputError('note', t(input.locale, '请先写处理说明', 'Write what was done first'))
    await setTicketStatus({ ctx: input.ctx, ticketId: ticketOf(input), input: { status: 'resolved', note } })
    return refreshed(
      input.ctx,
      ticketOf(input),
      input.locale,
      input.timeZone,
      t(input.locale, '已解决', 'Resolved'),
    )
  },
  'service.transfer': async (input) => {
    const picked = first(input.formValues.to)
    if (!picked)
      throw new InvalidInputError('to', t(input.locale, '请先选择转派给谁', 'Pick a colleague first'))
    await assignTicket({
      ctx: input.ctx,
      ticketId: ticketOf(input),
      input: { ownerId: await resolveUserId(input.ctx, picked), note: first(input.formValues.note) || null },
    })
    return { toast: { kind: 'success', text: t(input.locale, '已转派', 'Reassigned') } }
  },
  'service.help': async (input) => {
    const to = await requestHelp({
      ctx: input.ctx,
      ticketId: ticketOf(input),
      note: first(input.formValues.note) || null,
    })
    return {
      toast: {
        kind: to.length ? 'success' : 'warning',
        text: to.length
          ? t(input.locale, '已通知主管协助', 'Your manager was asked to help')
          : t(input.locale, '没有可通知的主管', 'Nobody to ask for help'),
      },
    }
  },
  'service.rate': async (input) => {
    const rating = Number(first(input.formValues.rating))
    if (!Number.isInteger(rating) || rating < 1 || rating > 5)
      throw new InvalidInputError('rating', t(input.locale, '请选择 1–5 星', 'Pick 1 to 5 stars'))
    await rateTicket({
      ctx: input.ctx,
      ticketId: ticketOf(input),
      input: { rating, comment: first(input.formValues.comment) || null },
    })
    return { toast: { kind: 'success', text: t(input.locale, '感谢评价', 'Thanks for rating') } }
  },
}
