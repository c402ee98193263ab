import type { Card } from '../../chat/model'
import { claimJobEffect } from '../chat/record-inbound'
import { sendCard } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import type { Locale } from '../locale'
import { tenantTimeZone } from '../org/time-zone'
import { getLeadCardView, type LeadCardView, localeOf } from './get-lead'
import { LEAD_NOTIFY, type LeadNotifyPayload } from './lifecycle'

/**
 * Sends one lead notification (the `leads.notify` outbox row) as a card rendered now by `present` in the
 * recipient's language and the tenant's time zone. An assignment card for an assignment that has since changed is dropped.
 */
export async function sendLeadNotice({
  ctx,
  payload,
  present,
}: {
  ctx: ServiceContext
  payload: Omit<LeadNotifyPayload, 'tenantId'>
  present: (view: LeadCardView, kind: LeadNotifyPayload['kind'], locale: Locale, timeZone: string) => Card
}): Promise<boolean> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const view = await getLeadCardView({ ctx: txCtx, leadId: payload.leadId })
    if (!view) return false
    if (payload.kind === 'assigned' && view.assignmentSeq !== payload.seq) return false
    const ref = `lead:${payload.leadId}:${payload.kind}:${payload.seq}`
    // A rerun of this job (its first run committed, then its worker died) sends nothing again.
    if (!(await claimJobEffect(txCtx, LEAD_NOTIFY, `${ref}:${payload.to}`))) return false
    const locale = await localeOf(txCtx, payload.to)
    await sendCard(txCtx, {
      to: { userId: payload.to },
      ref,
      version: view.version,
      locale,
      card: present(view, payload.kind, locale, await tenantTimeZone(txCtx)),
    })
    return true
  })
}
