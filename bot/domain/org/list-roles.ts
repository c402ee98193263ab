import { and, asc, eq, sql } from 'drizzle-orm'
import { roleDepartments, roles, userRoles, users } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { requirePermission } from './permissions'

export interface RoleSummary {
  id: string
  key: string
  name: string
  nameEn: string | null
  description: string | null
  dataScope: string
  permissions: string[]
  builtIn: boolean
  /** Active people holding the role for any reason. */
  memberCount: number
  departmentCount: number
}

/** The tenant's roles with their permissions, data scope and member counts. Needs `org.admin`. */
export async function listRoles({ ctx }: { ctx: ServiceContext }): Promise<RoleSummary[]> {
  await requirePermission(ctx, 'org.admin')
  const [rows, members, depts] = await Promise.all([
    ctx.db
      .select({
        id: roles.id,
        key: roles.key,
        name: roles.name,
        nameEn: roles.nameEn,
        description: roles.description,
        dataScope: roles.dataScope,
        permissions: roles.permissions,
        builtIn: roles.builtIn,
      })
      .from(roles)
      .where(eq(roles.tenantId, ctx.tenantId))
      .orderBy(asc(roles.createdAt), asc(roles.key)),
    ctx.db
      .select({ roleId: userRoles.roleId, n: sql<number>`count(distinct ${userRoles.userId})::int` })
      .from(userRoles)
      .innerJoin(users, and(eq(users.id, userRoles.userId), eq(users.status, 'active')))
      .where(eq(userRoles.tenantId, ctx.tenantId))
      .groupBy(userRoles.roleId),
    ctx.db
      .select({ roleId: roleDepartments.roleId, n: sql<number>`count(*)::int` })
      .from(roleDepartments)
      .where(eq(roleDepartments.tenantId, ctx.tenantId))
      .groupBy(roleDepartments.roleId),
  ])
  const memberCount = new Map(members.map((m) => [m.roleId, m.n]))
  const departmentCount = new Map(depts.map((d) => [d.roleId, d.n]))
  return rows.map((r) => ({
    ...r,
    memberCount: memberCount.get(r.id) ?? 0,
    departmentCount: departmentCount.get(r.id) ?? 0,
  }))
}
