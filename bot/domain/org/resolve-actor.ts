import { and, eq } from 'drizzle-orm'
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
  const [tenant] = await db
    .select({ id: tenants.id, platform: tenants.platform })
    .from(tenants)
    .where(and(eq(tenants.platform, platform), eq(tenants.platformTenantKey, tenantKey)))
  if (!tenant) return null
  if (!openId) return { tenantId: tenant.id, tenantPlatform: tenant.platform, user: null }
  const [user] = await db
    .select({
      id: users.id,
      name: users.name,
      locale: users.locale,
      status: users.status,
      departmentId: users.departmentId,
    })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(
      and(
        eq(userIdentities.tenantId, tenant.id),
        eq(userIdentities.platform, platform),
        eq(userIdentities.openId, openId),
      ),
    )
  return { tenantId: tenant.id, tenantPlatform: tenant.platform, user: user ?? null }
}
