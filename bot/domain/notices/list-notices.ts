import { and, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm'
import { noticeRecipients, notices } from '../../../db/schema'
import { actorId, type ServiceContext } from '../context'
import { ForbiddenError, InvalidInputError } from '../errors'
import { hasPermission } from '../org/permissions'
import { type ListNoticesInput, ListNoticesSchema } from './schemas'

export interface NoticeListRow {
  id: string
  title: string
  category: string
  status: 'draft' | 'scheduled' | 'published' | 'retracted'
  requireAck: boolean
  publisherId: string
  publishedAt: Date | null
  scheduledAt: Date | null
  recipientCount: number
  readAt: Date | null
  ackAt: Date | null
}

const parseCursor = (cursor: string | undefined): { at: Date; id: string } | null => {
  if (!cursor) return null
  const [at, id] = cursor.split('|')
  const d = at ? new Date(at) : null
  if (!d || Number.isNaN(d.getTime()) || !id) throw new InvalidInputError('cursor', 'malformed cursor')
  return { at: d, id }
}

/**
 * My notices: `inbox` (sent to me, newest first, with my receipt) or `published` (mine; admins see all).
 * Keyset paging by (time, id); `nextCursor` is null on the last page.
 */
export async function listNotices({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ListNoticesInput
}): Promise<{ items: NoticeListRow[]; nextCursor: string | null }> {
  const q = ListNoticesSchema.parse(input)
  const userId = actorId(ctx.actor)
  if (!userId) throw new ForbiddenError('a person lists notices')
  const cursor = parseCursor(q.cursor)
  const time = sql<Date>`coalesce(${notices.publishedAt}, ${notices.createdAt})`
  const conds: SQL[] = [eq(notices.tenantId, ctx.tenantId)]
  if (q.category) conds.push(eq(notices.category, q.category))
  if (q.status) conds.push(eq(notices.status, q.status))
  if (cursor) {
    const c = or(lt(time, cursor.at), and(eq(time, cursor.at), lt(notices.id, cursor.id)))
    if (c) conds.push(c)
  }
  const fields = {
    id: notices.id,
    title: notices.title,
    category: notices.category,
    status: notices.status,
    requireAck: notices.requireAck,
    publisherId: notices.publisherId,
    publishedAt: notices.publishedAt,
    scheduledAt: notices.scheduledAt,
    recipientCount: notices.recipientCount,
  }
  let rows: Array<NoticeListRow & { t: Date }>
  if (q.box === 'inbox') {
    conds.push(inArray(notices.status, ['published', 'retracted']))
    // Walks the tenant's notices newest first and probes each one's (notice, me) recipient key.
    rows = await ctx.db
      .select({ ...fields, readAt: noticeRecipients.readAt, ackAt: noticeRecipients.ackAt, t: time })
      .from(notices)
      .innerJoin(
        noticeRecipients,
        and(eq(noticeRecipients.noticeId, notices.id), eq(noticeRecipients.target, userId)),
      )
      .where(and(eq(noticeRecipients.tenantId, ctx.tenantId), ...conds))
      .orderBy(desc(time), desc(notices.id))
      .limit(q.limit + 1)
  } else {
    const admin = await hasPermission(ctx, '*')
    if (!admin) conds.push(eq(notices.publisherId, userId))
    rows = await ctx.db
      .select({ ...fields, readAt: sql<Date | null>`null`, ackAt: sql<Date | null>`null`, t: time })
      .from(notices)
      .where(and(...conds))
      .orderBy(desc(time), desc(notices.id))
      .limit(q.limit + 1)
  }
  const page = rows.slice(0, q.limit)
  const last = page[page.length - 1]
  const nextCursor = rows.length > q.limit && last ? `${new Date(last.t).toISOString()}|${last.id}` : null
  return { items: page.map(({ t: _t, ...r }) => r), nextCursor }
}
