import { and, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { type Platform, tenants, userIdentities, users } from '../../../db/schema'

export interface ResolvedActor {
  tenantId: string
  tenantPlatform: Platform
  user: { id: string; name: string; locale: string; status: string; departmentId: string | null } | null
}

/** Finds the tenant of a platform tenant key, and the user behind a platform open id, in one query. */
export async function resolveActor(
  db: DbOrTx,
  platform: Platform,
  tenantKey: string,
  openId: string | null,
): Promise<ResolvedActor | null> {
  const [row] = await db
    .select({
      tenantId: tenants.id,
      tenantPlatform: tenants.platform,
      id: users.id,
      name: users.name,
      locale: users.locale,
      status: users.status,
      departmentId: users.departmentId,
    })
    .from(tenants)
    .leftJoin(
      userIdentities,
      openId
        ? and(
            eq(userIdentities.tenantId, tenants.id),
            eq(userIdentities.platform, platform),
            eq(userIdentities.openId, openId),
          )
        : sql`false`,
    )
    .leftJoin(users, eq(users.id, userIdentities.userId))
    .where(and(eq(tenants.platform, platform), eq(tenants.platformTenantKey, tenantKey)))
    .limit(1)
  if (!row) return null
  const { tenantId, tenantPlatform, id, name, locale, status, departmentId } = row
  return {
    tenantId,
    tenantPlatform,
    user:
      id !== null && name !== null && locale !== null && status !== null
        ? { id, name, locale, status, departmentId }
        : null,
  }
}
