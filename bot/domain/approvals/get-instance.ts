import { and, asc, eq } from 'drizzle-orm'
import { approvalTimeline } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { isApprovalAdmin, loadUsers } from './store'
import { type ApprovalView, loadView } from './view'

export type TimelineEntry = typeof approvalTimeline.$inferSelect

/**
 * One request with its tasks and timeline. Visible to its initiator, anyone with a task or CC on it, and
 * approval admins; to anyone else it does not exist (404).
 */
export async function getInstance({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { instanceId: string }
}): Promise<{ view: ApprovalView; timeline: TimelineEntry[] }> {
  const view = await loadView(ctx, input.instanceId)
  if (ctx.actor.kind === 'user') {
    const me = ctx.actor.userId
    const involved = view.instance.initiatorId === me || view.tasks.some((t) => t.assigneeId === me)
    if (!involved && !(await isApprovalAdmin(ctx, me))) throw new NotFoundError('approval', input.instanceId)
  }
  const timeline = await ctx.db
    .select()
    .from(approvalTimeline)
    .where(
      and(eq(approvalTimeline.tenantId, ctx.tenantId), eq(approvalTimeline.instanceId, input.instanceId)),
    )
    .orderBy(asc(approvalTimeline.id))
  const missing = timeline.map((e) => e.actorId).filter((id): id is string => !!id && !view.users.has(id))
  if (missing.length > 0) for (const [id, u] of await loadUsers(ctx, missing)) view.users.set(id, u)
  return { view, timeline }
}
