import { and, eq } from 'drizzle-orm'
import { approvalTasks } from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { ForbiddenError, InvalidTransitionError, NotFoundError } from '../../errors'
import {
  type InstanceRow,
  isApprovalAdmin,
  loadTemplateVersion,
  loadUsers,
  lockInstanceOfTaskWithTasks,
  type TaskRow,
} from '../store'
import { handledMessage, type Working } from './transitions'

export const instanceEndedText: Record<string, string> = {
  approved: '申请已通过 / the request was already approved',
  rejected: '申请已被拒绝 / the request was already rejected',
  returned: '申请已被退回 / the request was returned',
  withdrawn: '申请人已撤回 / the applicant withdrew the request',
  cancelled: '申请已撤销 / the request was cancelled',
}

/**
 * Opens a task action: locks the instance (every change of one instance is serialised, so 会签 counting and
 * step advancement read settled rows), re-reads the task, and checks that the actor is its assignee (a
 * system actor — escalation — may act on any task). State is checked by the compare-and-set that follows.
 */
export async function openTaskAction(
  ctx: ServiceContext,
  taskId: string,
  options: { allowAdmin?: boolean } = {},
): Promise<{ task: TaskRow; ins: InstanceRow; w: Working; older: TaskRow[] }> {
  const { ins, tasks: all } = await lockInstanceOfTaskWithTasks(ctx, taskId)
  const tv = await loadTemplateVersion(ctx, { templateId: ins.templateId, version: ins.templateVersion })
  const task = all.find((t) => t.id === taskId)
  if (!task) throw new NotFoundError('approval task', taskId)
  if (task.kind !== 'approve') throw new ForbiddenError('抄送无需审批 / CC copies cannot be decided')
  if (
    ctx.actor.kind === 'user' &&
    task.assigneeId !== ctx.actor.userId &&
    !(options.allowAdmin && (await isApprovalAdmin(ctx, ctx.actor.userId)))
  ) {
    const names = await loadUsers(ctx, [task.assigneeId])
    const name = names.get(task.assigneeId)?.name ?? task.assigneeId
    throw new ForbiddenError(`只有审批人 ${name} 可以处理 / only ${name} can act on this task`)
  }
  if (task.status === 'pending' && ins.status !== 'pending') {
    throw new InvalidTransitionError(instanceEndedText[ins.status] ?? ins.status, {
      instanceStatus: ins.status,
    })
  }
  if (task.status !== 'pending') {
    if (
      ins.status !== 'pending' &&
      task.status === 'cancelled' &&
      (task.decidedBy === ins.initiatorId || !task.decidedBy)
    ) {
      throw new InvalidTransitionError(instanceEndedText[ins.status] ?? ins.status, {
        instanceStatus: ins.status,
      })
    }
    throw new InvalidTransitionError(await handledMessage(ctx, task), {
      taskId,
      status: task.status,
      handledBy: task.decidedBy,
    })
  }
  const tasks = all.filter((t) => t.round === ins.round)
  const older = all.filter((t) => t.round !== ins.round)
  return { task, ins, w: { ins, patch: {}, settings: tv.settings, tasks }, older }
}

/** Is this user allowed to act as the instance's initiator (or an admin)? */
export const isInitiator = (ctx: ServiceContext, ins: InstanceRow): boolean =>
  ctx.actor.kind === 'user' && ctx.actor.userId === ins.initiatorId

export const pendingTasksOf = (ctx: ServiceContext, instanceId: string) =>
  ctx.db
    .select()
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.tenantId, ctx.tenantId),
        eq(approvalTasks.instanceId, instanceId),
        eq(approvalTasks.status, 'pending'),
      ),
    )
