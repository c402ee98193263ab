import { and, asc, eq } from 'drizzle-orm'
import { departments, noticeRecipients, users } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import { loadNotice, type NoticeRow, requireManage } from './access'
import { noticeCounts } from './internal/card-data'
import { DashboardSchema } from './schemas'
import type { NoticeCounts } from './views'

export interface DashboardPerson {
  userId: string | null
  target: string
  name: string
  status: 'pending' | 'queued' | 'sent' | 'failed' | 'cancelled'
  error: string | null
  readAt: Date | null
  readVia: string | null
  ackAt: Date | null
  reminderStep: number
}

export interface DashboardDepartment {
  departmentId: string | null
  name: string
  total: number
  pending: number
  sent: number
  failed: number
  read: number
  unread: number
  acknowledged: number
  people?: {
    unread: DashboardPerson[]
    read: DashboardPerson[]
    acknowledged: DashboardPerson[]
    failed: DashboardPerson[]
  }
}

export interface NoticeDashboard {
  notice: NoticeRow
  totals: NoticeCounts & { unread: number }
  departments: DashboardDepartment[]
}

/** Everyone's rows of a notice, with names and frozen departments (dashboard and CSV). */
export async function recipientRows(ctx: ServiceContext, noticeId: string) {
  return ctx.db
    .select({
      target: noticeRecipients.target,
      userId: noticeRecipients.userId,
      chatId: noticeRecipients.chatId,
      name: users.name,
      departmentId: noticeRecipients.departmentId,
      departmentName: departments.name,
      status: noticeRecipients.status,
      error: noticeRecipients.error,
      sentAt: noticeRecipients.sentAt,
      readAt: noticeRecipients.readAt,
      readVia: noticeRecipients.readVia,
      ackAt: noticeRecipients.ackAt,
      reminderStep: noticeRecipients.reminderStep,
    })
    .from(noticeRecipients)
    .leftJoin(users, and(eq(users.id, noticeRecipients.userId), eq(users.tenantId, ctx.tenantId)))
    .leftJoin(
      departments,
      and(eq(departments.id, noticeRecipients.departmentId), eq(departments.tenantId, ctx.tenantId)),
    )
    .where(and(eq(noticeRecipients.tenantId, ctx.tenantId), eq(noticeRecipients.noticeId, noticeId)))
    .orderBy(asc(departments.path), asc(users.name), asc(noticeRecipients.target))
}

/**
 * The read dashboard: per (frozen) department, counts of unread / read / acknowledged / failed and, with
 * `withPeople`, who is in each list. Failed rows carry the platform's reason. Publisher and admins only.
 */
export async function getNoticeDashboard({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { id: string; withPeople?: boolean }
}): Promise<NoticeDashboard> {
  const { id, withPeople } = DashboardSchema.parse(input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const n = await loadNotice(txCtx, id)
    await requireManage(txCtx, n)
    const counts = await noticeCounts(txCtx, id)
    const rows = await recipientRows(txCtx, id)
    const byDept = new Map<string, DashboardDepartment>()
    for (const r of rows) {
      const key = r.chatId ? 'chats' : (r.departmentId ?? 'none')
      let d = byDept.get(key)
      if (!d) {
        d = {
          departmentId: r.chatId ? null : r.departmentId,
          name: r.chatId ? '群聊 / Group chats' : (r.departmentName ?? '—'),
          total: 0,
          pending: 0,
          sent: 0,
          failed: 0,
          read: 0,
          unread: 0,
          acknowledged: 0,
          ...(withPeople ? { people: { unread: [], read: [], acknowledged: [], failed: [] } } : {}),
        }
        byDept.set(key, d)
      }
      d.total++
      if (r.status === 'pending' || r.status === 'queued') d.pending++
      if (r.status === 'sent') d.sent++
      if (r.status === 'failed') d.failed++
      if (r.readAt) d.read++
      else if (r.status === 'sent') d.unread++
      if (r.ackAt) d.acknowledged++
      if (d.people) {
        const p: DashboardPerson = {
          userId: r.userId,
          target: r.target,
          name: r.name ?? r.chatId ?? r.target,
          status: r.status,
          error: r.error,
          readAt: r.readAt,
          readVia: r.readVia,
          ackAt: r.ackAt,
          reminderStep: r.reminderStep,
        }
        if (r.status === 'failed') d.people.failed.push(p)
        else if (r.ackAt) d.people.acknowledged.push(p)
        else if (r.readAt) d.people.read.push(p)
        else if (r.status === 'sent') d.people.unread.push(p)
      }
    }
    return {
      notice: n,
      totals: { ...counts, unread: Math.max(0, counts.sent - counts.read) },
      departments: [...byDept.values()],
    }
  })
}
