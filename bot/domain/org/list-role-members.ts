import { and, asc, eq } from 'drizzle-orm'
import { departments, roleDepartments, roles, userRoles, users } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { requirePermission } from './permissions'

export interface RoleMembers {
  people: Array<{ id: string; name: string; status: string; sources: string[] }>
  departments: Array<{ id: string; name: string }>
}

/** Who holds a role and why (manual, platform admin, leader, department, …). Needs `org.admin`. */
export async function listRoleMembers({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { roleId: string }
}): Promise<RoleMembers> {
  await requirePermission(ctx, 'org.admin')
  const [role] = await ctx.db
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.tenantId, ctx.tenantId), eq(roles.id, input.roleId)))
  if (!role) throw new NotFoundError('role', input.roleId)
  const [grants, depts] = await Promise.all([
    ctx.db
      .select({ id: users.id, name: users.name, status: users.status, source: userRoles.source })
      .from(userRoles)
      .innerJoin(users, eq(users.id, userRoles.userId))
      .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(userRoles.roleId, role.id)))
      .orderBy(asc(users.name), asc(users.id)),
    ctx.db
      .select({ id: departments.id, name: departments.name })
      .from(roleDepartments)
      .innerJoin(departments, eq(departments.id, roleDepartments.departmentId))
      .where(and(eq(roleDepartments.tenantId, ctx.tenantId), eq(roleDepartments.roleId, role.id)))
      .orderBy(asc(departments.name)),
  ])
  const people = new Map<string, RoleMembers['people'][number]>()
  for (const g of grants) {
    const p = people.get(g.id) ?? { id: g.id, name: g.name, status: g.status, sources: [] }
    p.sources.push(g.source)
    people.set(g.id, p)
  }
  return { people: [...people.values()], departments: depts }
}
