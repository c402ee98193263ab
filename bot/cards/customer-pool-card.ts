import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import { t } from './i18n'
import { cardDate } from './time'

export interface PoolWarningView {
  customerId: string
  customerName: string
  dueAt: Date
  extendDays: number
  state: 'warning' | 'extended' | 'followed_up' | 'reclaimed'
}

/** The owner's warning before the pool takes a customer back; one tap extends once. */
export function poolWarningCard(v: PoolWarningView, locale: Locale, timeZone: string): Card {
  const header = {
    warning: {
      title: t(locale, '客户即将收回公海', 'Customer about to return to the pool'),
      color: 'orange' as const,
    },
    extended: { title: t(locale, '已延期', 'Extended'), color: 'green' as const },
    followed_up: {
      title: t(locale, '已跟进，不会收回', 'Followed up: stays with you'),
      color: 'green' as const,
    },
    reclaimed: {
      title: t(locale, '客户已收回公海', 'Customer returned to the pool'),
      color: 'grey' as const,
    },
  }[v.state]
  const text = {
    warning: t(
      locale,
      `**${v.customerName}** 长期未跟进，将于 ${cardDate(v.dueAt, timeZone)} 收回公海。写一条跟进即可保留，或延期 ${v.extendDays} 天（仅一次）。`,
      `**${v.customerName}** has not been followed up and returns to the pool on ${cardDate(v.dueAt, timeZone)}. Log a follow-up to keep it, or extend by ${v.extendDays} days (once).`,
    ),
    extended: t(
      locale,
      `**${v.customerName}** 的收回时间已延至 ${cardDate(v.dueAt, timeZone)}。`,
      `**${v.customerName}** now returns to the pool on ${cardDate(v.dueAt, timeZone)}.`,
    ),
    followed_up: t(
      locale,
      `**${v.customerName}** 已有新的跟进。`,
      `**${v.customerName}** has a new follow-up.`,
    ),
    reclaimed: t(
      locale,
      `**${v.customerName}** 因长期未跟进已收回公海。`,
      `**${v.customerName}** went back to the pool for lack of follow-up.`,
    ),
  }[v.state]
  return {
    header,
    summary: header.title,
    link: { path: `/customers/${v.customerId}` },
    elements: [
      { type: 'markdown', text },
      {
        type: 'actions',
        buttons: [
          ...(v.state === 'warning'
            ? [
                {
                  text: t(locale, `延期 ${v.extendDays} 天`, `Extend ${v.extendDays} days`),
                  style: 'primary' as const,
                  action: { a: 'crm.pool.extend', customer: v.customerId },
                },
              ]
            : []),
          ...(v.state !== 'reclaimed'
            ? [
                {
                  text: t(locale, '写跟进', 'Log follow-up'),
                  link: { path: `/customers/${v.customerId}/follow-up` },
                },
              ]
            : []),
        ],
      },
    ],
  }
}
