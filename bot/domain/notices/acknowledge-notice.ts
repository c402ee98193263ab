import { and, eq, sql } from 'drizzle-orm'
import { noticeRecipients } from '../../../db/schema'
import type { View } from '../chat/view'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidTransitionError, NotFoundError } from '../errors'
import { loadNotice } from './access'
import { noticeSnapshot, refreshSummaryCard } from './internal/card-data'
import { NoticeIdSchema } from './schemas'
import { freezeReceipt, noticeRecipientView } from './views'

export interface Receipt {
  readAt: Date | null
  ackAt: Date | null
}

/**
 * Records a recipient's receipt: read (and acknowledged when the notice asks for it). Idempotent: a second
 * tap keeps the first time. Only the recipient themself can acknowledge; a retracted notice refuses.
 * `view` is the recipient's card in its new state, for the tap's in-place answer.
 */
export async function acknowledgeNotice({
  ctx,
  input,
  via = 'card',
}: {
  ctx: ServiceContext
  input: { id: string }
  via?: 'card' | 'app'
}): Promise<{ receipt: Receipt; view: View; already: boolean }> {
  const { id } = NoticeIdSchema.parse(input)
  const userId = actorId(ctx.actor)
  if (!userId) throw new ForbiddenError('only a recipient can acknowledge')
  return withTransaction(ctx, async (_tx, txCtx) => {
    const n = await loadNotice(txCtx, id)
    if (n.status === 'retracted') throw new InvalidTransitionError('该公告已撤回 / the notice was retracted')
    if (n.status !== 'published') throw new NotFoundError('notice', id)
    const now = txCtx.clock.now()
    const [before] = await txCtx.db
      .select({ readAt: noticeRecipients.readAt, ackAt: noticeRecipients.ackAt })
      .from(noticeRecipients)
      .where(
        and(
          eq(noticeRecipients.tenantId, txCtx.tenantId),
          eq(noticeRecipients.noticeId, id),
          eq(noticeRecipients.target, userId),
        ),
      )
      .for('update')
    if (!before) throw new ForbiddenError('you are not a recipient of this notice')
    const [after] = await txCtx.db
      .update(noticeRecipients)
      .set({
        readAt: sql`coalesce(${noticeRecipients.readAt}, ${now.toISOString()}::timestamptz)`,
        readVia: sql`coalesce(${noticeRecipients.readVia}, ${via})`,
        ...(n.requireAck
          ? { ackAt: sql`coalesce(${noticeRecipients.ackAt}, ${now.toISOString()}::timestamptz)` }
          : {}),
      })
      .where(
        and(
          eq(noticeRecipients.tenantId, txCtx.tenantId),
          eq(noticeRecipients.noticeId, id),
          eq(noticeRecipients.target, userId),
        ),
      )
      .returning({ readAt: noticeRecipients.readAt, ackAt: noticeRecipients.ackAt })
    const receipt = after ?? before
    const already = n.requireAck ? before.ackAt !== null : before.readAt !== null
    if (!already) await refreshSummaryCard(txCtx, id)
    const notice = await noticeSnapshot(txCtx, n)
    return { receipt, already, view: noticeRecipientView({ notice, receipt: freezeReceipt(receipt) }) }
  })
}
