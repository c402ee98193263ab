import { approvalTimeline } from '../../../../db/schema'
import { actorId, type ServiceContext } from '../../context'
import { batchTimeline } from './write-batch'

export type TimelineAction =
  | 'submit'
  | 'approve'
  | 'reject'
  | 'return'
  | 'resubmit'
  | 'transfer'
  | 'add_sign'
  | 'withdraw'
  | 'urge'
  | 'cancel'
  | 'auto_approve'
  | 'skip'
  | 'cc'
  | 'remind'
  | 'escalate'
  | 'finish'

/** Appends one entry to the instance's append-only timeline, in the caller's transaction. */
export async function appendTimeline(
  ctx: ServiceContext,
  entry: {
    instanceId: string
    taskId?: string | null
    action: TimelineAction
    comment?: string | null
    before?: unknown
    after?: unknown
    actorId?: string | null
  },
): Promise<void> {
  if (batchTimeline(ctx, entry)) return
  await ctx.db.insert(approvalTimeline).values({
    tenantId: ctx.tenantId,
    instanceId: entry.instanceId,
    taskId: entry.taskId ?? null,
    actorId: entry.actorId !== undefined ? entry.actorId : actorId(ctx.actor),
    actorKind: ctx.actor.kind === 'user' ? ctx.actor.via : 'system',
    action: entry.action,
    comment: entry.comment ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    at: ctx.clock.now(),
  })
}
