import type { Card, CardElement } from '../chat/model'
import { type ApprovalView, userName } from '../domain/approvals'
import type { Locale } from '../domain/locale'
import {
  detailPath,
  footerButtons,
  formatTime,
  instanceStatusText,
  keyFields,
  stepName,
  templateName,
} from './approval-common'
import { labelled, t } from './i18n'

/**
 * The approver's card for one task. While the task is pending: the key fields, a comment input and
 * 同意 / 拒绝 buttons (carrying the task id and version). Afterwards: the final state for this approver —
 * "已同意", "已被 李明 处理", "申请人已撤回" — with no buttons.
 */
export function approvalTaskCard(view: ApprovalView, taskId: string, locale: Locale, timeZone: string): Card {
  const task = view.tasks.find((x) => x.id === taskId)
  const title = t(
    locale,
    `${userName(view, view.instance.initiatorId, locale)}的${templateName(view, locale)}申请`,
    `${templateName(view, locale)} request from ${userName(view, view.instance.initiatorId, locale)}`,
  )
  const link = { path: detailPath(view.instance.id) }
  const elements: CardElement[] = [
    keyFields(view, locale),
    {
      type: 'note',
      text: `${t(locale, '提交于', 'Submitted')} ${formatTime(view.instance.createdAt, timeZone)}`,
    },
  ]
  if (!task) {
    return { header: { title, color: 'grey' }, elements, link }
  }
  const step = view.plan[task.stepIndex]
  const stepLine = step ? t(locale, `审批节点：${step.name}`, `Step: ${stepName(step, locale)}`) : ''
  if (task.status === 'pending' && view.instance.status === 'pending') {
    const earlier = earlierComments(view, task.id, locale)
    if (earlier) elements.push({ type: 'markdown', text: earlier })
    elements.push(
      { type: 'note', text: stepLine },
      {
        type: 'form',
        name: `decide_${task.id}`,
        inputs: [
          {
            type: 'textarea',
            name: 'comment',
            label: t(locale, '审批意见', 'Comment'),
            placeholder: t(locale, '拒绝、退回时必填', 'Required to reject or return'),
            maxLength: 1000,
          },
        ],
        buttons: [
          {
            text: t(locale, '同意', 'Approve'),
            style: 'primary',
            action: { a: 'approval.approve', task: task.id, v: task.version },
          },
          {
            text: t(locale, '拒绝', 'Reject'),
            style: 'danger',
            action: { a: 'approval.reject', task: task.id, v: task.version },
            confirm: {
              title: t(locale, '确认拒绝？', 'Reject this request?'),
              text: t(
                locale,
                '拒绝后申请结束，申请人会看到你填写的理由。',
                'The request ends; the applicant sees the reason you entered.',
              ),
            },
          },
          {
            text: t(locale, '退回', 'Return'),
            action: { a: 'approval.return', task: task.id, v: task.version },
            confirm: {
              title: t(locale, '确认退回？', 'Return this request?'),
              text: t(
                locale,
                '申请将退回给申请人修改后重新提交，申请人会看到你填写的理由。',
                'The applicant gets it back to change and resubmit, with the reason you entered.',
              ),
            },
          },
        ],
      },
      {
        type: 'actions',
        // Transferring and adding a signer need a person picked from the whole company: the detail page has
        // the picker, so the card keeps to the decision (as Feishu's approval card does).
        buttons: footerButtons(view, locale).map((b, i) =>
          i === 0 ? { ...b, text: t(locale, '详情（转交、加签）', 'Details (transfer, add signer)') } : b,
        ),
      },
    )
    return {
      header: { title, color: 'blue', tags: [{ text: t(locale, '待审批', 'To approve'), color: 'blue' }] },
      summary: title,
      elements,
      link,
    }
  }
  const by = userName(view, task.decidedBy, locale)
  const when = formatTime(task.decidedAt, timeZone)
  let state: { text: string; color: 'green' | 'red' | 'grey' | 'orange'; tag: string }
  switch (task.status) {
    case 'approved':
      state = {
        text: task.auto
          ? t(
              locale,
              `已自动同意（${autoText(task.auto, 'zh-CN')}）`,
              `Approved automatically (${autoText(task.auto, 'en')})`,
            )
          : t(locale, `${by} 已同意  ${when}`, `Approved by ${by}  ${when}`),
        color: 'green',
        tag: t(locale, '已同意', 'Approved'),
      }
      break
    case 'rejected':
      state = {
        text: t(locale, `${by} 已拒绝  ${when}`, `Rejected by ${by}  ${when}`),
        color: 'red',
        tag: t(locale, '已拒绝', 'Rejected'),
      }
      break
    case 'returned':
      state = {
        text: t(locale, `${by} 已退回  ${when}`, `Returned by ${by}  ${when}`),
        color: 'orange',
        tag: t(locale, '已退回', 'Returned'),
      }
      break
    case 'transferred': {
      const to = view.tasks.find((x) => x.parentTaskId === task.id && x.origin === 'transfer')
      state = {
        text: t(
          locale,
          `已转交给 ${userName(view, to?.assigneeId, locale)}`,
          `Transferred to ${userName(view, to?.assigneeId, locale)}`,
        ),
        color: 'grey',
        tag: t(locale, '已转交', 'Transferred'),
      }
      break
    }
    case 'waiting': {
      const before = view.tasks.find(
        (x) => x.parentTaskId === task.id && x.origin === 'add_before' && x.status === 'pending',
      )
      state = before
        ? {
            text: t(
              locale,
              `已加签给 ${userName(view, before.assigneeId, locale)}，其同意后再由你审批`,
              `Added ${userName(view, before.assigneeId, locale)} before you; your turn comes after`,
            ),
            color: 'grey',
            tag: t(locale, '等待中', 'Waiting'),
          }
        : {
            text: t(locale, '还没轮到你审批', 'Not your turn yet'),
            color: 'grey',
            tag: t(locale, '等待中', 'Waiting'),
          }
      break
    }
    default: {
      // cancelled: a peer decided (或签), or the request ended (withdrawn / cancelled / rejected elsewhere).
      const ins = view.instance
      const text =
        task.decidedBy && task.decidedBy !== ins.initiatorId
          ? t(locale, `已被 ${by} 处理`, `Handled by ${by}`)
          : ins.status === 'withdrawn'
            ? t(locale, '申请人已撤回', 'Withdrawn by the applicant')
            : t(
                locale,
                `无需处理（${instanceStatusText('zh-CN', ins.status)}）`,
                `No action needed (${instanceStatusText('en', ins.status)})`,
              )
      state = { text, color: 'grey', tag: t(locale, '已处理', 'Closed') }
    }
  }
  if (task.comment && !task.auto)
    elements.push({ type: 'markdown', text: labelled(locale, t(locale, '意见', 'Comment'), task.comment) })
  elements.push(
    { type: 'note', text: `${state.text}${stepLine ? ` · ${stepLine}` : ''}` },
    { type: 'actions', buttons: footerButtons(view, locale) },
  )
  return {
    header: { title, color: state.color, tags: [{ text: state.tag, color: state.color }] },
    summary: title,
    elements,
    link,
  }
}

/** What earlier approvers of this round said (the context an approver needs before deciding). */
function earlierComments(view: ApprovalView, taskId: string, locale: Locale): string {
  const mine = view.tasks.find((x) => x.id === taskId)
  const lines = view.tasks
    .filter(
      (x) => x.id !== taskId && x.comment && !x.auto && x.decidedAt && (!mine || x.round === mine.round),
    )
    .map(
      (x) =>
        `${userName(view, x.decidedBy ?? x.assigneeId, locale)}${t(locale, '：', ': ')}${x.comment?.slice(0, 200)}`,
    )
  return lines.length ? `**${t(locale, '前序意见', 'Earlier comments')}**\n${lines.join('\n')}` : ''
}

const autoText = (auto: string, locale: Locale): string =>
  ({
    dedupe: t(locale, '审批人去重', 'same approver'),
    initiator: t(locale, '审批人为发起人', 'approver is the applicant'),
    escalation: t(locale, '超时自动处理', 'timed out'),
  })[auto] ?? auto
