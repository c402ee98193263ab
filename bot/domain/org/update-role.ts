import { and, eq } from 'drizzle-orm'
import { roles } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { parseInput, type UpdateRoleInput, updateRoleSchema } from './admin-schemas'
import { ADMIN_ROLE } from './default-roles'
import { lockRole, lockRoleGrants, requireAnAdminLeft } from './internal/roles-admin'
import { requirePermission } from './permissions'

/**
 * Edits a role's names, data scope or permissions. Needs `org.admin`. The 管理员 role keeps `*` and
 * scope `all` (otherwise nobody could manage roles any more); any edit that would leave no admin is 409.
 */
export async function updateRole({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: UpdateRoleInput
}): Promise<{ id: string }> {
  const patch = parseInput(updateRoleSchema, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    await lockRoleGrants(c)
    const before = await lockRole(c, patch.roleId)
    if (before.key === ADMIN_ROLE) {
      if (patch.permissions && !patch.permissions.includes('*'))
        throw new InvalidInputError('permissions', 'the 管理员 role always holds every permission (*)')
      if (patch.dataScope && patch.dataScope !== 'all')
        throw new InvalidInputError('dataScope', 'the 管理员 role always sees all data')
    }
    const set = {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.nameEn !== undefined ? { nameEn: patch.nameEn } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.dataScope !== undefined ? { dataScope: patch.dataScope } : {}),
      ...(patch.permissions !== undefined ? { permissions: [...new Set(patch.permissions)] } : {}),
      updatedAt: c.clock.now(),
    }
    await c.db
      .update(roles)
      .set(set)
      .where(and(eq(roles.tenantId, c.tenantId), eq(roles.id, before.id)))
    if (patch.permissions) await requireAnAdminLeft(c)
    await recordAudit(c, {
      action: 'org.role.update',
      targetType: 'role',
      targetId: before.id,
      before: {
        name: before.name,
        nameEn: before.nameEn,
        dataScope: before.dataScope,
        permissions: before.permissions,
      },
      after: set,
    })
    return { id: before.id }
  })
}
