import { and, eq, inArray } from 'drizzle-orm'
import { approvalTasks } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { openTaskAction } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { casTask, commitInstance, newChanges, replaceTasks, type Working } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { TransferTaskInput } from './schemas'
import { loadUsers, type TaskRow } from './store'
import type { ApprovalView } from './view'

/** The new assignee must be an active colleague without an open task on the same step. */
export async function checkNewAssignee(
  ctx: ServiceContext,
  w: Working,
  task: TaskRow,
  userId: string,
  field: string,
) {
  const users = await loadUsers(ctx, [userId])
  const u = users.get(userId)
  if (!u) throw new InvalidInputError(field, `用户不存在 / unknown user ${userId}`)
  if (u.status !== 'active')
    throw new InvalidInputError(field, `${u.name} 已离职，请选择其他人 / ${u.name} has left the company`)
  const busy = w.tasks.some(
    (t) =>
      t.stepIndex === task.stepIndex &&
      t.assigneeId === userId &&
      (t.status === 'pending' || t.status === 'waiting'),
  )
  if (busy || userId === task.assigneeId) {
    throw new InvalidInputError(
      field,
      `${u.name} 已在此节点审批 / ${u.name} is already an approver of this step`,
    )
  }
  return u
}

/**
 * 转交. The task passes to another person, who gets their own card; the old card shows where it went. An
 * approval admin may transfer anyone's task (the way out when an approver has left).
 */
export async function transferTask({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: TransferTaskInput
}): Promise<{ view: ApprovalView; taskId: string; newTaskId: string }> {
  const { taskId, comment, version, toUserId } = TransferTaskInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const { task, ins, w } = await openTaskAction(c, taskId, { allowAdmin: true })
      const to = await checkNewAssignee(c, w, task, toUserId, 'toUserId')
      const done = await casTask(c, task, { status: 'transferred', comment: comment ?? null }, version)
      const newTaskId = newId('tsk')
      const keepsLink = task.origin === 'add_before' || task.origin === 'add_after'
      const [created] = await c.db
        .insert(approvalTasks)
        .values({
          id: newTaskId,
          tenantId: c.tenantId,
          instanceId: ins.id,
          stepIndex: task.stepIndex,
          nodeId: task.nodeId,
          round: task.round,
          kind: 'approve',
          seq: task.seq,
          assigneeId: toUserId,
          status: 'pending',
          origin: keepsLink ? task.origin : 'transfer',
          parentTaskId: keepsLink ? task.parentTaskId : task.id,
          activatedAt: c.clock.now(),
        })
        .returning()
      // Add-signs hanging on the old task now hang on the new one.
      const moved = await c.db
        .update(approvalTasks)
        .set({ parentTaskId: newTaskId })
        .where(
          and(
            eq(approvalTasks.tenantId, c.tenantId),
            eq(approvalTasks.parentTaskId, task.id),
            inArray(approvalTasks.origin, ['add_before', 'add_after']),
          ),
        )
        .returning()
      replaceTasks(w, [done, ...(created ? [created] : []), ...moved])
      await appendTimeline(c, {
        instanceId: ins.id,
        taskId,
        action: 'transfer',
        comment: comment ?? null,
        before: { assignee: task.assigneeId },
        after: { assignee: toUserId, name: to.name, task: newTaskId },
      })
      await auditInBatch(c, {
        action: 'approval.transfer',
        targetType: 'approval_task',
        targetId: taskId,
        before: { assignee: task.assigneeId },
        after: { assignee: toUserId },
      })
      const ch = newChanges()
      ch.touched.add(taskId)
      ch.newPending.add(newTaskId)
      const committed = await commitInstance(c, w)
      return { view: await publish(c, committed, ch), taskId, newTaskId }
    }),
  )
}
