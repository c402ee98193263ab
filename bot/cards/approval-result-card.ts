import type { Card, CardElement } from '../chat/model'
import { type ApprovalOutcomeNote, type ApprovalView, userName } from '../domain/approvals'
import type { Locale } from '../domain/locale'
import {
  detailPath,
  instanceStatusColor,
  instanceStatusText,
  keyFields,
  templateName,
} from './approval-common'
import { labelled, t } from './i18n'

/**
 * The result announcement to the initiator (and the template's group chat). `failed`: the request was
 * approved but its domain could not apply it; the card says that, in red, not 已通过.
 */
export function approvalResultCard(view: ApprovalView, locale: Locale, failed?: ApprovalOutcomeNote): Card {
  const ins = view.instance
  const status = instanceStatusText(locale, ins.status)
  const decider = [...view.tasks]
    .filter(
      (x) =>
        x.round === ins.round &&
        (x.status === 'rejected' || x.status === 'returned' || x.status === 'approved'),
    )
    .sort((a, b) => (b.decidedAt?.getTime() ?? 0) - (a.decidedAt?.getTime() ?? 0))[0]
  const text = failed
    ? t(locale, failed.text.zh, failed.text.en)
    : ins.status === 'approved'
      ? t(locale, '你的申请已通过审批。', 'Your request was approved.')
      : ins.status === 'rejected'
        ? t(
            locale,
            `你的申请被 ${userName(view, decider?.decidedBy, locale)} 拒绝。`,
            `Your request was rejected by ${userName(view, decider?.decidedBy, locale)}.`,
          )
        : ins.status === 'returned'
          ? t(
              locale,
              `你的申请被 ${userName(view, decider?.decidedBy, locale)} 退回，请修改后重新提交。`,
              `Your request was returned by ${userName(view, decider?.decidedBy, locale)}; edit and resubmit.`,
            )
          : t(locale, `申请${status}。`, `Request ${status.toLowerCase()}.`)
  const elements: CardElement[] = [{ type: 'markdown', text }, keyFields(view, locale)]
  if (decider?.comment)
    elements.push({ type: 'note', text: labelled(locale, t(locale, '意见', 'Comment'), decider.comment) })
  elements.push({
    type: 'actions',
    buttons: [{ text: t(locale, '查看详情', 'Details'), link: { path: detailPath(ins.id) } }],
  })
  const title = failed
    ? t(locale, failed.title.zh, failed.title.en)
    : t(
        locale,
        `${templateName(view, locale)}申请${status}`,
        `${templateName(view, locale)} request ${status.toLowerCase()}`,
      )
  return {
    header: { title, color: failed ? 'red' : instanceStatusColor(ins.status) },
    summary: title,
    elements,
    link: { path: detailPath(ins.id) },
  }
}
