import { and, eq, isNull, sql } from 'drizzle-orm'
import { noticeRecipients } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { emit } from '../outbox'
import { loadNotice, requireManage } from './access'
import { NOTICE_TOPICS, NoticeIdSchema } from './schemas'

/**
 * The publisher's "remind now": runs the next ladder step for everyone still unread (unacknowledged when
 * required): the reminder card for those not yet reminded, else the urgent/buzz. The step job claims each
 * recipient with `reminder_step < step`, so nobody is reminded twice at one step however often this runs.
 */
export async function remindNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string }
}): Promise<{ step: 1 | 2; eligible: number }> {
  const { id } = NoticeIdSchema.parse(input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const n = await loadNotice(txCtx, id, true)
    await requireManage(txCtx, n)
    if (n.status !== 'published') throw new InvalidTransitionError(`the notice is ${n.status}`)
    const [row] = await txCtx.db
      .select({
        step0: sql<number>`count(*) filter (where ${noticeRecipients.reminderStep} < 1)::int`,
        step1: sql<number>`count(*) filter (where ${noticeRecipients.reminderStep} < 2)::int`,
      })
      .from(noticeRecipients)
      .where(
        and(
          eq(noticeRecipients.tenantId, txCtx.tenantId),
          eq(noticeRecipients.noticeId, id),
          eq(noticeRecipients.kind, 'user'),
          eq(noticeRecipients.status, 'sent'),
          n.requireAck ? isNull(noticeRecipients.ackAt) : isNull(noticeRecipients.readAt),
        ),
      )
    const step: 1 | 2 | null = (row?.step0 ?? 0) > 0 ? 1 : (row?.step1 ?? 0) > 0 ? 2 : null
    if (step === null) throw new InvalidTransitionError('no one is left to remind')
    const eligible = step === 1 ? (row?.step0 ?? 0) : (row?.step1 ?? 0)
    await emit(txCtx, {
      topic: NOTICE_TOPICS.remindStep,
      payload: { tenantId: txCtx.tenantId, noticeId: id, step, manual: true },
    })
    await recordAudit(txCtx, {
      action: 'notice.remind',
      targetType: 'notice',
      targetId: id,
      meta: { step, eligible },
    })
    return { step, eligible }
  })
}
