import { and, desc, eq, gte, like, lt, lte, type SQL } from 'drizzle-orm'
import { auditLog, users } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { type ListAuditInput, listAuditSchema, parseInput } from '../org/admin-schemas'
import { requirePermission } from '../org/permissions'

export interface AuditItem {
  id: number
  at: string
  actorKind: string
  actor: { id: string; name: string } | null
  action: string
  targetType: string
  targetId: string
  before: unknown
  after: unknown
  meta: unknown
}

/**
 * The tenant's audit log, newest first: every admin change and sensitive action, filtered by who acted,
 * the kind of action (a prefix such as `org.role`) and a period. Needs `audit.view`.
 */
export async function listAudit({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ListAuditInput
}): Promise<{ items: AuditItem[]; nextBefore: number | null }> {
  await requirePermission(ctx, 'audit.view')
  const q = parseInput(listAuditSchema, input)
  const conds: SQL[] = [eq(auditLog.tenantId, ctx.tenantId)]
  if (q.actorId) conds.push(eq(auditLog.actorId, q.actorId))
  if (q.kind) conds.push(like(auditLog.action, `${escapeLike(q.kind)}%`))
  if (q.from) conds.push(gte(auditLog.at, q.from))
  if (q.to) conds.push(lte(auditLog.at, q.to))
  if (q.before) conds.push(lt(auditLog.id, q.before))
  const rows = await ctx.db
    .select({ row: auditLog, actorName: users.name })
    .from(auditLog)
    .leftJoin(users, and(eq(users.id, auditLog.actorId), eq(users.tenantId, ctx.tenantId)))
    .where(and(...conds))
    .orderBy(desc(auditLog.id))
    .limit(q.limit + 1)
  const page = rows.slice(0, q.limit)
  return {
    items: page.map(({ row, actorName }) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      actorKind: row.actorKind,
      actor: row.actorId ? { id: row.actorId, name: actorName ?? '' } : null,
      action: row.action,
      targetType: row.targetType,
      targetId: row.targetId,
      before: row.before,
      after: row.after,
      meta: row.meta,
    })),
    nextBefore: rows.length > q.limit ? (page[page.length - 1]?.row.id ?? null) : null,
  }
}
