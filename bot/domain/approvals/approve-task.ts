import { type ServiceContext, withTransaction } from '../context'
import { openTaskAction } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { afterApproval, casTask, commitInstance, newChanges } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { DecideTaskInput } from './schemas'
import type { ApprovalView } from './view'

/**
 * 同意. The task leaves `pending` by compare-and-set, so of two simultaneous taps exactly one wins; the
 * other gets an InvalidTransitionError naming who handled it. That error is only ever thrown before the
 * first write (by the checks or by the compare-and-set itself), so a caller may answer it and commit. The step then advances (或签 closes the
 * peers' tasks, 会签 waits for the rest, 依次 hands over) and every affected card is updated via the outbox.
 */
export async function approveTask({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: DecideTaskInput
}): Promise<{ view: ApprovalView; taskId: string }> {
  const { taskId, comment, version } = DecideTaskInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const { task, w, older } = await openTaskAction(c, taskId)
      const auto = c.actor.kind === 'system' ? ('escalation' as const) : null
      const done = await casTask(c, task, { status: 'approved', comment: comment ?? null, auto }, version)
      await Promise.all([
        appendTimeline(c, {
          instanceId: task.instanceId,
          taskId,
          action: auto ? 'auto_approve' : 'approve',
          comment: comment ?? null,
          before: { status: 'pending' },
          after: { status: 'approved', ...(auto ? { auto } : {}) },
          ...(auto ? { actorId: null } : {}),
        }),
        auditInBatch(c, {
          action: 'approval.approve',
          targetType: 'approval_task',
          targetId: taskId,
          before: { status: 'pending' },
          after: { status: 'approved' },
        }),
      ])
      const ch = newChanges()
      ch.touched.add(taskId)
      await afterApproval(c, w, done, ch)
      const committed = await commitInstance(c, w)
      // The round does not change here, so the transaction's own task rows are complete.
      return { view: await publish(c, committed, ch, [...older, ...w.tasks]), taskId }
    }),
  )
}
