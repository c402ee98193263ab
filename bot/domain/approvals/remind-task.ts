import { z } from 'zod'
import { sendText } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { appendTimeline } from './internal/timeline'
import { newChanges } from './internal/transitions'
import { batched } from './internal/write-batch'
import { publish } from './publish'
import { loadTask, loadUsers, lockInstance } from './store'

export const TaskJobInput = z.object({ taskId: z.string(), taskVersion: z.number().int() })
export type TaskJobInput = z.infer<typeof TaskJobInput>

/**
 * The scheduled reminder (job `approval.remind`). Re-checks the state first: if the task was decided,
 * transferred or re-activated since the job was scheduled, it does nothing.
 */
export async function remindTask({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: TaskJobInput
}): Promise<'reminded' | 'stale'> {
  const { taskId, taskVersion } = TaskJobInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const first = await loadTask(c, taskId).catch(() => null)
      if (first?.status !== 'pending' || first.version !== taskVersion) return 'stale'
      const ins = await lockInstance(c, first.instanceId)
      const task = await loadTask(c, taskId)
      if (ins.status !== 'pending' || task.status !== 'pending' || task.version !== taskVersion)
        return 'stale'
      const users = await loadUsers(c, [task.assigneeId])
      const locale = users.get(task.assigneeId)?.locale ?? 'zh-CN'
      await appendTimeline(c, {
        instanceId: ins.id,
        taskId,
        action: 'remind',
        actorId: null,
        after: { to: task.assigneeId },
      })
      await sendText(c, {
        to: { userId: task.assigneeId },
        locale,
        text:
          locale === 'en'
            ? `Reminder: "${ins.title}" is waiting for your approval.`
            : `提醒：「${ins.title}」等待你审批。`,
      })
      const ch = newChanges()
      ch.resend.add(taskId)
      await publish(c, ins, ch)
      return 'reminded'
    }),
  )
}
