import { and, eq, sql } from 'drizzle-orm'
import { notices } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { emit } from '../outbox'
import { loadNotice, type NoticeRow, requireManage, requirePublisher } from './access'
import { checkAudience } from './internal/resolve-audience'
import { validateScheduledAt } from './internal/validate-content'
import { NOTICE_TOPICS, ScheduleNoticeSchema } from './schemas'

/**
 * Schedules a locked draft (or moves a scheduled notice): a durable outbox row due at the time publishes it.
 * A moved schedule leaves the old row behind; it sees a different time on the notice and does nothing.
 */
export async function scheduleLocked(ctx: ServiceContext, n: NoticeRow, at: Date): Promise<NoticeRow> {
  if (n.status !== 'draft' && n.status !== 'scheduled')
    throw new InvalidTransitionError(`notice is ${n.status}`, { status: n.status })
  validateScheduledAt(at, ctx.clock.now())
  await checkAudience(ctx, n.audience)
  const [row] = await ctx.db
    .update(notices)
    .set({ status: 'scheduled', scheduledAt: at, updatedAt: sql`now()` })
    .where(and(eq(notices.tenantId, ctx.tenantId), eq(notices.id, n.id)))
    .returning()
  if (!row) throw new InvalidTransitionError('notice vanished')
  await emit(ctx, {
    topic: NOTICE_TOPICS.publishScheduled,
    payload: { tenantId: ctx.tenantId, noticeId: n.id, scheduledAt: at.toISOString() },
    availableAt: at,
  })
  await recordAudit(ctx, {
    action: 'notice.schedule',
    targetType: 'notice',
    targetId: n.id,
    after: { scheduledAt: at.toISOString() },
  })
  return row
}

export async function scheduleNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string; scheduledAt: Date | string }
}): Promise<NoticeRow> {
  const { id, scheduledAt } = ScheduleNoticeSchema.parse(input)
  validateScheduledAt(scheduledAt, ctx.clock.now())
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePublisher(txCtx)
    const n = await loadNotice(txCtx, id, true)
    await requireManage(txCtx, n)
    return scheduleLocked(txCtx, n, scheduledAt)
  })
}
