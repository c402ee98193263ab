import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import { labelled, t } from './i18n'
import { cardDateTime } from './time'

export interface FollowUpReminderView {
  customerId: string
  customerName: string
  lastContent: string
  dueAt: Date
}

/** The reminder at a follow-up's "next follow-up" time. */
export function followUpReminderCard(v: FollowUpReminderView, locale: Locale, timeZone: string): Card {
  return {
    header: { title: t(locale, '跟进提醒', 'Follow-up reminder'), color: 'blue' },
    summary: t(locale, `该跟进 ${v.customerName} 了`, `Time to follow up ${v.customerName}`),
    link: { path: `/customers/${v.customerId}` },
    elements: [
      {
        type: 'markdown',
        text: t(
          locale,
          `计划 ${cardDateTime(v.dueAt, timeZone).slice(5)} 跟进 **${v.customerName}**。`,
          `You planned to follow up **${v.customerName}** at ${cardDateTime(v.dueAt, timeZone).slice(5)}.`,
        ),
      },
      {
        type: 'note',
        text: labelled(locale, t(locale, '上次跟进', 'Last follow-up'), v.lastContent.slice(0, 200)),
      },
      {
        type: 'actions',
        buttons: [
          {
            text: t(locale, '写跟进', 'Log follow-up'),
            style: 'primary',
            link: { path: `/customers/${v.customerId}/follow-up` },
          },
          { text: t(locale, '记拜访', 'Log visit'), link: { path: `/customers/${v.customerId}/visit` } },
        ],
      },
    ],
  }
}
