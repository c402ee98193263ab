import { and, eq, sql } from 'drizzle-orm'
import { approvalTasks } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { openTaskAction } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { commitInstance, handledMessage, newChanges, replaceTasks } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { AddSignerInput } from './schemas'
import { loadTask } from './store'
import { checkNewAssignee } from './transfer-task'
import type { ApprovalView } from './view'

/**
 * 加签. Before: the added person decides first and the task comes back to its owner afterwards. After: the
 * owner decides, then the added person (the step does not pass until they approve).
 */
export async function addSigner({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: AddSignerInput
}): Promise<{ view: ApprovalView; taskId: string; newTaskId: string }> {
  const { taskId, comment, version, userId, position } = AddSignerInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const { task, ins, w } = await openTaskAction(c, taskId)
      const added = await checkNewAssignee(c, w, task, userId, 'userId')
      const ch = newChanges()
      if (position === 'before') {
        // Compare-and-set: the task steps back to waiting only if it is still pending at the card's version.
        const [paused] = await c.db
          .update(approvalTasks)
          .set({ status: 'waiting', version: sql`${approvalTasks.version} + 1` })
          .where(
            and(
              eq(approvalTasks.tenantId, c.tenantId),
              eq(approvalTasks.id, task.id),
              eq(approvalTasks.status, 'pending'),
              ...(version !== undefined ? [eq(approvalTasks.version, version)] : []),
            ),
          )
          .returning()
        if (!paused) throw new InvalidTransitionError(await handledMessage(c, await loadTask(c, task.id)))
        replaceTasks(w, [paused])
        ch.touched.add(task.id)
      }
      const newTaskId = newId('tsk')
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
          assigneeId: userId,
          status: position === 'before' ? 'pending' : 'waiting',
          origin: position === 'before' ? 'add_before' : 'add_after',
          parentTaskId: task.id,
          activatedAt: position === 'before' ? c.clock.now() : null,
        })
        .returning()
      if (created) replaceTasks(w, [created])
      if (position === 'before') ch.newPending.add(newTaskId)
      await appendTimeline(c, {
        instanceId: ins.id,
        taskId,
        action: 'add_sign',
        comment: comment ?? null,
        after: { position, userId, name: added.name, task: newTaskId },
      })
      await auditInBatch(c, {
        action: 'approval.add_sign',
        targetType: 'approval_task',
        targetId: taskId,
        after: { position, userId },
      })
      const committed = await commitInstance(c, w)
      return { view: await publish(c, committed, ch), taskId, newTaskId }
    }),
  )
}
