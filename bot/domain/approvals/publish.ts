import { type Destination, notifyMessage, updateViewMessage } from '../chat/send'
import type { View } from '../chat/view'
import type { ServiceContext } from '../context'
import type { OutboxMessage } from '../outbox'
import { queueFinishedWebhook } from './external/webhooks'
import type { Changes } from './internal/transitions'
import { emitInBatch } from './internal/write-batch'
import { recordStartOf } from './on-finished'
import type { InstanceRow, TaskRow } from './store'
import { type ApprovalView, loadView } from './view'
import {
  approvalCcView,
  approvalProgressView,
  approvalResultView,
  approvalTaskView,
  freezeApprovalView,
} from './views'

export const APPROVAL_REMIND = 'approval.remind'
export const APPROVAL_ESCALATE = 'approval.escalate'
/** Hook point: emitted when an instance ends (approved, rejected, withdrawn, cancelled). */
export const APPROVAL_FINISHED = 'approval.finished'

export const taskRef = (instanceId: string, taskId: string) => `approval:${instanceId}:task:${taskId}`
export const progressRef = (instanceId: string) => `approval:${instanceId}:progress`
export const ccRef = (instanceId: string, userId: string) => `approval:${instanceId}:cc:${userId}`

/**
 * Emits every notification this change needs, through the outbox and at the instance's new version: new
 * approver cards (with their reminder and escalation jobs), updates of changed task cards, the initiator's
 * progress card, CC cards, the result announcement, and the `approval.finished` hook. Each carries the view
 * frozen at this version; the cards are rendered when sent, in each reader's language.
 */
export async function publish(
  ctx: ServiceContext,
  ins: InstanceRow,
  ch: Changes,
  knownTasks?: TaskRow[],
): Promise<ApprovalView> {
  const view = await loadView(ctx, ins, knownTasks)
  const version = ins.version
  const now = ctx.clock.now().getTime()
  const settings = view.template.settings
  // One outbox insert for everything: the same rows `notify` / `updateView` write, batched.
  const out: OutboxMessage[] = []
  const snapshot = freezeApprovalView(view)
  const send = (to: Destination, v: View, ref?: string) => {
    out.push(notifyMessage(ctx, { to, view: v, ...(ref ? { ref, version } : {}) }))
  }
  const update = (ref: string, v: View) => {
    out.push(updateViewMessage(ctx, { ref, view: v, version }))
  }
  const taskView = (taskId: string) => approvalTaskView({ view: snapshot, taskId })
  for (const id of ch.newPending) {
    const task = view.tasks.find((t) => t.id === id)
    if (task?.status !== 'pending') continue
    send({ userId: task.assigneeId }, taskView(id), taskRef(ins.id, id))
    const payload = { tenantId: ctx.tenantId, taskId: id, taskVersion: task.version }
    if (settings.remindAfterHours) {
      out.push({
        topic: APPROVAL_REMIND,
        payload,
        availableAt: new Date(now + settings.remindAfterHours * 3600_000),
      })
    }
    if (settings.escalateAfterHours) {
      out.push({
        topic: APPROVAL_ESCALATE,
        payload,
        availableAt: new Date(now + settings.escalateAfterHours * 3600_000),
      })
    }
  }
  for (const id of ch.resend) {
    const task = view.tasks.find((t) => t.id === id)
    if (task?.status !== 'pending') continue
    send({ userId: task.assigneeId }, taskView(id), taskRef(ins.id, id))
  }
  for (const id of ch.touched) {
    if (ch.newPending.has(id)) continue
    const task = view.tasks.find((t) => t.id === id)
    if (!task) continue
    update(taskRef(ins.id, id), taskView(id))
  }
  const progress = approvalProgressView({ view: snapshot })
  if (ch.started) send({ userId: ins.initiatorId }, progress, progressRef(ins.id))
  else update(progressRef(ins.id), progress)
  const ccUsers = new Set(view.tasks.filter((t) => t.kind === 'cc').map((t) => t.assigneeId))
  for (const userId of ccUsers) {
    const card = approvalCcView({ view: snapshot })
    const isNew = view.tasks.some((t) => t.kind === 'cc' && t.assigneeId === userId && ch.newCc.has(t.id))
    const alreadyHad = view.tasks.some(
      (t) => t.kind === 'cc' && t.assigneeId === userId && !ch.newCc.has(t.id),
    )
    if (isNew && !alreadyHad) send({ userId }, card, ccRef(ins.id, userId))
    else update(ccRef(ins.id, userId), card)
  }
  // A domain that applies an approved request itself announces its result once it did (回款审批).
  const ownResult = ins.status === 'approved' && recordStartOf(view.template.key)?.announcesApproval
  if (ch.announce && !ownResult) {
    const result = approvalResultView({ view: snapshot })
    send({ userId: ins.initiatorId }, result)
    if (settings.resultChatId && ins.status !== 'returned') send({ chatId: settings.resultChatId }, result)
  }
  if (ch.finished) {
    out.push({
      topic: APPROVAL_FINISHED,
      payload: {
        tenantId: ctx.tenantId,
        instanceId: ins.id,
        templateKey: view.template.key,
        status: ins.status,
        businessRef: ins.businessRef,
      },
    })
  }
  if (ch.finished && ins.external) out.push(...(await queueFinishedWebhook(ctx, ins, view)))
  await emitInBatch(ctx, out)
  return view
}
