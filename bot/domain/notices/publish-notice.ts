import { and, eq, sql } from 'drizzle-orm'
import { notices } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidTransitionError } from '../errors'
import { emit } from '../outbox'
import { loadNotice, type NoticeRow, requireManage, requirePublisher } from './access'
import { sendSummaryCard } from './internal/card-data'
import { checkAudience, freezeAudience } from './internal/resolve-audience'
import { NOTICE_TOPICS, NoticeIdSchema } from './schemas'

/**
 * The fan-out watchdog's period: if the fan-out chain has not moved for this long (its job was held by a
 * worker that died, and BullMQ would only re-run it after the lock expires), the watchdog runs the step.
 */
export const FANOUT_WATCH_MS = 3000

/** First read-status poll after publishing, and the interval after that (Feishu read_users). */
export const FIRST_READ_POLL_MS = 60_000

/**
 * Publishes a locked draft or scheduled notice: re-checks the audience against the scope, freezes it with
 * one INSERT … SELECT, and writes a single `notice.fanout` outbox row (the fan-out emits the per-recipient
 * sends asynchronously), the read poll, the reminder ladder and the publisher's summary card.
 */
export async function publishLocked(
  ctx: ServiceContext,
  n: NoticeRow,
  options: { audienceChecked?: boolean } = {},
): Promise<NoticeRow> {
  if (n.status !== 'draft' && n.status !== 'scheduled')
    throw new InvalidTransitionError(`notice is ${n.status}`, { status: n.status })
  if (!options.audienceChecked) await checkAudience(ctx, n.audience)
  const count = await freezeAudience(ctx, n.id, n.audience)
  const now = ctx.clock.now()
  const [published] = await ctx.db
    .update(notices)
    .set({
      status: 'published',
      publishedAt: now,
      version: n.version + 1,
      recipientCount: count,
      fanoutSeq: 1,
      updatedAt: sql`now()`,
    })
    .where(and(eq(notices.tenantId, ctx.tenantId), eq(notices.id, n.id)))
    .returning()
  if (!published) throw new InvalidTransitionError('notice vanished')
  const base = { tenantId: ctx.tenantId, noticeId: n.id }
  await emit(ctx, [
    { topic: NOTICE_TOPICS.fanout, payload: { ...base, seq: 1 } },
    {
      topic: NOTICE_TOPICS.fanoutWatch,
      payload: { ...base, seq: 1 },
      availableAt: new Date(now.getTime() + FANOUT_WATCH_MS),
    },
    {
      topic: NOTICE_TOPICS.pollReads,
      payload: base,
      availableAt: new Date(now.getTime() + FIRST_READ_POLL_MS),
    },
    ...(n.reminder
      ? [
          {
            topic: NOTICE_TOPICS.remindStep,
            payload: { ...base, step: 1 },
            availableAt: new Date(now.getTime() + n.reminder.afterMinutes * 60_000),
          },
          ...(n.reminder.urgentAfterMinutes
            ? [
                {
                  topic: NOTICE_TOPICS.remindStep,
                  payload: { ...base, step: 2 },
                  availableAt: new Date(now.getTime() + n.reminder.urgentAfterMinutes * 60_000),
                },
              ]
            : []),
        ]
      : []),
  ])
  // Just frozen: everyone is pending, nobody has read yet (saves a count over the new rows).
  await sendSummaryCard(ctx, published, {
    total: count,
    pending: count,
    sent: 0,
    failed: 0,
    read: 0,
    acknowledged: 0,
  })
  await recordAudit(ctx, {
    action: 'notice.publish',
    targetType: 'notice',
    targetId: n.id,
    after: { status: 'published', recipients: count, version: published.version },
  })
  return published
}

/** Publishes a draft (or a scheduled notice early) now. */
export async function publishNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string }
}): Promise<NoticeRow> {
  const { id } = NoticeIdSchema.parse(input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePublisher(txCtx)
    const n = await loadNotice(txCtx, id, true)
    await requireManage(txCtx, n)
    return publishLocked(txCtx, n)
  })
}
