import { viewKind } from '../chat/view'
import type { Locale } from '../locale'
import type { NoticeAttachment, NoticeImage } from './schemas'

/** What a notice card shows; built from the notice row and the publisher's name. */
export interface NoticeCardView {
  id: string
  title: string
  body: string
  category: string
  requireAck: boolean
  publisherName: string
  publishedAt: Date | null
  version: number
  images: NoticeImage[]
  attachments: NoticeAttachment[]
}

/** Delivery and read counts of one notice. */
export interface NoticeCounts {
  total: number
  pending: number
  sent: number
  failed: number
  read: number
  acknowledged: number
}

/** The publisher's summary card: delivery and read progress, refreshed as receipts arrive. */
export const noticeSummaryView = viewKind<{
  notice: { id: string; title: string; requireAck: boolean; status: string; version: number }
  counts: NoticeCounts
}>('notice.summary')

/**
 * A notice as its cards show it, frozen into the outbox: JSON only (times as ISO strings), the body cut to
 * what a card can preview, and the publisher's name in each language (the reader's is picked at send time).
 */
export interface NoticeSnapshot {
  id: string
  title: string
  body: string
  category: string
  requireAck: boolean
  publisherName: Record<Locale, string>
  publishedAt: string | null
  version: number
  images: NoticeImage[]
  attachments: NoticeAttachment[]
}

/** A recipient's receipt as frozen in a view (ISO times). */
export interface ReceiptSnapshot {
  readAt: string | null
  ackAt: string | null
}

/** The card a recipient gets (DM): the content and the receipt button, or the receipt once done. */
export const noticeRecipientView = viewKind<{ notice: NoticeSnapshot; receipt: ReceiptSnapshot }>(
  'notice.recipient',
)
/** The copy posted into a group chat: the content and a link (receipts are per person). */
export const noticeChatView = viewKind<{ notice: NoticeSnapshot }>('notice.chat')
/** The reminder (催读) DM. */
export const noticeReminderView = viewKind<{ notice: NoticeSnapshot }>('notice.reminder')
/** What every delivered copy turns into once the notice is retracted. */
export const noticeRetractedView = viewKind<{ id: string; title: string }>('notice.retracted')

const dateOf = (iso: string | null): Date | null => (iso ? new Date(iso) : null)

/** The card view of a snapshot in the reader's language. */
export function thawNoticeView(s: NoticeSnapshot, locale: Locale): NoticeCardView {
  return { ...s, publisherName: s.publisherName[locale], publishedAt: dateOf(s.publishedAt) }
}

/** A frozen receipt, thawed. */
export const thawReceipt = (r: ReceiptSnapshot) => ({ readAt: dateOf(r.readAt), ackAt: dateOf(r.ackAt) })

/** Freezes a receipt for a view. */
export const freezeReceipt = (r: { readAt: Date | null; ackAt: Date | null }): ReceiptSnapshot => ({
  readAt: r.readAt?.toISOString() ?? null,
  ackAt: r.ackAt?.toISOString() ?? null,
})
