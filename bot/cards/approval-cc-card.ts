import type { Card } from '../chat/model'
import { type ApprovalView, userName } from '../domain/approvals'
import type { Locale } from '../domain/locale'
import {
  detailPath,
  footerButtons,
  instanceStatusColor,
  instanceStatusText,
  keyFields,
  templateName,
} from './approval-common'
import { progressSteps } from './approval-progress-card'
import { t } from './i18n'

/** The CC card: the request and where it stands; no buttons but the link. */
export function approvalCcCard(view: ApprovalView, locale: Locale, timeZone: string): Card {
  const ins = view.instance
  const link = { path: detailPath(ins.id) }
  const status = instanceStatusText(locale, ins.status)
  const title = t(
    locale,
    `抄送：${userName(view, ins.initiatorId, locale)}的${templateName(view, locale)}申请`,
    `CC: ${templateName(view, locale)} request from ${userName(view, ins.initiatorId, locale)}`,
  )
  return {
    header: {
      title,
      color: instanceStatusColor(ins.status),
      tags: [{ text: status, color: instanceStatusColor(ins.status) }],
    },
    summary: title,
    elements: [
      keyFields(view, locale),
      { type: 'steps', steps: progressSteps(view, locale, timeZone) },
      { type: 'actions', buttons: footerButtons(view, locale) },
    ],
    link,
  }
}
