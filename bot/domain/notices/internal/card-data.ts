import { and, eq, sql } from 'drizzle-orm'
import { noticeRecipients, notices, users } from '../../../../db/schema'
import { notify, updateView } from '../../chat/send'
import type { ServiceContext } from '../../context'
import type { NoticeRow } from '../access'
import { CARD_PREVIEW_CHARS, noticeSummaryRef } from '../schemas'
import { type NoticeCounts, type NoticeSnapshot, noticeSummaryView } from '../views'

/**
 * The snapshot of a notice its cards render (with the publisher's display name in each language). The body
 * keeps one character more than a card previews, so the presenter still sees that it was cut.
 */
export async function noticeSnapshot(ctx: ServiceContext, n: NoticeRow): Promise<NoticeSnapshot> {
  const [p] = await ctx.db
    .select({ name: users.name, enName: users.enName })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, n.publisherId)))
  const chars = [...n.body]
  return {
    id: n.id,
    title: n.title,
    body: chars.length > CARD_PREVIEW_CHARS ? chars.slice(0, CARD_PREVIEW_CHARS + 1).join('') : n.body,
    category: n.category,
    requireAck: n.requireAck,
    publisherName: { 'zh-CN': p?.name ?? '—', en: p?.enName || p?.name || '—' },
    publishedAt: n.publishedAt?.toISOString() ?? null,
    version: n.version,
    images: n.images,
    attachments: n.attachments,
  }
}

/** Delivery and receipt counts of one notice. */
export async function noticeCounts(ctx: ServiceContext, noticeId: string): Promise<NoticeCounts> {
  const [row] = await ctx.db
    .select({
      total: sql<number>`count(*)::int`,
      pending: sql<number>`count(*) filter (where ${noticeRecipients.status} in ('pending','queued'))::int`,
      sent: sql<number>`count(*) filter (where ${noticeRecipients.status} = 'sent')::int`,
      failed: sql<number>`count(*) filter (where ${noticeRecipients.status} = 'failed')::int`,
      read: sql<number>`count(*) filter (where ${noticeRecipients.readAt} is not null)::int`,
      acknowledged: sql<number>`count(*) filter (where ${noticeRecipients.ackAt} is not null)::int`,
    })
    .from(noticeRecipients)
    .where(and(eq(noticeRecipients.tenantId, ctx.tenantId), eq(noticeRecipients.noticeId, noticeId)))
  return row ?? { total: 0, pending: 0, sent: 0, failed: 0, read: 0, acknowledged: 0 }
}

/**
 * The summary card's version: counts only grow within one notice version, so their sum orders updates
 * (an older count never overwrites a newer one).
 */
const summaryVersion = (n: NoticeRow, c: NoticeCounts): number =>
  n.version * 1_000_000 + c.sent + c.failed + c.read + c.acknowledged

const summaryOf = (n: NoticeRow) => ({
  id: n.id,
  title: n.title,
  requireAck: n.requireAck,
  status: n.status,
  version: n.version,
})

/** Sends the publisher's summary card (at publish). */
export async function sendSummaryCard(
  ctx: ServiceContext,
  n: NoticeRow,
  known?: NoticeCounts,
): Promise<void> {
  const counts = known ?? (await noticeCounts(ctx, n.id))
  await notify(ctx, {
    to: { userId: n.publisherId },
    view: noticeSummaryView({ notice: summaryOf(n), counts }),
    ref: noticeSummaryRef(n.id),
    version: summaryVersion(n, counts),
  })
}

/**
 * Refreshes the publisher's summary card, at most once per `minIntervalMs` (a conditional UPDATE claims the
 * slot, so concurrent receipts do not all emit an update; PATCH is limited to 5/s per message).
 */
export async function refreshSummaryCard(
  ctx: ServiceContext,
  noticeId: string,
  minIntervalMs = 5000,
): Promise<boolean> {
  const claimed = await ctx.db
    .update(notices)
    .set({ summaryAt: sql`now()` })
    .where(
      and(
        eq(notices.tenantId, ctx.tenantId),
        eq(notices.id, noticeId),
        sql`(${notices.summaryAt} is null or ${notices.summaryAt} < now() - (${minIntervalMs} * interval '1 millisecond'))`,
      ),
    )
    .returning()
  const n = claimed[0]
  if (!n) return false
  const counts = await noticeCounts(ctx, n.id)
  await updateView(ctx, {
    ref: noticeSummaryRef(n.id),
    view: noticeSummaryView({ notice: summaryOf(n), counts }),
    version: summaryVersion(n, counts),
  })
  return true
}
