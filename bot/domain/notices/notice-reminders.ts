import { sql } from 'drizzle-orm'
import { resultRows as rowsOf } from '../../lib/sql-rows'
import { notifyMessage } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { emit } from '../outbox'
import { loadNotice } from './access'
import { noticeSnapshot } from './internal/card-data'
import { NOTICE_TOPICS, noticeReminderRef } from './schemas'
import { FANOUT_CHUNK } from './send-rate'
import { noticeReminderView } from './views'

/**
 * One reminder step for a notice: claims, chunk by chunk, the recipients still unread (unacknowledged when
 * required) whose `reminder_step` is below this step, raises it and writes the reminder in the same
 * transaction — a reminder card (step 1) or an urgent job (step 2). Claimed once, reminded once.
 */
export async function runReminderStep(
  ctx: ServiceContext,
  input: { noticeId: string; step: 1 | 2 },
): Promise<number> {
  let total = 0
  for (;;) {
    const claimed = await withTransaction(ctx, async (_tx, txCtx) => {
      const n = await loadNotice(txCtx, input.noticeId)
      if (n.status !== 'published') return 0
      const rows = rowsOf<{
        target: string
        user_id: string
        platform_message_id: string | null
      }>(
        await txCtx.db.execute(sql`
          with picked as (
            select target from notice_recipients
            where tenant_id = ${txCtx.tenantId} and notice_id = ${n.id} and kind = 'user' and status = 'sent'
              and reminder_step < ${input.step}
              and ${n.requireAck ? sql`ack_at is null` : sql`read_at is null`}
            order by target limit ${FANOUT_CHUNK}
            for update skip locked
          )
          update notice_recipients r set reminder_step = ${input.step}, reminded_at = clock_timestamp()
          from picked p
          where r.notice_id = ${n.id} and r.target = p.target
          returning r.target, r.user_id, r.platform_message_id`),
      )
      if (rows.length === 0) return 0
      if (input.step === 1) {
        const view = noticeReminderView({ notice: await noticeSnapshot(txCtx, n) })
        await emit(
          txCtx,
          rows.map((r) =>
            notifyMessage(txCtx, {
              to: { userId: r.user_id },
              view,
              ref: noticeReminderRef(n.id, r.target),
              version: n.version,
            }),
          ),
        )
      } else {
        await emit(
          txCtx,
          rows
            .filter((r) => r.platform_message_id)
            .map((r) => ({
              topic: NOTICE_TOPICS.urgent,
              payload: {
                tenantId: txCtx.tenantId,
                noticeId: n.id,
                userId: r.user_id,
                platformMessageId: r.platform_message_id,
              },
            })),
        )
      }
      return rows.length
    })
    total += claimed
    if (claimed < FANOUT_CHUNK) return total
  }
}
