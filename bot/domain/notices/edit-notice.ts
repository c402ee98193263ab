import { and, eq, sql } from 'drizzle-orm'
import { notices } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError, InvalidTransitionError } from '../errors'
import { emit } from '../outbox'
import { loadNotice, type NoticeRow, requireManage, requirePublisher } from './access'
import { refreshSummaryCard } from './internal/card-data'
import { checkAudience } from './internal/resolve-audience'
import { validateContent } from './internal/validate-content'
import { type EditNoticeInput, EditNoticeSchema, NOTICE_TOPICS } from './schemas'

/**
 * Edits a notice. Before publishing anything may change; after, the content may (title, body, images,
 * attachments, category) but the frozen audience may not, and every delivered card is updated to the new
 * version by a `notice.refresh_cards` job.
 */
export async function editNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: EditNoticeInput
}): Promise<NoticeRow> {
  const data = EditNoticeSchema.parse(input)
  validateContent(data)
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePublisher(txCtx)
    const n = await loadNotice(txCtx, data.id, true)
    await requireManage(txCtx, n)
    if (n.status === 'retracted') throw new InvalidTransitionError('a retracted notice cannot be edited')
    const published = n.status === 'published'
    if (published && data.audience)
      throw new InvalidInputError('audience', 'the audience of a published notice is frozen')
    if (published && data.requireAck !== undefined && data.requireAck !== n.requireAck)
      throw new InvalidInputError('requireAck', 'cannot change acknowledgement after publishing')
    if (data.audience) await checkAudience(txCtx, data.audience)
    const patch = {
      ...(data.title !== undefined ? { title: data.title } : {}),
      ...(data.body !== undefined ? { body: data.body } : {}),
      ...(data.images !== undefined
        ? {
            images: data.images.map((i) => ({
              alt: i.alt,
              ...(i.url ? { url: i.url } : {}),
              ...(i.imageKey ? { imageKey: i.imageKey } : {}),
            })),
          }
        : {}),
      ...(data.attachments !== undefined ? { attachments: data.attachments } : {}),
      ...(data.category !== undefined ? { category: data.category } : {}),
      ...(data.audience !== undefined ? { audience: data.audience } : {}),
      ...(data.requireAck !== undefined ? { requireAck: data.requireAck } : {}),
      ...(data.reminder !== undefined && !published ? { reminder: data.reminder } : {}),
    }
    const [row] = await txCtx.db
      .update(notices)
      .set({ ...patch, version: published ? n.version + 1 : n.version, updatedAt: sql`now()` })
      .where(and(eq(notices.tenantId, txCtx.tenantId), eq(notices.id, n.id)))
      .returning()
    if (!row) throw new InvalidTransitionError('notice vanished')
    if (published) {
      await emit(txCtx, {
        topic: NOTICE_TOPICS.refreshCards,
        payload: { tenantId: txCtx.tenantId, noticeId: n.id, version: row.version },
      })
      await refreshSummaryCard(txCtx, n.id, 0)
    }
    await recordAudit(txCtx, {
      action: 'notice.edit',
      targetType: 'notice',
      targetId: n.id,
      before: { title: n.title, version: n.version },
      after: { title: row.title, version: row.version, fields: Object.keys(patch) },
    })
    return row
  })
}
