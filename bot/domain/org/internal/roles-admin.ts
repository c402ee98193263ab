import { and, eq, inArray, sql } from 'drizzle-orm'
import { departments, roles, userRoles, users } from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { ConflictError, NotFoundError } from '../../errors'
import { grants } from '../permissions'

/** A role row of this tenant, locked for the rest of the transaction, or 404. */
export async function lockRole(ctx: ServiceContext, roleId: string) {
  const [row] = await ctx.db
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, ctx.tenantId), eq(roles.id, roleId)))
    .for('update')
  if (!row) throw new NotFoundError('role', roleId)
  return row
}

/** Users and departments of this tenant among `ids`; throws 404 naming the first unknown one. */
export async function requireMembers(
  ctx: ServiceContext,
  userIds: readonly string[],
  departmentIds: readonly string[],
): Promise<void> {
  if (userIds.length) {
    const found = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, [...userIds])))
    const known = new Set(found.map((f) => f.id))
    const missing = userIds.find((id) => !known.has(id))
    if (missing) throw new NotFoundError('user', missing)
  }
  if (departmentIds.length) {
    const found = await ctx.db
      .select({ id: departments.id })
      .from(departments)
      .where(and(eq(departments.tenantId, ctx.tenantId), inArray(departments.id, [...departmentIds])))
    const known = new Set(found.map((f) => f.id))
    const missing = departmentIds.find((id) => !known.has(id))
    if (missing) throw new NotFoundError('department', missing)
  }
}

/** Serialises role-grant changes of one tenant (admin edits and directory syncs). */
export async function lockRoleGrants(ctx: ServiceContext): Promise<void> {
  await ctx.db.execute(sql`select pg_advisory_xact_lock(hashtext(${`role-grants:${ctx.tenantId}`}))`)
}

/**
 * Refuses a change that would leave the tenant without an active person holding `*` (nobody could manage
 * roles any more). Call after the change, inside its transaction: throwing rolls it back.
 */
export async function requireAnAdminLeft(ctx: ServiceContext): Promise<void> {
  const rows = await ctx.db
    .select({ permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(users.status, 'active')))
  if (!rows.some((r) => grants(r.permissions, '*')))
    throw new ConflictError(
      '不能移除：组织将没有管理员 / this would leave the organisation without an administrator',
      {
        field: 'userId',
      },
    )
}
