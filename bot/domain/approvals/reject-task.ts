import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { openTaskAction } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { casTask, commitInstance, finish, newChanges, replaceTasks } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { DecideTaskInput } from './schemas'
import type { ApprovalView } from './view'

/**
 * 拒绝. One rejection ends the request (in every mode); the other open tasks close with it. The reason is
 * required whichever channel the approver uses.
 */
export async function rejectTask({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: DecideTaskInput
}): Promise<{ view: ApprovalView; taskId: string }> {
  const { taskId, comment, version } = DecideTaskInput.parse(input)
  if (!comment) throw new InvalidInputError('comment', '拒绝时请填写理由 / a reason is required to reject')
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const { task, w, older } = await openTaskAction(c, taskId)
      const done = await casTask(c, task, { status: 'rejected', comment: comment ?? null }, version)
      replaceTasks(w, [done])
      await Promise.all([
        appendTimeline(c, {
          instanceId: task.instanceId,
          taskId,
          action: 'reject',
          comment: comment ?? null,
          before: { status: 'pending' },
          after: { status: 'rejected' },
          ...(c.actor.kind === 'system' ? { actorId: null } : {}),
        }),
        auditInBatch(c, {
          action: 'approval.reject',
          targetType: 'approval_task',
          targetId: taskId,
          before: { status: 'pending' },
          after: { status: 'rejected' },
        }),
      ])
      const ch = newChanges()
      ch.touched.add(taskId)
      await finish(c, w, 'rejected', ch)
      const committed = await commitInstance(c, w)
      // The round does not change here, so the transaction's own task rows are complete.
      return { view: await publish(c, committed, ch, [...older, ...w.tasks]), taskId }
    }),
  )
}
