import { and, eq, sql } from 'drizzle-orm'
import { roles, userRoles, users } from '../../../db/schema'
import type { ServiceContext } from '../context'

/** Active users of the tenant holding `org.admin` (directly, through `org.*`, or `*`): who hears about quotas and sync alarms. */
export async function listOrgAdmins(ctx: ServiceContext): Promise<Array<{ id: string; locale: string }>> {
  return ctx.db
    .selectDistinct({ id: users.id, locale: users.locale })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(
      and(
        eq(userRoles.tenantId, ctx.tenantId),
        eq(users.tenantId, ctx.tenantId),
        eq(users.status, 'active'),
        sql`${roles.permissions} ?| array['*', 'org.*', 'org.admin']`,
      ),
    )
}
