import { and, eq, inArray, sql } from 'drizzle-orm'
import { noticeRecipients, notices } from '../../../db/schema'
import { resultRows as rowsOf } from '../../lib/sql-rows'
import { updateViewMessage } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { emit, type OutboxMessage } from '../outbox'
import { loadNotice, type NoticeRow } from './access'
import { noticeSnapshot } from './internal/card-data'
import { noticeCardRef } from './schemas'
import { FANOUT_CHUNK } from './send-rate'
import { freezeReceipt, noticeChatView, noticeRecipientView, noticeRetractedView } from './views'

/**
 * Copies the outcome of finished sends (the `messages` row the send processor wrote, found by the card's
 * ref) onto the tenant's in-flight recipient rows: sent with the platform message id and time, or failed
 * with the platform's reason. Set-based; a card that went out older than the notice (edited or retracted
 * while in flight) is refreshed at once.
 */
export async function reconcileDeliveries(ctx: ServiceContext): Promise<number> {
  const done = rowsOf<{ notice_id: string; target: string; status: string; card_version: number }>(
    await ctx.db.execute(sql`
      update notice_recipients r
      set status = m.status, sent_at = m.created_at, platform_message_id = m.platform_message_id,
          error = m.error
      from messages m
      where r.tenant_id = ${ctx.tenantId} and r.status = 'queued'
        and m.tenant_id = ${ctx.tenantId} and m.ref = 'notice:' || r.notice_id || ':' || r.target
        and m.direction = 'out' and m.status in ('sent', 'failed')
      returning r.notice_id, r.target, r.status, m.card_version`),
  )
  const stale = new Map<string, string[]>()
  const noticeIds = [...new Set(done.map((d) => d.notice_id))]
  if (noticeIds.length > 0) {
    const versions = await ctx.db
      .select({ id: notices.id, version: notices.version })
      .from(notices)
      .where(and(eq(notices.tenantId, ctx.tenantId), inArray(notices.id, noticeIds)))
    const versionOf = new Map(versions.map((v) => [v.id, v.version]))
    for (const d of done) {
      if (d.status === 'sent' && Number(d.card_version) < (versionOf.get(d.notice_id) ?? 0)) {
        stale.set(d.notice_id, [...(stale.get(d.notice_id) ?? []), d.target])
      }
    }
  }
  for (const [noticeId, targets] of stale) {
    const n = await loadNotice(ctx, noticeId)
    await emitCardUpdates(ctx, n, targets)
  }
  return done.length
}

/**
 * Each target's current card (its receipt state) as `send.card_update` rows at the notice's version; each
 * copy is rendered in its reader's language when sent.
 */
export async function emitCardUpdates(ctx: ServiceContext, n: NoticeRow, targets: string[]): Promise<number> {
  if (targets.length === 0) return 0
  const rows = await ctx.db
    .select({
      target: noticeRecipients.target,
      readAt: noticeRecipients.readAt,
      ackAt: noticeRecipients.ackAt,
    })
    .from(noticeRecipients)
    .where(
      and(
        eq(noticeRecipients.tenantId, ctx.tenantId),
        eq(noticeRecipients.noticeId, n.id),
        inArray(noticeRecipients.target, targets),
      ),
    )
  const notice = n.status === 'retracted' ? null : await noticeSnapshot(ctx, n)
  const messages: OutboxMessage[] = rows.map((r) =>
    updateViewMessage(ctx, {
      ref: noticeCardRef(n.id, r.target),
      view: !notice
        ? noticeRetractedView({ id: n.id, title: n.title })
        : r.target.startsWith('chat:')
          ? noticeChatView({ notice })
          : noticeRecipientView({ notice, receipt: freezeReceipt(r) }),
      version: n.version,
    }),
  )
  await emit(ctx, messages)
  return messages.length
}

/**
 * `notice.refresh_cards`: after an edit or the retraction, every delivered card gets the notice's current
 * state (chunked by target). Updates are versioned, so running this twice, or out of order with a newer
 * refresh, never shows an older state.
 */
export async function refreshNoticeCards(
  ctx: ServiceContext,
  input: { noticeId: string; version: number },
): Promise<number> {
  let after = ''
  let total = 0
  for (;;) {
    const step = await withTransaction(ctx, async (_tx, txCtx) => {
      const n = await loadNotice(txCtx, input.noticeId)
      if (n.version !== input.version) return null // a newer refresh covers it
      const batch = await txCtx.db
        .select({ target: noticeRecipients.target })
        .from(noticeRecipients)
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, n.id),
            eq(noticeRecipients.status, 'sent'),
            sql`${noticeRecipients.target} > ${after}`,
          ),
        )
        .orderBy(noticeRecipients.target)
        .limit(FANOUT_CHUNK)
      await emitCardUpdates(
        txCtx,
        n,
        batch.map((b) => b.target),
      )
      return batch
    })
    if (!step || step.length === 0) return total
    total += step.length
    after = step[step.length - 1]?.target ?? after
    if (step.length < FANOUT_CHUNK) return total
  }
}
