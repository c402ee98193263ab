import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm'
import { newsArticles } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import { ListNewsSchema } from './schemas'

export interface NewsFeedItem {
  id: string
  title: string
  summary: string
  coverUrl: string | null
  category: string
  publishedAt: Date | null
  readCount: number
}

/** The mini-app news feed: published articles, newest first, optionally one category; keyset paging. */
export async function listNews({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { category?: string; limit?: number; cursor?: string }
}): Promise<{ items: NewsFeedItem[]; nextCursor: string | null }> {
  const q = ListNewsSchema.parse(input)
  const conds: SQL[] = [eq(newsArticles.tenantId, ctx.tenantId), eq(newsArticles.status, 'published')]
  if (q.category) conds.push(eq(newsArticles.category, q.category))
  if (q.cursor) {
    const [at, id] = q.cursor.split('|')
    const d = at ? new Date(at) : null
    if (!d || Number.isNaN(d.getTime()) || !id) throw new InvalidInputError('cursor', 'malformed cursor')
    const c = or(
      lt(newsArticles.publishedAt, d),
      and(eq(newsArticles.publishedAt, d), lt(newsArticles.id, id)),
    )
    if (c) conds.push(c)
  }
  const rows = await ctx.db
    .select({
      id: newsArticles.id,
      title: newsArticles.title,
      summary: newsArticles.summary,
      coverUrl: newsArticles.coverUrl,
      category: newsArticles.category,
      publishedAt: newsArticles.publishedAt,
      readCount: newsArticles.readCount,
    })
    .from(newsArticles)
    .where(and(...conds))
    .orderBy(desc(newsArticles.publishedAt), desc(newsArticles.id))
    .limit(q.limit + 1)
  const items = rows.slice(0, q.limit)
  const last = items[items.length - 1]
  return {
    items,
    nextCursor:
      rows.length > q.limit && last?.publishedAt ? `${last.publishedAt.toISOString()}|${last.id}` : null,
  }
}
