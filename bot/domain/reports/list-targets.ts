import { and, asc, eq, gte, inArray, lte, or, type SQL } from 'drizzle-orm'
import { salesTargets, users } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadActorScope, scopeFilter } from '../org/data-scope'
import { hasPermission } from '../org/permissions'
import { type ListTargetsInput, listTargetsInput } from './schemas'

export interface TargetRow {
  subjectKind: 'user' | 'department'
  subjectId: string
  kind: string
  month: string
  value: number
}

/**
 * The targets of a year: people the caller's data scope covers, and departments for those who manage
 * targets. Quarters and the year are sums of these months (done by the reader or the targets report).
 */
export async function listTargets({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ListTargetsInput
}): Promise<{ items: TargetRow[] }> {
  const q = listTargetsInput.parse(input)
  const [scope, manager] = await Promise.all([
    loadActorScope(ctx),
    hasPermission(ctx, 'reports.targets.manage'),
  ])
  const visiblePeople = ctx.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), scopeFilter(scope, users.id)))
  const who = or(
    and(eq(salesTargets.subjectKind, 'user'), inArray(salesTargets.subjectId, visiblePeople)),
    manager ? eq(salesTargets.subjectKind, 'department') : undefined,
  ) as SQL
  const rows = await ctx.db
    .select({
      subjectKind: salesTargets.subjectKind,
      subjectId: salesTargets.subjectId,
      kind: salesTargets.kind,
      month: salesTargets.month,
      value: salesTargets.value,
    })
    .from(salesTargets)
    .where(
      and(
        eq(salesTargets.tenantId, ctx.tenantId),
        gte(salesTargets.month, `${q.year}-01`),
        lte(salesTargets.month, `${q.year}-12`),
        who,
        q.subjectKind ? eq(salesTargets.subjectKind, q.subjectKind) : undefined,
        q.subjectId ? eq(salesTargets.subjectId, q.subjectId) : undefined,
      ),
    )
    .orderBy(
      asc(salesTargets.subjectKind),
      asc(salesTargets.subjectId),
      asc(salesTargets.kind),
      asc(salesTargets.month),
    )
  return { items: rows.map((r) => ({ ...r, value: Number(r.value) })) }
}
