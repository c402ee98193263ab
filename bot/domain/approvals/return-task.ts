import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { openTaskAction } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import {
  activateFrom,
  casTask,
  commitInstance,
  newChanges,
  replaceTasks,
  setOpenTasks,
} from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { ReturnTaskInput } from './schemas'
import { planOf } from './store'
import type { ApprovalView } from './view'

/**
 * 退回. Back to the initiator (the request waits for an edit and resubmission), or back to an earlier
 * approval node (a new round starts there; approvals of the old round no longer count).
 */
export async function returnTask({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ReturnTaskInput
}): Promise<{ view: ApprovalView; taskId: string }> {
  const { taskId, comment, version, toNodeId } = ReturnTaskInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const { task, ins, w } = await openTaskAction(c, taskId)
      const plan = planOf(ins)
      let target = -1
      if (toNodeId) {
        target = plan.findIndex(
          (s, i) => s.nodeId === toNodeId && i < task.stepIndex && s.type === 'approval' && !s.skipped,
        )
        if (target < 0) {
          throw new InvalidInputError(
            'toNodeId',
            `只能退回到之前的审批节点 / ${toNodeId} is not an earlier approval node`,
          )
        }
      }
      const done = await casTask(c, task, { status: 'returned', comment: comment ?? null }, version)
      replaceTasks(w, [done])
      const ch = newChanges()
      ch.touched.add(taskId)
      for (const t of await setOpenTasks(c, w, 'cancelled')) ch.touched.add(t.id)
      await appendTimeline(c, {
        instanceId: ins.id,
        taskId,
        action: 'return',
        comment: comment ?? null,
        before: { status: 'pending', step: plan[task.stepIndex]?.nodeId },
        after: { to: toNodeId ?? 'initiator' },
      })
      await auditInBatch(c, {
        action: 'approval.return',
        targetType: 'approval_task',
        targetId: taskId,
        after: { to: toNodeId ?? 'initiator' },
      })
      if (target >= 0) {
        w.patch.round = ins.round + 1
        w.tasks = []
        await activateFrom(c, w, target, ch)
      } else {
        w.patch.status = 'returned'
        ch.announce = true
      }
      const committed = await commitInstance(c, w)
      return { view: await publish(c, committed, ch), taskId }
    }),
  )
}
