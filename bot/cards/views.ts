import {
  approvalCcView,
  approvalProgressView,
  approvalResultView,
  approvalTaskView,
  approvalWebhookFailedView,
  thawApprovalView,
} from '../domain/approvals'
import { followUpReminderView, poolWarningView } from '../domain/crm'
import {
  noticeChatView,
  noticeRecipientView,
  noticeReminderView,
  noticeRetractedView,
  noticeSummaryView,
  thawNoticeView,
  thawReceipt,
} from '../domain/notices'
import { morningBriefView, teamDigestView } from '../domain/reports'
import { ticketCardView } from '../domain/service'
import { approvalCcCard } from './approval-cc-card'
import { approvalProgressCard } from './approval-progress-card'
import { approvalResultCard } from './approval-result-card'
import { approvalTaskCard } from './approval-task-card'
import { approvalWebhookFailedCard } from './approval-webhook-card'
import { poolWarningCard } from './customer-pool-card'
import { followUpReminderCard } from './customer-reminder-card'
import { morningBriefCard, teamDigestCard } from './digest-card'
import { noticeChatCard, noticeRecipientCard, noticeReminderCard, noticeRetractedCard } from './notice-card'
import { noticeSummaryCard } from './notice-summary-card'
import { serviceTicketCard } from './service-card'
import { defineView, type Presenter, viewRenderer } from './view'

/**
 * Every presenter of a recorded view, by kind: what `notify` / `updateView` rows are rendered with at send
 * time (jobs/processors/send.ts), in the reader's language. A new view kind adds one line here.
 */
export const presenters: readonly Presenter[] = [
  defineView(approvalTaskView, (d, locale) => approvalTaskCard(thawApprovalView(d.view), d.taskId, locale)),
  defineView(approvalProgressView, (d, locale) => approvalProgressCard(thawApprovalView(d.view), locale)),
  defineView(approvalCcView, (d, locale) => approvalCcCard(thawApprovalView(d.view), locale)),
  defineView(approvalResultView, (d, locale) => approvalResultCard(thawApprovalView(d.view), locale)),
  defineView(approvalWebhookFailedView, (d, locale) => approvalWebhookFailedCard(d, locale)),
  defineView(poolWarningView, (d, locale) => poolWarningCard({ ...d, dueAt: new Date(d.dueAt) }, locale)),
  defineView(noticeSummaryView, (d, locale) => noticeSummaryCard(d.notice, d.counts, locale)),
  defineView(ticketCardView, (d, locale) => serviceTicketCard(d, locale)),
  defineView(noticeRecipientView, (d, locale) =>
    noticeRecipientCard(thawNoticeView(d.notice, locale), locale, thawReceipt(d.receipt)),
  ),
  defineView(noticeChatView, (d, locale) => noticeChatCard(thawNoticeView(d.notice, locale), locale)),
  defineView(noticeReminderView, (d, locale) => noticeReminderCard(thawNoticeView(d.notice, locale), locale)),
  defineView(noticeRetractedView, (d, locale) => noticeRetractedCard(d, locale)),
  defineView(followUpReminderView, (d, locale) =>
    followUpReminderCard({ ...d, dueAt: new Date(d.dueAt) }, locale),
  ),
  defineView(morningBriefView, (d, locale) => morningBriefCard(d, locale)),
  defineView(teamDigestView, (d, locale) => teamDigestCard(d, locale)),
]

/** Renders a recorded view in a language. */
export const renderView = viewRenderer(presenters)
