import { and, asc, eq, gte, lt } from 'drizzle-orm'
import { customers, followUps, visits } from '../../../db/schema'
import { listInstances } from '../approvals/list-instances'
import { requestTitle } from '../approvals/title'
import { actorId, type ServiceContext } from '../context'
import { ForbiddenError } from '../errors'
import { listMyNewLeads, type MyLeadTodo } from '../leads/list-my-new-leads'
import type { Locale } from '../locale'
import { listNotices } from '../notices/list-notices'
import { type HomeDealTodo, type HomePaymentTodo, salesTodos } from './sales-todos'

export interface HomeTodos {
  approvals: Array<{
    id: string
    title: string
    initiator: { id: string; name: string }
    submittedAt: string
  }>
  followups: Array<{ id: string; customer: { id: string; name: string }; dueAt: string; summary: string }>
  visits: Array<{
    id: string
    customer: { id: string; name: string }
    plannedAt: string
    address: string | null
  }>
  notices: Array<{ id: string; title: string; publishedAt: string | null; requiresAck: boolean }>
  /** My leads not contacted yet, overdue ones flagged, most urgent first. */
  leads: MyLeadTodo[]
  /** My open deals that stalled or passed their expected close date. */
  deals: HomeDealTodo[]
  /** Overdue 回款 instalments of my active contracts. */
  payments: HomePaymentTodo[]
}

/** Business day boundaries in China time (UTC+8, no daylight saving). */
function todayBounds(now: Date): { start: Date; end: Date } {
  const offset = 8 * 3600_000
  const local = new Date(now.getTime() + offset)
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - offset
  return { start: new Date(start), end: new Date(start + 24 * 3600_000) }
}

const OVERDUE_WINDOW_MS = 7 * 24 * 3600_000

/**
 * The mini-app's home: what waits for me today. Approvals waiting for my decision; my follow-ups due today
 * (and overdue within a week); my visits planned for today; notices I have not read; my new leads
 * (overdue first-contact flagged). Each list is the
 * actor's own items, so no wider data scope applies.
 */
export async function getHome({
  ctx,
  locale = 'zh-CN',
}: {
  ctx: ServiceContext
  /** The reader's language, for the titles of requests. */
  locale?: Locale
}): Promise<HomeTodos> {
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('home is per person')
  const { start, end } = todayBounds(ctx.clock.now())
  const [approvals, due, planned, inbox, myLeads, sales] = await Promise.all([
    listInstances({ ctx, input: { box: 'todo', pageSize: 10 } }),
    ctx.db
      .select({
        id: followUps.id,
        customerId: customers.id,
        customerName: customers.name,
        dueAt: followUps.nextFollowUpAt,
        content: followUps.content,
      })
      .from(followUps)
      .innerJoin(customers, eq(customers.id, followUps.customerId))
      .where(
        and(
          eq(followUps.tenantId, ctx.tenantId),
          eq(followUps.authorId, me),
          gte(followUps.nextFollowUpAt, new Date(start.getTime() - OVERDUE_WINDOW_MS)),
          lt(followUps.nextFollowUpAt, end),
        ),
      )
      .orderBy(asc(followUps.nextFollowUpAt))
      .limit(20),
    ctx.db
      .select({
        id: visits.id,
        customerId: customers.id,
        customerName: customers.name,
        plannedAt: visits.plannedAt,
        address: customers.address,
      })
      .from(visits)
      .innerJoin(customers, eq(customers.id, visits.customerId))
      .where(
        and(
          eq(visits.tenantId, ctx.tenantId),
          eq(visits.userId, me),
          eq(visits.status, 'planned'),
          gte(visits.plannedAt, start),
          lt(visits.plannedAt, end),
        ),
      )
      .orderBy(asc(visits.plannedAt))
      .limit(20),
    listNotices({ ctx, input: { box: 'inbox', limit: 50 } }),
    listMyNewLeads({ ctx }),
    salesTodos(ctx, me),
  ])
  return {
    approvals: approvals.items.map((i) => ({
      id: i.id,
      title: requestTitle(i, locale),
      initiator: {
        id: i.initiatorId,
        name: (locale === 'en' && i.initiatorEnName) || i.initiatorName,
      },
      submittedAt: i.createdAt.toISOString(),
    })),
    followups: due.map((f) => ({
      id: f.id,
      customer: { id: f.customerId, name: f.customerName },
      dueAt: (f.dueAt ?? end).toISOString(),
      summary: f.content.slice(0, 80),
    })),
    visits: planned.map((v) => ({
      id: v.id,
      customer: { id: v.customerId, name: v.customerName },
      plannedAt: (v.plannedAt ?? start).toISOString(),
      address: v.address ?? null,
    })),
    notices: inbox.items
      .filter((n) => n.status === 'published' && !n.readAt)
      .slice(0, 10)
      .map((n) => ({
        id: n.id,
        title: n.title,
        publishedAt: n.publishedAt ? n.publishedAt.toISOString() : null,
        requiresAck: n.requireAck,
      })),
    leads: myLeads,
    deals: sales.deals,
    payments: sales.payments,
  }
}
