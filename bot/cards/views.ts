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
 * time (jobs/processors/send.ts), in the reader's language and time zone. A new view kind adds one line here.
 */
export const presenters: readonly Presenter[] = [
  defineView(approvalTaskView, (d, locale, zone) =>
    approvalTaskCard(thawApprovalView(d.view), d.taskId, locale, zone),
  ),
  defineView(approvalProgressView, (d, locale, zone) =>
    approvalProgressCard(thawApprovalView(d.view), locale, zone, d.failed),
  ),
  defineView(approvalCcView, (d, locale, zone) => approvalCcCard(thawApprovalView(d.view), locale, zone)),
  defineView(approvalResultView, (d, locale) =>
    approvalResultCard(thawApprovalView(d.view), locale, d.failed),
  ),
  defineView(approvalWebhookFailedView, (d, locale) => approvalWebhookFailedCard(d, locale)),
  defineView(poolWarningView, (d, locale, zone) =>
    poolWarningCard({ ...d, dueAt: new Date(d.dueAt) }, locale, zone),
  ),
  defineView(noticeSummaryView, (d, locale) => noticeSummaryCard(d.notice, d.counts, locale)),
  defineView(ticketCardView, (d, locale, zone) => serviceTicketCard(d, locale, zone)),
  defineView(noticeRecipientView, (d, locale, zone) =>
    noticeRecipientCard(thawNoticeView(d.notice, locale), locale, zone, thawReceipt(d.receipt)),
  ),
  defineView(noticeChatView, (d, locale, zone) =>
    noticeChatCard(thawNoticeView(d.notice, locale), locale, zone),
  ),
  defineView(noticeReminderView, (d, locale) => noticeReminderCard(thawNoticeView(d.notice, locale), locale)),
  defineView(noticeRetractedView, (d, locale) => noticeRetractedCard(d, locale)),
  defineView(followUpReminderView, (d, locale, zone) =>
    followUpReminderCard({ ...d, dueAt: new Date(d.dueAt) }, locale, zone),
  ),
  defineView(morningBriefView, (d, locale, zone) => morningBriefCard(d, locale, zone)),
  defineView(teamDigestView, (d, locale, zone) => teamDigestCard(d, locale, zone)),
]

/** Renders a recorded view in a language and time zone. */
export const renderView = viewRenderer(presenters)
