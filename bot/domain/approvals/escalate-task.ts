import { and, eq } from 'drizzle-orm'
import { users } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { DomainError } from '../errors'
import { approveTask } from './approve-task'
import { rejectTask } from './reject-task'
import { type TaskJobInput, TaskJobInput as TaskJobSchema } from './remind-task'
import { loadAdminIds, loadInstance, loadTask, loadTemplateVersion } from './store'
import { transferTask } from './transfer-task'

/**
 * The scheduled escalation (job `approval.escalate`): after the template's Y hours a still-pending task is
 * approved or rejected automatically, or handed to the approver's manager (else an admin). It re-checks
 * the state first and does nothing when the task moved on.
 */
export async function escalateTask({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: TaskJobInput
}): Promise<'approved' | 'rejected' | 'transferred' | 'stale'> {
  const { taskId, taskVersion } = TaskJobSchema.parse(input)
  const sys: ServiceContext = { ...ctx, actor: { kind: 'system', reason: 'approval escalation' } }
  const task = await loadTask(sys, taskId).catch(() => null)
  if (task?.status !== 'pending' || task.version !== taskVersion) return 'stale'
  // A cheap pre-check; the verb below re-checks under the instance lock.
  const ins = await loadInstance(sys, task.instanceId).catch(() => null)
  if (ins?.status !== 'pending') return 'stale'
  const tv = await loadTemplateVersion(sys, { templateId: ins.templateId, version: ins.templateVersion })
  try {
    switch (tv.settings.escalateAction) {
      case 'auto_approve':
        await approveTask({
          ctx: sys,
          input: {
            taskId,
            version: taskVersion,
            comment: '超时自动同意 / approved automatically after timeout',
          },
        })
        return 'approved'
      case 'auto_reject':
        await rejectTask({
          ctx: sys,
          input: {
            taskId,
            version: taskVersion,
            comment: '超时自动拒绝 / rejected automatically after timeout',
          },
        })
        return 'rejected'
      case 'to_manager': {
        const [assignee] = await sys.db
          .select({ managerId: users.managerId })
          .from(users)
          .where(and(eq(users.tenantId, sys.tenantId), eq(users.id, task.assigneeId)))
        const candidates = [assignee?.managerId, ...(await loadAdminIds(sys))].filter(
          (id): id is string => typeof id === 'string' && id !== task.assigneeId,
        )
        for (const to of candidates) {
          try {
            await transferTask({
              ctx: sys,
              input: {
                taskId,
                version: taskVersion,
                toUserId: to,
                comment: '超时转交上级 / escalated after timeout',
              },
            })
            return 'transferred'
          } catch (err) {
            if (err instanceof DomainError && err.code === 'invalid_input') continue
            throw err
          }
        }
        return 'stale'
      }
    }
  } catch (err) {
    // The task moved on between the check and the action: nothing to do.
    if (err instanceof DomainError && err.code === 'invalid_transition') return 'stale'
    throw err
  }
}
