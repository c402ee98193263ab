import { and, eq } from 'drizzle-orm'
import { notices } from '../../../db/schema'
import { actorId, type ServiceContext } from '../context'
import { ForbiddenError, NotFoundError } from '../errors'
import { hasPermission } from '../org/permissions'

export type NoticeRow = typeof notices.$inferSelect

/** Only admins and roles with `notices.publish` write notices and news. */
export async function requirePublisher(ctx: ServiceContext): Promise<void> {
  if (!(await hasPermission(ctx, 'notices.publish')))
    throw new ForbiddenError('publishing notices needs the notices.publish permission')
}

/** The notice, locked for the rest of the transaction when `forUpdate`. */
export async function loadNotice(ctx: ServiceContext, id: string, forUpdate = false): Promise<NoticeRow> {
  const q = ctx.db
    .select()
    .from(notices)
    .where(and(eq(notices.tenantId, ctx.tenantId), eq(notices.id, id)))
  const [row] = forUpdate ? await q.for('update') : await q
  if (!row) throw new NotFoundError('notice', id)
  return row
}

/** The publisher manages their notice; admins (`*`) manage every notice. */
export async function canManage(ctx: ServiceContext, notice: NoticeRow): Promise<boolean> {
  if (ctx.actor.kind === 'system') return true
  if (notice.publisherId === actorId(ctx.actor)) return true
  return hasPermission(ctx, '*')
}

export async function requireManage(ctx: ServiceContext, notice: NoticeRow): Promise<void> {
  if (!(await canManage(ctx, notice))) throw new ForbiddenError('only the publisher or an admin may do this')
}
