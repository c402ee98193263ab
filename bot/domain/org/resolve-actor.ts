import { and, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { ownTimeZone, type Platform, tenants, userIdentities, users } from '../../../db/schema'
import { reusable } from '../../../db/statement'

export interface ResolvedActor {
  tenantId: string
  tenantPlatform: Platform
  user: {
    id: string
    name: string
    locale: string
    status: string
    departmentId: string | null
    /** Their own IANA zone (their choice, else the directory's); null: the tenant's applies. */
    timeZone: string | null
  } | null
}

/** With an open id the user behind it is joined in; without one (shape `tenant`) only the tenant is read. */
const actorOf = reusable((db, shape) =>
  db
    .select({
      tenantId: tenants.id,
      tenantPlatform: tenants.platform,
      id: users.id,
      name: users.name,
      locale: users.locale,
      status: users.status,
      departmentId: users.departmentId,
      timeZone: ownTimeZone,
    })
    .from(tenants)
    .leftJoin(
      userIdentities,
      shape === 'tenant'
        ? sql`false`
        : and(
            eq(userIdentities.tenantId, tenants.id),
            eq(userIdentities.platform, sql.placeholder('platform')),
            eq(userIdentities.openId, sql.placeholder('openId')),
          ),
    )
    .leftJoin(users, eq(users.id, userIdentities.userId))
    .where(
      and(
        eq(tenants.platform, sql.placeholder('platform')),
        eq(tenants.platformTenantKey, sql.placeholder('tenantKey')),
      ),
    )
    .limit(sql.placeholder('limit')),
)

/** Finds the tenant of a platform tenant key, and the user behind a platform open id, in one query. */
export async function resolveActor(
  db: DbOrTx,
  platform: Platform,
  tenantKey: string,
  openId: string | null,
): Promise<ResolvedActor | null> {
  const [row] = await actorOf(
    db,
    openId ? { platform, tenantKey, openId, limit: 1 } : { platform, tenantKey, limit: 1 },
    openId ? 'user' : 'tenant',
  )
  if (!row) return null
  const { tenantId, tenantPlatform, id, name, locale, status, departmentId, timeZone } = row
  return {
    tenantId,
    tenantPlatform,
    user:
      id !== null && name !== null && locale !== null && status !== null
        ? { id, name, locale, status, departmentId, timeZone }
        : null,
  }
}
