import { and, count, desc, eq, exists, gte, ilike, inArray, lte, type SQL, sql } from 'drizzle-orm'
import { approvalInstances, approvalTasks, approvalTemplates, users } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import { actorId, type ServiceContext } from '../context'
import { ForbiddenError } from '../errors'
import { ListInstancesInput } from './schemas'

export interface InstanceListItem {
  id: string
  serialNo: string
  title: string
  templateKey: string
  templateName: string
  status: string
  initiatorId: string
  initiatorName: string
  createdAt: Date
  finishedAt: Date | null
  /** The external system that started it (ERP, HR), if any. */
  source: string | null
  /** For `todo`: my pending task on it. */
  myTaskId: string | null
  myTaskVersion: number | null
}

/**
 * The four boxes of the mini-app: requests I started (`mine`), waiting for me (`todo`), decided by me
 * (`done`), copied to me (`cc`), with filters and paging. Only the actor's own involvement is listed.
 */
export async function listInstances({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: Partial<ListInstancesInput>
}): Promise<{ items: InstanceListItem[]; total: number; page: number; pageSize: number }> {
  const q = ListInstancesInput.parse(input)
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('lists are per person')
  const mine = (statuses: string[], extra?: SQL) =>
    exists(
      ctx.db
        .select({ one: sql`1` })
        .from(approvalTasks)
        .where(
          and(
            eq(approvalTasks.instanceId, approvalInstances.id),
            eq(approvalTasks.tenantId, ctx.tenantId),
            eq(approvalTasks.assigneeId, me),
            inArray(
              approvalTasks.status,
              statuses as Array<(typeof approvalTasks.status.enumValues)[number]>,
            ),
            extra,
          ),
        ),
    )
  const box: SQL | undefined =
    q.box === 'mine'
      ? eq(approvalInstances.initiatorId, me)
      : q.box === 'todo'
        ? and(eq(approvalInstances.status, 'pending'), mine(['pending']))
        : q.box === 'done'
          ? mine(['approved', 'rejected', 'returned', 'transferred'], sql`${approvalTasks.auto} is null`)
          : mine(['cc'])
  const where = and(
    eq(approvalInstances.tenantId, ctx.tenantId),
    box,
    q.status ? eq(approvalInstances.status, q.status) : undefined,
    q.templateKey ? eq(approvalTemplates.key, q.templateKey) : undefined,
    q.q ? ilike(approvalInstances.title, `%${escapeLike(q.q)}%`) : undefined,
    q.from ? gte(approvalInstances.createdAt, q.from) : undefined,
    q.to ? lte(approvalInstances.createdAt, q.to) : undefined,
  )
  const myTask = ctx.db
    .select({ id: approvalTasks.id, version: approvalTasks.version, instanceId: approvalTasks.instanceId })
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.tenantId, ctx.tenantId),
        eq(approvalTasks.assigneeId, me),
        eq(approvalTasks.status, 'pending'),
      ),
    )
    .as('my_task')
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select({
        id: approvalInstances.id,
        serialNo: approvalInstances.serialNo,
        title: approvalInstances.title,
        templateKey: approvalTemplates.key,
        templateName: approvalTemplates.name,
        status: approvalInstances.status,
        initiatorId: approvalInstances.initiatorId,
        initiatorName: users.name,
        createdAt: approvalInstances.createdAt,
        finishedAt: approvalInstances.finishedAt,
        source: sql<string | null>`${approvalInstances.external} ->> 'systemName'`,
        myTaskId: myTask.id,
        myTaskVersion: myTask.version,
      })
      .from(approvalInstances)
      .innerJoin(approvalTemplates, eq(approvalTemplates.id, approvalInstances.templateId))
      .innerJoin(users, eq(users.id, approvalInstances.initiatorId))
      .leftJoin(myTask, eq(myTask.instanceId, approvalInstances.id))
      .where(where)
      .orderBy(desc(approvalInstances.createdAt), desc(approvalInstances.id))
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize),
    ctx.db
      .select({ n: count() })
      .from(approvalInstances)
      .innerJoin(approvalTemplates, eq(approvalTemplates.id, approvalInstances.templateId))
      .where(where),
  ])
  // An instance with two pending tasks for me (rare: add-sign) appears once.
  const seen = new Set<string>()
  const items = rows.filter((r) => {
    if (seen.has(r.id)) return false
    seen.add(r.id)
    return true
  })
  return { items, total: total?.n ?? 0, page: q.page, pageSize: q.pageSize }
}
