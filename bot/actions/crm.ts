import { customerCard } from '../cards/customer-card'
import { poolWarningCard } from '../cards/customer-pool-card'
import { t } from '../cards/i18n'
import type { CardActionHandler } from '../chat/model'
import {
  checkInVisit,
  claimCustomer,
  createFollowUp,
  extendReclaim,
  getCustomerSummary,
  loadRules,
} from '../domain/crm'
import { InvalidInputError } from '../domain/errors'
import { zonedInstant } from '../lib/zoned'

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/**
 * Chat datetime inputs arrive as ISO, `YYYY-MM-DD HH:mm` or epoch ms; a time without a zone is the reader's
 * wall-clock time in `timeZone` (the person's, else the company's).
 */
export function parseWhen(v: unknown, timeZone: string): string | null {
  const s = str(v).trim()
  if (!s) return null
  if (/^\d{12,}$/.test(s)) return new Date(Number(s)).toISOString()
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(s)
  if (m?.[1] && m[2]) {
    const at = zonedInstant(m[1], m[2], timeZone)
    if (Number.isNaN(at.getTime())) throw new InvalidInputError('next', 'not a date and time')
    return at.toISOString()
  }
  const d = new Date(s)
  if (Number.isNaN(d.getTime())) throw new InvalidInputError('next', 'not a date and time')
  return d.toISOString()
}

/**
 * CRM card actions. Each re-checks scope and state through the domain verb (the payload only names the
 * customer): a tap on a customer outside the tapper's scope answers "not found".
 */
export const customerActions: Record<string, CardActionHandler> = {
  'crm.customer.show': async ({ ctx, locale, timeZone, payload }) => ({
    card: customerCard(
      await getCustomerSummary({ ctx, customerId: str(payload.customer) }),
      locale,
      timeZone,
    ),
  }),
  'crm.followup.quick': async ({ ctx, locale, timeZone, payload, formValues }) => {
    const customerId = str(payload.customer)
    const next = parseWhen(formValues.next, timeZone)
    await createFollowUp({
      ctx,
      customerId,
      input: {
        kind: (str(formValues.kind) || 'call') as 'call',
        content: str(formValues.content),
        ...(next ? { nextFollowUpAt: next } : {}),
      },
    })
    return {
      toast: { kind: 'success', text: t(locale, '跟进已记录', 'Follow-up saved') },
      card: customerCard(
        await getCustomerSummary({ ctx, customerId }),
        locale,
        timeZone,
        t(locale, '✅ 跟进已记录', '✅ Follow-up saved'),
      ),
    }
  },
  'crm.customer.claim': async ({ ctx, locale, timeZone, payload }) => {
    const customerId = str(payload.customer)
    await claimCustomer({ ctx, customerId })
    return {
      toast: { kind: 'success', text: t(locale, '已领取', 'Claimed') },
      card: customerCard(await getCustomerSummary({ ctx, customerId }), locale, timeZone),
    }
  },
  'crm.pool.extend': async ({ ctx, locale, timeZone, payload }) => {
    const customerId = str(payload.customer)
    const c = await extendReclaim({ ctx, customerId })
    const rules = await loadRules(ctx.db, ctx.tenantId)
    return {
      toast: { kind: 'success', text: t(locale, '已延期', 'Extended') },
      card: poolWarningCard(
        {
          customerId,
          customerName: c.name,
          dueAt: new Date(c.reclaimDueAt ?? Date.now()),
          extendDays: rules.extendDays,
          state: 'extended',
        },
        locale,
        timeZone,
      ),
    }
  },
  'crm.visit.checkin': async ({ ctx, locale, timeZone, payload, user }) => {
    const customerId = str(payload.customer)
    const { visit } = await checkInVisit({
      ctx,
      input: {
        customerId,
        clientKey: `${str(payload.key) || 'chat'}:${user.id}:${customerId}`.slice(0, 100),
        checkedInAt: str(payload.at) || ctx.clock.now().toISOString(),
        lat: Number(payload.lat),
        lng: Number(payload.lng),
      },
    })
    const far = visit.checkInFlagged
      ? t(
          locale,
          `⚠️ 距客户地址 ${visit.checkInDistanceM} 米`,
          `⚠️ ${visit.checkInDistanceM} m from the customer's address`,
        )
      : t(locale, '✅ 已签到', '✅ Checked in')
    return {
      toast: { kind: visit.checkInFlagged ? 'warning' : 'success', text: far },
      card: customerCard(await getCustomerSummary({ ctx, customerId }), locale, timeZone, far),
    }
  },
}
