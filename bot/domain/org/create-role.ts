import { roles } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError } from '../errors'
import { type CreateRoleInput, createRoleSchema, parseInput } from './admin-schemas'
import { requirePermission } from './permissions'

/** A new role with a data scope and named permissions. Needs `org.admin`; a taken key is 409. */
export async function createRole({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CreateRoleInput
}): Promise<{ id: string; key: string }> {
  const def = parseInput(createRoleSchema, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    const id = newId('rol')
    const inserted = await c.db
      .insert(roles)
      .values({
        id,
        tenantId: c.tenantId,
        key: def.key,
        name: def.name,
        nameEn: def.nameEn ?? null,
        description: def.description ?? null,
        dataScope: def.dataScope,
        permissions: [...new Set(def.permissions)],
      })
      .onConflictDoNothing()
      .returning({ id: roles.id })
    if (inserted.length === 0) throw new ConflictError(`role ${def.key} already exists`, { field: 'key' })
    await recordAudit(c, { action: 'org.role.create', targetType: 'role', targetId: id, after: def })
    return { id, key: def.key }
  })
}
