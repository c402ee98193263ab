import { and, eq, sql } from 'drizzle-orm'
import { noticeRecipients, users } from '../../../db/schema'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { NotFoundError } from '../errors'
import { canManage, loadNotice, type NoticeRow } from './access'
import { refreshSummaryCard } from './internal/card-data'
import { NoticeIdSchema } from './schemas'

export interface NoticeDetail {
  notice: NoticeRow
  publisherName: string
  /** The reader's own receipt when they are a recipient. */
  receipt: { readAt: Date | null; ackAt: Date | null } | null
  canManage: boolean
}

/**
 * One notice for the mini-app. Opening it marks it read for a recipient (read via the app). Visible to its
 * recipients, its publisher and admins; anyone else gets 404. Drafts only to those who manage them.
 */
export async function getNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string }
}): Promise<NoticeDetail> {
  const { id } = NoticeIdSchema.parse(input)
  const userId = actorId(ctx.actor)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const n = await loadNotice(txCtx, id)
    const manage = await canManage(txCtx, n)
    let receipt: NoticeDetail['receipt'] = null
    if (userId && (n.status === 'published' || n.status === 'retracted')) {
      const [r] = await txCtx.db
        .update(noticeRecipients)
        .set({
          readAt: sql`coalesce(${noticeRecipients.readAt}, now())`,
          readVia: sql`coalesce(${noticeRecipients.readVia}, 'app')`,
        })
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, id),
            eq(noticeRecipients.target, userId),
          ),
        )
        .returning({ readAt: noticeRecipients.readAt, ackAt: noticeRecipients.ackAt })
      receipt = r ?? null
      if (r && n.status === 'published') await refreshSummaryCard(txCtx, id)
    }
    if (!manage && !receipt) throw new NotFoundError('notice', id)
    const [p] = await txCtx.db
      .select({ name: users.name })
      .from(users)
      .where(and(eq(users.tenantId, txCtx.tenantId), eq(users.id, n.publisherId)))
    return { notice: n, publisherName: p?.name ?? '—', receipt, canManage: manage }
  })
}
