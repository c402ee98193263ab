import type { Card, CardElement } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { NoticeCardView } from '../domain/notices'
import { CARD_PREVIEW_CHARS } from '../domain/notices'
import { labelled, t } from './i18n'
import { cardDateTime } from './time'

export type { NoticeCardView } from '../domain/notices'

const CATEGORY: Record<string, [string, string]> = {
  general: ['通知', 'Notice'],
  hr: ['人事', 'HR'],
  admin: ['行政', 'Admin'],
  it: ['IT', 'IT'],
  finance: ['财务', 'Finance'],
  sales: ['销售', 'Sales'],
  event: ['活动', 'Event'],
}

export const noticeCategoryLabel = (locale: Locale, category: string): string => {
  const pair = CATEGORY[category]
  return pair ? t(locale, pair[0], pair[1]) : category
}

const fmt = (d: Date | null, timeZone: string): string => (d ? cardDateTime(d, timeZone) : '—')

/** The body preview: whole paragraphs up to the preview length, then an ellipsis. */
export function bodyPreview(body: string, max = CARD_PREVIEW_CHARS): { text: string; truncated: boolean } {
  const chars = [...body]
  if (chars.length <= max) return { text: body, truncated: false }
  const cut = chars.slice(0, max).join('')
  const para = cut.lastIndexOf('\n\n')
  return { text: `${para > max / 2 ? cut.slice(0, para) : cut}…`, truncated: true }
}

function contentElements(n: NoticeCardView, locale: Locale, timeZone: string): CardElement[] {
  const preview = bodyPreview(n.body)
  const out: CardElement[] = [
    {
      type: 'fields',
      fields: [
        { label: t(locale, '发布人', 'From'), value: n.publisherName, short: true },
        { label: t(locale, '发布时间', 'Published'), value: fmt(n.publishedAt, timeZone), short: true },
      ],
    },
    { type: 'markdown', text: preview.text || t(locale, '（无正文）', '(no text)') },
  ]
  const firstImage = n.images[0]
  if (firstImage) {
    out.push({
      type: 'image',
      alt: firstImage.alt || n.title,
      ...(firstImage.imageKey ? { imageKey: firstImage.imageKey } : {}),
      ...(firstImage.url ? { url: firstImage.url } : {}),
    })
  }
  if (n.attachments.length > 0) {
    out.push({
      type: 'markdown',
      text: labelled(
        locale,
        t(locale, '附件', 'Attachments'),
        n.attachments.map((a) => `[${a.name}](${a.url})`).join('  '),
      ),
    })
  }
  if (preview.truncated || n.images.length > 1)
    out.push({
      type: 'note',
      text: t(locale, '内容较长，请点击「查看全文」', 'Open the full text to read more'),
    })
  return out
}

/**
 * The card a recipient gets. Before acknowledging: 确认收到 (require-ack) or 标记已读; after: the time, no
 * button. Tapping sends `notice.ack` with the notice and version.
 */
export function noticeRecipientCard(
  n: NoticeCardView,
  locale: Locale,
  timeZone: string,
  state: { readAt: Date | null; ackAt: Date | null },
): Card {
  const done = n.requireAck ? state.ackAt : state.readAt
  const buttons = [
    ...(done
      ? []
      : [
          {
            text: n.requireAck ? t(locale, '确认收到', 'Acknowledge') : t(locale, '标记已读', 'Mark as read'),
            style: 'primary' as const,
            action: { a: 'notice.ack', n: n.id, v: n.version },
          },
        ]),
    { text: t(locale, '查看全文', 'Read in full'), link: { path: `/notices/${n.id}` } },
  ]
  return {
    header: {
      title: n.title,
      color: n.requireAck && !done ? 'orange' : 'blue',
      tags: [
        { text: noticeCategoryLabel(locale, n.category), color: 'blue' },
        ...(n.requireAck ? [{ text: t(locale, '需确认', 'Ack required'), color: 'orange' as const }] : []),
      ],
    },
    summary: `${t(locale, '【公告】', '[Notice] ')}${n.title}`,
    link: { path: `/notices/${n.id}` },
    elements: [
      ...contentElements(n, locale, timeZone),
      ...(done
        ? [
            {
              type: 'note' as const,
              text: n.requireAck
                ? t(locale, `已确认 · ${fmt(done, timeZone)}`, `Acknowledged · ${fmt(done, timeZone)}`)
                : t(locale, `已读 · ${fmt(done, timeZone)}`, `Read · ${fmt(done, timeZone)}`),
            },
          ]
        : []),
      { type: 'actions', buttons },
    ],
  }
}

/** The copy posted into a group chat: the content and a link, no receipt button. */
export function noticeChatCard(n: NoticeCardView, locale: Locale, timeZone: string): Card {
  return {
    header: {
      title: n.title,
      color: 'blue',
      tags: [{ text: noticeCategoryLabel(locale, n.category), color: 'blue' }],
    },
    summary: `${t(locale, '【公告】', '[Notice] ')}${n.title}`,
    link: { path: `/notices/${n.id}` },
    elements: [
      ...contentElements(n, locale, timeZone),
      {
        type: 'actions',
        buttons: [{ text: t(locale, '查看全文', 'Read in full'), link: { path: `/notices/${n.id}` } }],
      },
    ],
  }
}

/** Replaces every delivered copy once the notice is retracted. */
export function noticeRetractedCard(n: Pick<NoticeCardView, 'id' | 'title'>, locale: Locale): Card {
  return {
    header: {
      title: n.title,
      color: 'grey',
      tags: [{ text: t(locale, '已撤回', 'Retracted'), color: 'grey' }],
    },
    summary: t(locale, `【已撤回】${n.title}`, `[Retracted] ${n.title}`),
    elements: [
      {
        type: 'markdown',
        text: t(locale, '该公告已被发布人撤回。', 'The publisher has retracted this notice.'),
      },
    ],
  }
}

/** The reminder (催读) card: a new DM pointing at the notice, with the same button. */
export function noticeReminderCard(n: NoticeCardView, locale: Locale): Card {
  return {
    header: {
      title: t(locale, `提醒：请阅读「${n.title}」`, `Reminder: please read "${n.title}"`),
      color: 'orange',
    },
    summary: t(locale, `【提醒】${n.title}`, `[Reminder] ${n.title}`),
    link: { path: `/notices/${n.id}` },
    elements: [
      {
        type: 'markdown',
        text: n.requireAck
          ? t(
              locale,
              `${n.publisherName} 发布的公告需要你确认收到。`,
              `${n.publisherName} asks you to acknowledge this notice.`,
            )
          : t(
              locale,
              `${n.publisherName} 发布的公告你还未读。`,
              `You have not read this notice from ${n.publisherName}.`,
            ),
      },
      {
        type: 'actions',
        buttons: [
          {
            text: n.requireAck ? t(locale, '确认收到', 'Acknowledge') : t(locale, '标记已读', 'Mark as read'),
            style: 'primary',
            action: { a: 'notice.ack', n: n.id, v: n.version },
          },
          { text: t(locale, '查看全文', 'Read in full'), link: { path: `/notices/${n.id}` } },
        ],
      },
    ],
  }
}
