import { and, eq, inArray, sql } from 'drizzle-orm'
import { noticeRecipients } from '../../../db/schema'
import { resultRows as rowsOf } from '../../lib/sql-rows'
import type { ServiceContext } from '../context'
import { withTransaction } from '../context'
import { refreshSummaryCard } from './internal/card-data'

/** Recipients whose platform read status to ask for next (oldest-polled first). */
export async function unreadToPoll(ctx: ServiceContext, noticeId: string, limit: number) {
  return rowsOf<{ target: string; platform_message_id: string; open_id: string | null }>(
    await ctx.db.execute(sql`
      select r.target, r.platform_message_id,
        (select i.open_id from user_identities i join tenants t on t.id = ${ctx.tenantId}
          where i.tenant_id = ${ctx.tenantId} and i.user_id = r.user_id and i.platform = t.platform limit 1) as open_id
      from notice_recipients r
      where r.tenant_id = ${ctx.tenantId} and r.notice_id = ${noticeId} and r.kind = 'user'
        and r.status = 'sent' and r.read_at is null and r.platform_message_id is not null
      order by r.read_polled_at nulls first, r.target
      limit ${limit}`),
  )
}

/** Records what the platform's read receipts said, and when each row was asked. */
export async function recordPlatformReads(
  ctx: ServiceContext,
  noticeId: string,
  polled: string[],
  reads: Array<{ target: string; readAt: Date }>,
): Promise<void> {
  await withTransaction(ctx, async (_tx, txCtx) => {
    if (polled.length > 0) {
      await txCtx.db
        .update(noticeRecipients)
        .set({ readPolledAt: sql`clock_timestamp()` })
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, noticeId),
            inArray(noticeRecipients.target, polled),
          ),
        )
    }
    for (const r of reads) {
      await txCtx.db
        .update(noticeRecipients)
        .set({
          readAt: sql`coalesce(${noticeRecipients.readAt}, ${r.readAt.toISOString()}::timestamptz)`,
          readVia: sql`coalesce(${noticeRecipients.readVia}, 'platform')`,
        })
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, noticeId),
            eq(noticeRecipients.target, r.target),
          ),
        )
    }
    if (reads.length > 0) await refreshSummaryCard(txCtx, noticeId)
  })
}
