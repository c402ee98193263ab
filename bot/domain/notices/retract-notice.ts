import { and, eq, sql } from 'drizzle-orm'
import { noticeRecipients, notices } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { emit } from '../outbox'
import { loadNotice, type NoticeRow, requireManage } from './access'
import { refreshSummaryCard } from './internal/card-data'
import { NOTICE_TOPICS, NoticeIdSchema } from './schemas'

/**
 * Retracts a notice. Recipients not yet sent to are cancelled (the fan-out stops), and every delivered card
 * is replaced with the "已撤回" card by `notice.refresh_cards`; a card still in flight is corrected when its
 * delivery is reconciled (its version is older than the notice's).
 */
export async function retractNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string }
}): Promise<NoticeRow> {
  const { id } = NoticeIdSchema.parse(input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const n = await loadNotice(txCtx, id, true)
    await requireManage(txCtx, n)
    if (n.status === 'retracted') throw new InvalidTransitionError('the notice is already retracted')
    const wasPublished = n.status === 'published'
    const [row] = await txCtx.db
      .update(notices)
      .set({
        status: 'retracted',
        retractedAt: txCtx.clock.now(),
        version: n.version + 1,
        updatedAt: sql`now()`,
      })
      .where(and(eq(notices.tenantId, txCtx.tenantId), eq(notices.id, n.id)))
      .returning()
    if (!row) throw new InvalidTransitionError('notice vanished')
    if (wasPublished) {
      await txCtx.db
        .update(noticeRecipients)
        .set({ status: 'cancelled' })
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, n.id),
            eq(noticeRecipients.status, 'pending'),
          ),
        )
      await emit(txCtx, {
        topic: NOTICE_TOPICS.refreshCards,
        payload: { tenantId: txCtx.tenantId, noticeId: n.id, version: row.version },
      })
      await refreshSummaryCard(txCtx, n.id, 0)
    }
    await recordAudit(txCtx, {
      action: 'notice.retract',
      targetType: 'notice',
      targetId: n.id,
      before: { status: n.status },
      after: { status: 'retracted', version: row.version },
    })
    return row
  })
}
