import { and, eq, inArray, sql } from 'drizzle-orm'
import { departments, userIdentities, users } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { knownZone } from '../../lib/time-zone'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError, InvalidInputError } from '../errors'
import { upsertDepartments, upsertUsers } from './internal/directory-writes'
import { type ApplyDirectoryInput, applyDirectorySchema } from './internal/schemas'

export interface ApplyDirectoryResult {
  departments: number
  users: number
  deactivatedUsers: number
  deactivatedDepartments: number
}

const CHUNK = 500

function chunks<T>(list: T[], size = CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}

/**
 * Makes the tenant's org match a platform directory snapshot, in one transaction: departments upserted with
 * their materialised paths and leaders, users with names, titles, managers, memberships and platform
 * identities. Users missing from the snapshot or resigned are deactivated, never deleted (their approvals,
 * records and audit history stay). Running it twice with the same snapshot changes nothing.
 */
export async function applyDirectory({
  ctx,
  input,
  guard,
}: {
  ctx: ServiceContext
  input: ApplyDirectoryInput
  /**
   * Refuse (change nothing, throw `ConflictError` with `code: 'directory_shrunk'`) when the snapshot would
   * deactivate more than this share of the platform's active people: a platform answer that lost most of
   * the org is far likelier than most of the org leaving at once.
   */
  guard?: { maxDeactivatedShare: number }
}): Promise<ApplyDirectoryResult> {
  const parsed = applyDirectorySchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidInputError(issue?.path.join('.') || 'snapshot', issue?.message ?? 'invalid directory')
  }
  const snapshot = parsed.data
  const { platform } = snapshot
  return withTransaction(ctx, async (tx, txCtx) => {
    const tenantId = txCtx.tenantId
    // Serialise syncs of one tenant (a daily run and an event-triggered one may overlap).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`directory:${tenantId}`}))`)

    const existingDepts = await tx
      .select({ id: departments.id, externalId: departments.externalId })
      .from(departments)
      .where(eq(departments.tenantId, tenantId))
    const deptIdByExternal = new Map<string, string>()
    for (const d of existingDepts) if (d.externalId) deptIdByExternal.set(d.externalId, d.id)
    for (const d of snapshot.departments)
      if (!deptIdByExternal.has(d.externalId)) deptIdByExternal.set(d.externalId, newId('dep'))

    const existingIdentities = await tx
      .select({ userId: userIdentities.userId, openId: userIdentities.openId })
      .from(userIdentities)
      .where(and(eq(userIdentities.tenantId, tenantId), eq(userIdentities.platform, platform)))
    const userIdByOpenId = new Map<string, string>()
    for (const i of existingIdentities) if (i.openId) userIdByOpenId.set(i.openId, i.userId)
    if (guard) {
      const listed = new Set(snapshot.users.filter((u) => u.active).map((u) => u.openId))
      const activeRows = await tx
        .select({ openId: userIdentities.openId })
        .from(userIdentities)
        .innerJoin(users, eq(users.id, userIdentities.userId))
        .where(
          and(
            eq(userIdentities.tenantId, tenantId),
            eq(userIdentities.platform, platform),
            eq(users.status, 'active'),
          ),
        )
      const leaving = activeRows.filter((r) => !r.openId || !listed.has(r.openId)).length
      const emptied = listed.size === 0 && activeRows.length > 0
      if (emptied || (leaving > 2 && leaving / activeRows.length > guard.maxDeactivatedShare))
        throw new ConflictError('the directory sync would deactivate too many people; nothing was changed', {
          code: 'directory_shrunk',
          active: activeRows.length,
          leaving,
          maxShare: guard.maxDeactivatedShare,
        })
    }
    for (const u of snapshot.users)
      if (!userIdByOpenId.has(u.openId)) userIdByOpenId.set(u.openId, newId('usr'))

    // Materialised paths: `/rootId/…/selfId/`; a parent outside the snapshot makes a department a root.
    const byExternal = new Map(snapshot.departments.map((d) => [d.externalId, d]))
    const paths = new Map<string, string>()
    const pathOf = (externalId: string, depth = 0): string => {
      const cached = paths.get(externalId)
      if (cached) return cached
      const d = byExternal.get(externalId)
      const id = deptIdByExternal.get(externalId) ?? ''
      const parent = d?.parentExternalId
      const parentPath =
        parent && parent !== externalId && byExternal.has(parent) && depth < 64
          ? pathOf(parent, depth + 1)
          : '/'
      const path = `${parentPath}${id}/`
      paths.set(externalId, path)
      return path
    }

    const deptRows = snapshot.departments.map((d) => {
      const parent = d.parentExternalId && byExternal.has(d.parentExternalId) ? d.parentExternalId : null
      return {
        id: deptIdByExternal.get(d.externalId) ?? newId('dep'),
        tenantId,
        name: d.name,
        parentId: parent && parent !== d.externalId ? (deptIdByExternal.get(parent) ?? null) : null,
        path: pathOf(d.externalId),
        leaderUserId: d.leaderOpenId ? (userIdByOpenId.get(d.leaderOpenId) ?? null) : null,
        sortOrder: Math.trunc(d.order),
        externalId: d.externalId,
        active: true,
      }
    })
    for (const rows of chunks(deptRows)) await upsertDepartments(tx, rows)

    const userRows = snapshot.users.map((u) => {
      const memberships = u.departmentExternalIds
        .filter((e) => byExternal.has(e))
        .map((e) => deptIdByExternal.get(e))
        .filter((x): x is string => x !== undefined)
      return {
        row: {
          id: userIdByOpenId.get(u.openId) ?? newId('usr'),
          tenantId,
          name: u.name,
          enName: u.enName ?? null,
          timeZone: knownZone(u.timeZone),
          email: u.email ?? null,
          mobile: u.mobile ?? null,
          avatarUrl: u.avatarUrl ?? null,
          jobTitle: u.jobTitle ?? null,
          departmentId: memberships[0] ?? null,
          managerId: u.managerOpenId ? (userIdByOpenId.get(u.managerOpenId) ?? null) : null,
          status: (u.active ? 'active' : 'inactive') as 'active' | 'inactive',
        },
        memberships,
        identity: u,
      }
    })
    for (const rows of chunks(userRows)) await upsertUsers(tx, tenantId, platform, rows)

    // Everyone of this platform who is no longer in the directory leaves (kept, made inactive).
    const present = new Set(snapshot.users.map((u) => userIdByOpenId.get(u.openId)))
    const gone = existingIdentities.map((i) => i.userId).filter((id) => !present.has(id))
    let deactivatedUsers = snapshot.users.filter((u) => !u.active).length
    for (const ids of chunks([...new Set(gone)])) {
      const changed = await tx
        .update(users)
        .set({ status: 'inactive', updatedAt: sql`now()` })
        .where(and(eq(users.tenantId, tenantId), inArray(users.id, ids), eq(users.status, 'active')))
        .returning({ id: users.id })
      deactivatedUsers += changed.length
    }
    const snapshotDeptIds = new Set(deptRows.map((d) => d.id))
    const goneDepts = existingDepts.filter((d) => d.externalId && !snapshotDeptIds.has(d.id)).map((d) => d.id)
    let deactivatedDepartments = 0
    for (const ids of chunks(goneDepts)) {
      const changed = await tx
        .update(departments)
        .set({ active: false, updatedAt: sql`now()` })
        .where(
          and(eq(departments.tenantId, tenantId), inArray(departments.id, ids), eq(departments.active, true)),
        )
        .returning({ id: departments.id })
      deactivatedDepartments += changed.length
    }
    const result: ApplyDirectoryResult = {
      departments: deptRows.length,
      users: userRows.length,
      deactivatedUsers,
      deactivatedDepartments,
    }
    await recordAudit(txCtx, {
      action: 'org.apply_directory',
      targetType: 'tenant',
      targetId: tenantId,
      after: { platform, ...result },
    })
    return result
  })
}
