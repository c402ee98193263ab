import { notices } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError } from '../errors'
import type { NoticeRow } from './access'
import { requirePublisher } from './access'
import { checkAudience } from './internal/resolve-audience'
import { validateContent, validateScheduledAt } from './internal/validate-content'
import { publishLocked } from './publish-notice'
import { scheduleLocked } from './schedule-notice'
import { type CreateNoticeInput, CreateNoticeSchema } from './schemas'

/**
 * Creates a notice as a draft, or publishes it at once (`publish: 'now'`), or schedules it (`scheduledAt`).
 * Every check (permission, sizes, audience and scope, schedule time) runs before anything is written.
 */
export async function createNotice({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CreateNoticeInput
}): Promise<NoticeRow> {
  const data = CreateNoticeSchema.parse(input)
  const publisherId = actorId(ctx.actor)
  if (!publisherId) throw new ForbiddenError('notices are published by a person')
  validateContent(data)
  if (data.scheduledAt) validateScheduledAt(data.scheduledAt, ctx.clock.now())
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePublisher(txCtx)
    await checkAudience(txCtx, data.audience)
    const [created] = await txCtx.db
      .insert(notices)
      .values({
        id: newId('ntc'),
        tenantId: txCtx.tenantId,
        title: data.title,
        body: data.body,
        images: data.images.map((i) => ({
          alt: i.alt,
          ...(i.url ? { url: i.url } : {}),
          ...(i.imageKey ? { imageKey: i.imageKey } : {}),
        })),
        attachments: data.attachments,
        category: data.category,
        audience: data.audience,
        requireAck: data.requireAck,
        reminder: data.reminder,
        publisherId,
      })
      .returning()
    if (!created) throw new Error('notice insert returned nothing')
    await recordAudit(txCtx, { action: 'notice.create', targetType: 'notice', targetId: created.id })
    if (data.scheduledAt) return scheduleLocked(txCtx, created, data.scheduledAt)
    if (data.publish === 'now') return publishLocked(txCtx, created, { audienceChecked: true })
    return created
  })
}
