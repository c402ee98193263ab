import { eq } from 'drizzle-orm'
import { roleDepartments, tenants, userRoles } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { type GrantRoleInput, grantRoleSchema, parseInput } from './admin-schemas'
import { lockRole, lockRoleGrants, requireMembers } from './internal/roles-admin'
import { requirePermission } from './permissions'
import { syncRoleGrants } from './sync-role-grants'

/**
 * Grants a role by hand to people (kept across directory syncs) and to whole departments (their members
 * and those of every department below hold it, following the directory). Needs `org.admin`.
 */
export async function grantRole({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: GrantRoleInput
}): Promise<{ people: number; departments: number }> {
  const g = parseInput(grantRoleSchema, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    await lockRoleGrants(c)
    const role = await lockRole(c, g.roleId)
    await requireMembers(c, g.userIds, g.departmentIds)
    const people = g.userIds.length
      ? await c.db
          .insert(userRoles)
          .values(g.userIds.map((userId) => ({ tenantId: c.tenantId, userId, roleId: role.id })))
          .onConflictDoNothing()
          .returning({ userId: userRoles.userId })
      : []
    const depts = g.departmentIds.length
      ? await c.db
          .insert(roleDepartments)
          .values(
            g.departmentIds.map((departmentId) => ({ tenantId: c.tenantId, roleId: role.id, departmentId })),
          )
          .onConflictDoNothing()
          .returning({ departmentId: roleDepartments.departmentId })
      : []
    if (depts.length > 0) {
      const [tenant] = await c.db
        .select({ platform: tenants.platform })
        .from(tenants)
        .where(eq(tenants.id, c.tenantId))
      await syncRoleGrants({
        ctx: c,
        input: { platform: tenant?.platform ?? 'devchat', platformAdminOpenIds: null, bootstrapAdmins: null },
      })
    }
    await recordAudit(c, {
      action: 'org.role.grant',
      targetType: 'role',
      targetId: role.id,
      after: {
        role: role.key,
        userIds: people.map((p) => p.userId),
        departmentIds: depts.map((d) => d.departmentId),
      },
    })
    return { people: people.length, departments: depts.length }
  })
}
