import type { Card, CardElement } from '../chat/model'
import { type ApprovalOutcomeNote, type ApprovalView, currentTasks, userName } from '../domain/approvals'
import type { Locale } from '../domain/locale'
import {
  detailPath,
  footerButtons,
  formatTime,
  instanceStatusColor,
  instanceStatusText,
  keyFields,
  stepName,
  templateName,
} from './approval-common'
import { t } from './i18n'

type StepState = 'done' | 'current' | 'waiting' | 'rejected' | 'skipped'

/** Each step of the flow with its state and people (✓ approved, ✗ rejected, … pending). */
export function progressSteps(view: ApprovalView, locale: Locale, timeZone: string) {
  const ins = view.instance
  const tasks = currentTasks(view)
  const steps: Array<{ title: string; detail?: string; state: StepState }> = [
    {
      title: t(locale, '发起申请', 'Submitted'),
      detail: `${userName(view, ins.initiatorId, locale)}  ${formatTime(ins.createdAt, timeZone)}`,
      state: 'done',
    },
  ]
  for (const [i, step] of view.plan.entries()) {
    const own = tasks.filter((x) => x.stepIndex === i)
    let state: StepState
    if (step.skipped) state = 'skipped'
    else if (own.some((x) => x.status === 'rejected' || x.status === 'returned')) state = 'rejected'
    else if (ins.status === 'approved' || i < ins.stepIndex) state = 'done'
    else if (i === ins.stepIndex && ins.status === 'pending') state = step.type === 'cc' ? 'done' : 'current'
    else state = 'waiting'
    const people = own.length
      ? own
          .filter((x) => x.status !== 'transferred')
          .map((x) => `${userName(view, x.assigneeId, locale)}${mark(x.status)}`)
          .join(t(locale, '、', ', '))
      : step.skipped
        ? t(locale, '无审批人，已跳过', 'nobody to approve, skipped')
        : step.approverIds.map((id) => userName(view, id, locale)).join(t(locale, '、', ', '))
    const mode =
      step.type === 'cc'
        ? t(locale, '抄送', 'CC')
        : step.approverIds.length > 1
          ? {
              sequential: t(locale, '依次审批', 'in turn'),
              all: t(locale, '会签', 'all must approve'),
              any: t(locale, '或签', 'any one'),
            }[step.mode]
          : ''
    steps.push({ title: `${stepName(step, locale)}${mode ? ` · ${mode}` : ''}`, detail: people, state })
  }
  const last = ins.status === 'approved' ? 'done' : ins.status === 'pending' ? 'waiting' : 'rejected'
  steps.push({ title: t(locale, '结束', 'End'), detail: instanceStatusText(locale, ins.status), state: last })
  return steps
}

const mark = (status: string): string =>
  ({ approved: ' ✓', rejected: ' ✗', returned: ' ↩', pending: ' …', cc: '', waiting: '', cancelled: ' –' })[
    status
  ] ?? ''

/**
 * The initiator's card: the request, every step and its state, updated at each change. While pending it
 * offers 催办 and 撤回; when returned, resubmission.
 */
export function approvalProgressCard(
  view: ApprovalView,
  locale: Locale,
  timeZone: string,
  failed?: ApprovalOutcomeNote,
): Card {
  const ins = view.instance
  const link = { path: detailPath(ins.id) }
  // Approved but not applied by its domain (回款审批: 未能入账): the card ends on that, in red, with why.
  const status = failed ? t(locale, '未能入账', 'Not recorded') : instanceStatusText(locale, ins.status)
  const color = failed ? 'red' : instanceStatusColor(ins.status)
  const elements: CardElement[] = [
    ...(failed ? [{ type: 'markdown' as const, text: t(locale, failed.text.zh, failed.text.en) }] : []),
    keyFields(view, locale),
    { type: 'steps', steps: progressSteps(view, locale, timeZone) },
  ]
  if (ins.status === 'pending') {
    elements.push({
      type: 'actions',
      buttons: [
        { text: t(locale, '催办', 'Nudge'), action: { a: 'approval.urge', ins: ins.id, v: ins.version } },
        {
          text: t(locale, '撤回', 'Withdraw'),
          style: 'danger',
          action: { a: 'approval.withdraw', ins: ins.id, v: ins.version },
          confirm: {
            title: t(locale, '撤回申请？', 'Withdraw?'),
            text: t(locale, '撤回后审批人无需再处理。', 'Approvers will no longer need to act.'),
          },
        },
        ...footerButtons(view, locale),
      ],
    })
  } else if (ins.status === 'returned') {
    elements.push({
      type: 'actions',
      buttons: [
        {
          text: t(locale, '重新提交', 'Resubmit'),
          style: 'primary',
          action: { a: 'approval.resubmit', ins: ins.id, v: ins.version },
        },
        {
          text: t(locale, '修改后提交', 'Edit and resubmit'),
          link: { path: `${detailPath(ins.id)}/resubmit` },
        },
        {
          text: t(locale, '撤回', 'Withdraw'),
          style: 'danger',
          action: { a: 'approval.withdraw', ins: ins.id, v: ins.version },
        },
      ],
    })
  } else {
    elements.push({ type: 'actions', buttons: footerButtons(view, locale) })
  }
  const title = t(locale, `我的${templateName(view, locale)}申请`, `My ${templateName(view, locale)} request`)
  return {
    header: { title, color, tags: [{ text: status, color }] },
    summary: `${title} · ${status}`,
    elements,
    link,
  }
}
