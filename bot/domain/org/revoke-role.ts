import { and, eq } from 'drizzle-orm'
import { roleDepartments, tenants, userRoles } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError, NotFoundError } from '../errors'
import { parseInput, type RevokeRoleInput, revokeRoleSchema } from './admin-schemas'
import { lockRole, lockRoleGrants, requireAnAdminLeft } from './internal/roles-admin'
import { requirePermission } from './permissions'
import { syncRoleGrants } from './sync-role-grants'

const SOURCE_ZH: Record<string, string> = {
  platform_admin: '平台管理员',
  env: 'FLOWCARD_ADMINS',
  leader: '部门负责人',
  department: '按部门授予',
  everyone: '全员',
}

/**
 * Takes back a role an admin granted: from a person (their manual grant) or from a whole department.
 * A grant that comes from the platform (its admins, department leadership, FLOWCARD_ADMINS) cannot be
 * revoked here — it would come back on the next sync — so that is 409 naming the source. Revoking the
 * last administrator of the tenant is 409 and changes nothing. Needs `org.admin`.
 */
export async function revokeRole({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: RevokeRoleInput
}): Promise<{ revoked: true }> {
  const r = parseInput(revokeRoleSchema, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    await lockRoleGrants(c)
    const role = await lockRole(c, r.roleId)
    if (r.userId) {
      const deleted = await c.db
        .delete(userRoles)
        .where(
          and(
            eq(userRoles.tenantId, c.tenantId),
            eq(userRoles.roleId, role.id),
            eq(userRoles.userId, r.userId),
            eq(userRoles.source, 'manual'),
          ),
        )
        .returning({ userId: userRoles.userId })
      if (deleted.length === 0) {
        const other = await c.db
          .select({ source: userRoles.source })
          .from(userRoles)
          .where(
            and(
              eq(userRoles.tenantId, c.tenantId),
              eq(userRoles.roleId, role.id),
              eq(userRoles.userId, r.userId),
            ),
          )
        if (other.length > 0)
          throw new ConflictError(
            `该角色来自通讯录同步（${other.map((o) => SOURCE_ZH[o.source] ?? o.source).join('、')}），请在平台上修改 / this role comes from ${other.map((o) => o.source).join(', ')}; change it there, not here`,
            { field: 'userId' },
          )
        throw new NotFoundError('role grant', r.userId)
      }
    } else if (r.departmentId) {
      const deleted = await c.db
        .delete(roleDepartments)
        .where(
          and(
            eq(roleDepartments.tenantId, c.tenantId),
            eq(roleDepartments.roleId, role.id),
            eq(roleDepartments.departmentId, r.departmentId),
          ),
        )
        .returning({ departmentId: roleDepartments.departmentId })
      if (deleted.length === 0) throw new NotFoundError('role grant', r.departmentId)
      const [tenant] = await c.db
        .select({ platform: tenants.platform })
        .from(tenants)
        .where(eq(tenants.id, c.tenantId))
      await syncRoleGrants({
        ctx: c,
        input: { platform: tenant?.platform ?? 'devchat', platformAdminOpenIds: null, bootstrapAdmins: null },
      })
    }
    await requireAnAdminLeft(c)
    await recordAudit(c, {
      action: 'org.role.revoke',
      targetType: 'role',
      targetId: role.id,
      before: { role: role.key, ...(r.userId ? { userId: r.userId } : { departmentId: r.departmentId }) },
    })
    return { revoked: true }
  })
}
