import { and, eq, sql } from 'drizzle-orm'
import { newsArticles, newsReads } from '../../../db/schema'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { NotFoundError } from '../errors'
import type { NewsRow } from './create-news'
import { NoticeIdSchema } from './schemas'

/** One article; the first open by a person counts one read (distinct readers). */
export async function getNews({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string }
}): Promise<NewsRow> {
  const { id } = NoticeIdSchema.parse(input)
  const userId = actorId(ctx.actor)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [row] = await txCtx.db
      .select()
      .from(newsArticles)
      .where(
        and(
          eq(newsArticles.tenantId, txCtx.tenantId),
          eq(newsArticles.id, id),
          eq(newsArticles.status, 'published'),
        ),
      )
    if (!row) throw new NotFoundError('news', id)
    if (!userId) return row
    const first = await txCtx.db
      .insert(newsReads)
      .values({ tenantId: txCtx.tenantId, articleId: id, userId })
      .onConflictDoNothing()
      .returning({ userId: newsReads.userId })
    if (first.length === 0) return row
    const [updated] = await txCtx.db
      .update(newsArticles)
      .set({ readCount: sql`${newsArticles.readCount} + 1` })
      .where(and(eq(newsArticles.tenantId, txCtx.tenantId), eq(newsArticles.id, id)))
      .returning()
    return updated ?? row
  })
}
