import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import { t } from './i18n'
import { noticeCategoryLabel } from './notice-card'
import { cardDate } from './time'

export interface NoticeListItem {
  id: string
  title: string
  category: string
  publishedAt: Date | null
  status: string
  requireAck: boolean
  readAt: Date | null
  ackAt: Date | null
}

const day = (d: Date | null, timeZone: string): string => (d ? cardDate(d, timeZone) : '—')

/** `公告` / `notices`: my recent notices, unread first marked. */
export function noticeListCard(items: NoticeListItem[], locale: Locale, timeZone: string): Card {
  const lines = items.map((i) => {
    const state =
      i.status === 'retracted'
        ? t(locale, '已撤回', 'retracted')
        : i.requireAck
          ? i.ackAt
            ? t(locale, '已确认', 'acknowledged')
            : t(locale, '待确认', 'to acknowledge')
          : i.readAt
            ? t(locale, '已读', 'read')
            : t(locale, '未读', 'unread')
    const dot = (i.requireAck ? i.ackAt : i.readAt) || i.status === 'retracted' ? '' : '🔴 '
    return `${dot}**${i.title}** · ${noticeCategoryLabel(locale, i.category)} · ${day(i.publishedAt, timeZone)} · ${state}`
  })
  return {
    header: { title: t(locale, '最近公告', 'Recent notices'), color: 'blue' },
    summary: t(locale, '最近公告', 'Recent notices'),
    link: { path: '/notices' },
    elements: [
      {
        type: 'markdown',
        text: lines.length ? lines.join('\n') : t(locale, '暂时没有公告。', 'No notices yet.'),
      },
      {
        type: 'actions',
        buttons: [{ text: t(locale, '全部公告', 'All notices'), link: { path: '/notices' } }],
      },
    ],
  }
}
