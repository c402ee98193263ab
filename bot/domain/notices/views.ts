import { viewKind } from '../chat/view'
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
