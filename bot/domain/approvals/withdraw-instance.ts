import { type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidTransitionError } from '../errors'
import { instanceEndedText, isInitiator } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { commitInstance, finish, newChanges } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { InstanceActionInput } from './schemas'
import { loadTasks, loadTemplateVersion, lockInstance } from './store'
import type { ApprovalView } from './view'

/** 撤回: the initiator takes back a request that is still pending (or returned). Approvers' cards close. */
export async function withdrawInstance({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: InstanceActionInput
}): Promise<ApprovalView> {
  const { instanceId, comment } = InstanceActionInput.parse(input)
  return endInstance(ctx, instanceId, comment, 'withdrawn')
}

/** Shared by withdraw (initiator) and cancel (admin): closes the request and every open task. */
export async function endInstance(
  ctx: ServiceContext,
  instanceId: string,
  comment: string | undefined,
  status: 'withdrawn' | 'cancelled',
  checkActor?: (ins: Awaited<ReturnType<typeof lockInstance>>, txCtx: ServiceContext) => Promise<void>,
): Promise<ApprovalView> {
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const ins = await lockInstance(c, instanceId)
      if (checkActor) await checkActor(ins, c)
      else if (!isInitiator(c, ins))
        throw new ForbiddenError('只有申请人可以撤回 / only the applicant can withdraw')
      if (ins.status !== 'pending' && ins.status !== 'returned') {
        throw new InvalidTransitionError(instanceEndedText[ins.status] ?? ins.status, {
          instanceStatus: ins.status,
        })
      }
      const tv = await loadTemplateVersion(c, { templateId: ins.templateId, version: ins.templateVersion })
      const tasks = (await loadTasks(c, ins.id)).filter((t) => t.round === ins.round)
      const w = { ins, patch: {}, settings: tv.settings, tasks }
      const ch = newChanges()
      await appendTimeline(c, {
        instanceId,
        action: status === 'withdrawn' ? 'withdraw' : 'cancel',
        comment: comment ?? null,
        before: { status: ins.status },
        after: { status },
      })
      await auditInBatch(c, {
        action: status === 'withdrawn' ? 'approval.withdraw' : 'approval.cancel',
        targetType: 'approval',
        targetId: instanceId,
        before: { status: ins.status },
        after: { status },
      })
      await finish(c, w, status, ch)
      const committed = await commitInstance(c, w)
      return publish(c, committed, ch)
    }),
  )
}
