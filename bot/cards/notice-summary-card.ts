import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { NoticeCounts } from '../domain/notices'
import { t } from './i18n'

export type { NoticeCounts } from '../domain/notices'

/** The publisher's card: delivery and read progress, refreshed as receipts arrive; remind and dashboard. */
export function noticeSummaryCard(
  n: { id: string; title: string; requireAck: boolean; status: string; version: number },
  counts: NoticeCounts,
  locale: Locale,
): Card {
  const retracted = n.status === 'retracted'
  const unread = Math.max(0, counts.sent - counts.read)
  return {
    header: {
      title: t(locale, `公告进度：${n.title}`, `Notice progress: ${n.title}`),
      color: retracted ? 'grey' : 'turquoise',
      ...(retracted ? { tags: [{ text: t(locale, '已撤回', 'Retracted'), color: 'grey' as const }] } : {}),
    },
    summary: t(
      locale,
      `公告进度 ${counts.read}/${counts.total}`,
      `Notice progress ${counts.read}/${counts.total}`,
    ),
    link: { path: `/notices/${n.id}/dashboard` },
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '接收人', 'Recipients'), value: String(counts.total), short: true },
          { label: t(locale, '已送达', 'Delivered'), value: String(counts.sent), short: true },
          { label: t(locale, '发送中', 'Sending'), value: String(counts.pending), short: true },
          { label: t(locale, '发送失败', 'Failed'), value: String(counts.failed), short: true },
          { label: t(locale, '已读', 'Read'), value: String(counts.read), short: true },
          { label: t(locale, '未读', 'Unread'), value: String(unread), short: true },
          ...(n.requireAck
            ? [
                {
                  label: t(locale, '已确认', 'Acknowledged'),
                  value: String(counts.acknowledged),
                  short: true,
                },
              ]
            : []),
        ],
      },
      {
        type: 'actions',
        buttons: [
          ...(retracted
            ? []
            : [
                { text: t(locale, '一键提醒未读', 'Remind unread'), action: { a: 'notice.remind', n: n.id } },
              ]),
          { text: t(locale, '查看统计', 'Dashboard'), link: { path: `/notices/${n.id}/dashboard` } },
        ],
      },
    ],
  }
}
