import { type ServiceContext, withTransaction } from '../context'
import { DomainError, ForbiddenError, InvalidTransitionError } from '../errors'
import { instanceEndedText, isInitiator, pendingTasksOf } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { commitInstance, newChanges } from './internal/transitions'
import { batched } from './internal/write-batch'
import { publish } from './publish'
import { InstanceActionInput } from './schemas'
import { loadTemplateVersion, lockInstance } from './store'
import type { ApprovalView } from './view'

export const URGE_INTERVAL_MS = 3600_000

/** 催办: re-sends the pending approvers their card, at most once an hour per request. */
export async function urgeInstance({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: InstanceActionInput
}): Promise<ApprovalView> {
  const { instanceId, comment } = InstanceActionInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const ins = await lockInstance(c, instanceId)
      if (!isInitiator(c, ins)) throw new ForbiddenError('只有申请人可以催办 / only the applicant can nudge')
      if (ins.status !== 'pending') {
        throw new InvalidTransitionError(instanceEndedText[ins.status] ?? ins.status, {
          instanceStatus: ins.status,
        })
      }
      const now = c.clock.now()
      if (ins.lastUrgedAt && now.getTime() - ins.lastUrgedAt.getTime() < URGE_INTERVAL_MS) {
        const minutes = Math.ceil((URGE_INTERVAL_MS - (now.getTime() - ins.lastUrgedAt.getTime())) / 60_000)
        throw new DomainError(
          'rate_limited',
          `每小时只能催办一次，请 ${minutes} 分钟后再试 / nudge at most once an hour; try again in ${minutes} min`,
          {
            retryAfterMinutes: minutes,
          },
        )
      }
      const tv = await loadTemplateVersion(c, { templateId: ins.templateId, version: ins.templateVersion })
      const pending = await pendingTasksOf(c, instanceId)
      const ch = newChanges()
      for (const t of pending) ch.resend.add(t.id)
      await appendTimeline(c, {
        instanceId,
        action: 'urge',
        comment: comment ?? null,
        after: { to: pending.map((t) => t.assigneeId) },
      })
      const committed = await commitInstance(c, {
        ins,
        patch: { lastUrgedAt: now },
        settings: tv.settings,
        tasks: [],
      })
      return publish(c, committed, ch)
    }),
  )
}
