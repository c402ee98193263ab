import { and, eq, inArray, sql } from 'drizzle-orm'
import {
  departments,
  type GrantSource,
  roleDepartments,
  roles,
  userDepartments,
  userIdentities,
  userRoles,
  users,
} from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { ADMIN_ROLE, EVERYONE_ROLE, LEADER_ROLE } from './default-roles'
import { type SyncRoleGrantsInput, syncRoleGrantsSchema } from './internal/schemas'

export interface SyncRoleGrantsResult {
  added: number
  removed: number
}

/** A mobile number reduced to its national digits (`+86 138-0000-0001` → `13800000001`). */
export function normaliseMobile(mobile: string): string {
  const digits = mobile.replace(/\D/g, '')
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits
}

/** Whether a FLOWCARD_ADMINS entry names this person (email, mobile, platform user id or open id). */
export function matchesBootstrapAdmin(
  entry: string,
  person: { email: string | null; mobile: string | null; ids: string[] },
): boolean {
  const e = entry.trim()
  if (!e) return false
  if (e.includes('@')) return !!person.email && person.email.toLowerCase() === e.toLowerCase()
  if (person.ids.includes(e)) return true
  if (/^\+?[\d\s-]{6,}$/.test(e) && person.mobile)
    return normaliseMobile(person.mobile) === normaliseMobile(e)
  return false
}

const key = (userId: string, roleId: string, source: GrantSource) => `${userId}\u0000${roleId}\u0000${source}`

/**
 * Makes every derived role grant match the directory: 部门负责人 for the leaders of active departments,
 * 员工 for every active person, roles granted to whole departments for their members (and below), 管理员
 * for the platform's app administrators and the FLOWCARD_ADMINS list. Grants an admin made by hand
 * (`manual`) are never touched, so a sync cannot take away what a person was given on purpose; a derived
 * grant whose reason went away (a leader replaced, an admin removed upstream) is removed. Runs after every
 * directory sync and whenever a department's role membership changes.
 */
export async function syncRoleGrants({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: SyncRoleGrantsInput
}): Promise<SyncRoleGrantsResult> {
  const parsed = syncRoleGrantsSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidInputError(issue?.path.join('.') || 'grants', issue?.message ?? 'invalid input')
  }
  const { platform, platformAdminOpenIds, bootstrapAdmins } = parsed.data
  return withTransaction(ctx, async (tx, c) => {
    const tenantId = c.tenantId
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`role-grants:${tenantId}`}))`)
    const [roleRows, people, identities, depts, memberships, wholeDepts] = await Promise.all([
      tx.select({ id: roles.id, key: roles.key }).from(roles).where(eq(roles.tenantId, tenantId)),
      tx
        .select({ id: users.id, email: users.email, mobile: users.mobile })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), eq(users.status, 'active'))),
      tx
        .select({
          userId: userIdentities.userId,
          openId: userIdentities.openId,
          platformUserId: userIdentities.platformUserId,
        })
        .from(userIdentities)
        .where(and(eq(userIdentities.tenantId, tenantId), eq(userIdentities.platform, platform))),
      tx
        .select({ leaderUserId: departments.leaderUserId, path: departments.path })
        .from(departments)
        .where(and(eq(departments.tenantId, tenantId), eq(departments.active, true))),
      tx
        .select({ userId: userDepartments.userId, path: departments.path })
        .from(userDepartments)
        .innerJoin(departments, eq(departments.id, userDepartments.departmentId))
        .where(and(eq(userDepartments.tenantId, tenantId), eq(departments.active, true))),
      tx
        .select({ roleId: roleDepartments.roleId, path: departments.path })
        .from(roleDepartments)
        .innerJoin(departments, eq(departments.id, roleDepartments.departmentId))
        .where(eq(roleDepartments.tenantId, tenantId)),
    ])
    const roleId = new Map(roleRows.map((r) => [r.key, r.id]))
    const active = new Set(people.map((p) => p.id))
    const desired = new Map<string, { userId: string; roleId: string; source: GrantSource }>()
    const want = (userId: string | null | undefined, role: string | undefined, source: GrantSource) => {
      if (!userId || !role || !active.has(userId)) return
      desired.set(key(userId, role, source), { userId, roleId: role, source })
    }
    for (const d of depts) want(d.leaderUserId, roleId.get(LEADER_ROLE), 'leader')
    for (const p of people) want(p.id, roleId.get(EVERYONE_ROLE), 'everyone')
    for (const g of wholeDepts)
      for (const m of memberships) if (m.path.startsWith(g.path)) want(m.userId, g.roleId, 'department')
    const adminRole = roleId.get(ADMIN_ROLE)
    const idsOf = new Map<string, string[]>()
    for (const i of identities) {
      const list = idsOf.get(i.userId) ?? []
      for (const v of [i.openId, i.platformUserId]) if (v) list.push(v)
      idsOf.set(i.userId, list)
    }
    if (platformAdminOpenIds) {
      const upstream = new Set(platformAdminOpenIds)
      for (const i of identities)
        if (i.openId && upstream.has(i.openId)) want(i.userId, adminRole, 'platform_admin')
    }
    if (bootstrapAdmins && bootstrapAdmins.length > 0) {
      for (const p of people) {
        const person = { email: p.email, mobile: p.mobile, ids: idsOf.get(p.id) ?? [] }
        if (bootstrapAdmins.some((e) => matchesBootstrapAdmin(e, person))) want(p.id, adminRole, 'env')
      }
    }

    const managed: GrantSource[] = ['leader', 'everyone', 'department']
    if (platformAdminOpenIds) managed.push('platform_admin')
    if (bootstrapAdmins) managed.push('env')
    const current = await tx
      .select({ userId: userRoles.userId, roleId: userRoles.roleId, source: userRoles.source })
      .from(userRoles)
      .where(and(eq(userRoles.tenantId, tenantId), inArray(userRoles.source, managed)))
    const have = new Set(current.map((r) => key(r.userId, r.roleId, r.source)))
    const toRemove = current.filter((r) => !desired.has(key(r.userId, r.roleId, r.source)))
    const toAdd = [...desired.entries()].filter(([k]) => !have.has(k)).map(([, v]) => v)
    for (let i = 0; i < toRemove.length; i += 500) {
      const part = toRemove.slice(i, i + 500)
      await tx.execute(sql`
        delete from user_roles where tenant_id = ${tenantId} and (user_id, role_id, source) in (${sql.join(
          part.map((r) => sql`(${r.userId}, ${r.roleId}, ${r.source})`),
          sql`, `,
        )})`)
    }
    for (let i = 0; i < toAdd.length; i += 500) {
      await tx
        .insert(userRoles)
        .values(toAdd.slice(i, i + 500).map((g) => ({ tenantId, ...g })))
        .onConflictDoNothing()
    }
    if (toAdd.length > 0 || toRemove.length > 0) {
      const keyOf = new Map(roleRows.map((r) => [r.id, r.key]))
      const describe = (list: Array<{ userId: string; roleId: string; source: GrantSource }>) =>
        list.slice(0, 200).map((g) => ({ userId: g.userId, role: keyOf.get(g.roleId), source: g.source }))
      await recordAudit(c, {
        action: 'org.role_grants_synced',
        targetType: 'tenant',
        targetId: tenantId,
        after: { added: describe(toAdd), removed: describe(toRemove) },
        meta: { added: toAdd.length, removed: toRemove.length },
      })
    }
    return { added: toAdd.length, removed: toRemove.length }
  })
}
