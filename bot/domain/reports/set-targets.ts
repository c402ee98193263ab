import { and, eq, inArray, sql } from 'drizzle-orm'
import { departments, salesTargets, users } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidInputError } from '../errors'
import { loadActorScope, scopeFilter } from '../org/data-scope'
import { hasPermission } from '../org/permissions'
import { type SetTargetsInput, setTargetsInput } from './schemas'

export type TargetEntry = SetTargetsInput['targets'][number]

/**
 * Sets monthly targets (业绩目标), all or nothing. Admins and holders of `reports.targets.manage` set any
 * target in the tenant; a manager whose data scope covers a person sets that person's targets, and
 * departments' targets need the permission. `value: null` removes a target. Each change is audited.
 */
export async function setTargets({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: SetTargetsInput
}): Promise<{ saved: number; removed: number }> {
  const { targets } = setTargetsInput.parse(input)
  return withTransaction(ctx, async (_tx, c) => {
    const result = await saveTargets(c, targets, (i) => `targets.${i}.subjectId`)
    await recordAudit(c, {
      action: 'report.targets.set',
      targetType: 'sales_targets',
      targetId: targets.length === 1 ? `${targets[0]?.subjectId}:${targets[0]?.month}` : `${targets.length}`,
      after: targets,
    })
    return result
  })
}

/**
 * Checks who may set each target and writes them, inside the caller's transaction. `fieldOf(i)` names the
 * input field of entry `i` in errors (`targets.3.subjectId`, or a file's row). Entries for the same subject,
 * kind and month: the last one wins.
 */
export async function saveTargets(
  c: ServiceContext,
  targets: TargetEntry[],
  fieldOf: (i: number) => string,
): Promise<{ saved: number; removed: number }> {
  const manager = await hasPermission(c, 'reports.targets.manage')
  const userIds = [...new Set(targets.filter((t) => t.subjectKind === 'user').map((t) => t.subjectId))]
  const deptIds = [...new Set(targets.filter((t) => t.subjectKind === 'department').map((t) => t.subjectId))]
  if (deptIds.length && !manager)
    throw new ForbiddenError('department targets need the reports.targets.manage permission')
  if (userIds.length) {
    const scope = await loadActorScope(c)
    const found = await c.db
      .select({ id: users.id, mine: manager ? sql<boolean>`true` : scopeFilter(scope, users.id) })
      .from(users)
      .where(and(eq(users.tenantId, c.tenantId), inArray(users.id, userIds)))
    const byId = new Map(found.map((u) => [u.id, Boolean(u.mine)]))
    targets.forEach((t, i) => {
      if (t.subjectKind !== 'user') return
      if (!byId.has(t.subjectId))
        throw new InvalidInputError(fieldOf(i), `no person ${t.subjectId} in this tenant`)
      if (!byId.get(t.subjectId) || (t.subjectId === actorId(c.actor) && !manager))
        throw new ForbiddenError(`you may not set targets for ${t.subjectId} (${fieldOf(i)})`)
    })
  }
  if (deptIds.length) {
    const found = await c.db
      .select({ id: departments.id })
      .from(departments)
      .where(and(eq(departments.tenantId, c.tenantId), inArray(departments.id, deptIds)))
    const known = new Set(found.map((d) => d.id))
    targets.forEach((t, i) => {
      if (t.subjectKind === 'department' && !known.has(t.subjectId))
        throw new InvalidInputError(fieldOf(i), `no department ${t.subjectId} in this tenant`)
    })
  }
  // One write per target key, the last entry winning (an upsert cannot touch a row twice).
  const last = new Map<string, TargetEntry>()
  for (const t of targets) last.set(`${t.subjectKind}|${t.subjectId}|${t.kind}|${t.month}`, t)
  const upserts = [...last.values()].filter((t) => t.value !== null)
  const removals = [...last.values()].filter((t) => t.value === null)
  let removed = 0
  for (const t of removals) {
    const gone = await c.db
      .delete(salesTargets)
      .where(
        and(
          eq(salesTargets.tenantId, c.tenantId),
          eq(salesTargets.subjectKind, t.subjectKind),
          eq(salesTargets.subjectId, t.subjectId),
          eq(salesTargets.kind, t.kind),
          eq(salesTargets.month, t.month),
        ),
      )
      .returning({ id: salesTargets.id })
    removed += gone.length
  }
  const now = c.clock.now()
  for (let i = 0; i < upserts.length; i += 500) {
    await c.db
      .insert(salesTargets)
      .values(
        upserts.slice(i, i + 500).map((t) => ({
          id: newId('tgt'),
          tenantId: c.tenantId,
          ...t,
          value: t.value ?? 0,
          setById: actorId(c.actor),
        })),
      )
      .onConflictDoUpdate({
        target: [
          salesTargets.tenantId,
          salesTargets.subjectKind,
          salesTargets.subjectId,
          salesTargets.kind,
          salesTargets.month,
        ],
        set: { value: sql`excluded.value`, setById: sql`excluded.set_by_id`, updatedAt: now },
      })
  }
  return { saved: upserts.length, removed }
}
