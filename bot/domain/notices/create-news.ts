import { newsArticles } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError } from '../errors'
import { requirePublisher } from './access'
import { validateContent } from './internal/validate-content'
import { type CreateNewsInput, CreateNewsSchema } from './schemas'

export type NewsRow = typeof newsArticles.$inferSelect

/** Publishes a news article (cover image, category) to the mini-app feed. Same permission as notices. */
export async function createNews({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CreateNewsInput
}): Promise<NewsRow> {
  const data = CreateNewsSchema.parse(input)
  const authorId = actorId(ctx.actor)
  if (!authorId) throw new ForbiddenError('news is written by a person')
  validateContent({ body: data.body })
  return withTransaction(ctx, async (_tx, txCtx) => {
    await requirePublisher(txCtx)
    const [row] = await txCtx.db
      .insert(newsArticles)
      .values({
        id: newId('nws'),
        tenantId: txCtx.tenantId,
        title: data.title,
        summary: data.summary,
        body: data.body,
        coverUrl: data.coverUrl,
        category: data.category,
        status: 'published',
        authorId,
        publishedAt: txCtx.clock.now(),
      })
      .returning()
    if (!row) throw new Error('news insert returned nothing')
    await recordAudit(txCtx, { action: 'news.publish', targetType: 'news', targetId: row.id })
    return row
  })
}
