/** The notices area's public surface: what code outside bot/domain/notices/ may import. */
export { loadNotice, type NoticeRow } from './access'
export { acknowledgeNotice } from './acknowledge-notice'
export { reconcileDeliveries, refreshNoticeCards } from './card-updates'
export { createNews, type NewsRow } from './create-news'
export { createNotice } from './create-notice'
export { editNotice } from './edit-notice'
export { exportNoticeCsv } from './export-notice-csv'
export { fanOutStep, watchFanout } from './fan-out'
export { getNews } from './get-news'
export { getNotice } from './get-notice'
export { getNoticeDashboard } from './get-notice-dashboard'
export { listNews } from './list-news'
export { listNotices } from './list-notices'
export { runReminderStep } from './notice-reminders'
export { FANOUT_WATCH_MS, publishLocked, publishNotice } from './publish-notice'
export { recordPlatformReads, unreadToPoll } from './read-receipts'
export { remindNotice } from './remind-notice'
export { retractNotice } from './retract-notice'
export { scheduleNotice } from './schedule-notice'
export {
  AudienceSchema,
  CARD_PREVIEW_CHARS,
  CreateNewsSchema,
  CreateNoticeSchema,
  EditNoticeSchema,
  ListNewsSchema,
  ListNoticesSchema,
  NEWS_CATEGORIES,
  NOTICE_CATEGORIES,
  NOTICE_TOPICS,
  ReminderPolicySchema,
} from './schemas'
export type { PlatformSendRates } from './send-rate'
export {
  type NoticeCardView,
  type NoticeCounts,
  noticeChatView,
  noticeRecipientView,
  noticeReminderView,
  noticeRetractedView,
  noticeSummaryView,
  thawNoticeView,
  thawReceipt,
} from './views'
