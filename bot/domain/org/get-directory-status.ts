import { eq, sql } from 'drizzle-orm'
import { tenants } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { requirePermission } from './permissions'

export interface DirectoryStatus {
  platform: string
  /** When the last full sync finished, null before the first one. */
  lastSyncedAt: string | null
  /** When the last full sync started (one running now started after the last finish). */
  lastStartedAt: string | null
  running: boolean
  people: number
  activePeople: number
  departments: number
}

/** How fresh the synced directory is, for the admin console. Needs `org.admin`. */
export async function getDirectoryStatus({ ctx }: { ctx: ServiceContext }): Promise<DirectoryStatus> {
  await requirePermission(ctx, 'org.admin')
  const [row] = await ctx.db
    .select({
      platform: tenants.platform,
      syncedAt: sql<string | null>`${tenants.settings} ->> 'directorySyncedAt'`,
      startedAt: sql<string | null>`${tenants.settings} ->> 'directorySyncStartedAt'`,
      people: sql<number>`(select count(*)::int from users where tenant_id = ${ctx.tenantId})`,
      activePeople: sql<number>`(select count(*)::int from users where tenant_id = ${ctx.tenantId} and status = 'active')`,
      departments: sql<number>`(select count(*)::int from departments where tenant_id = ${ctx.tenantId} and active)`,
    })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  if (!row) throw new NotFoundError('tenant', ctx.tenantId)
  const iso = (v: string | null) => (v ? new Date(v).toISOString() : null)
  const lastSyncedAt = iso(row.syncedAt)
  const lastStartedAt = iso(row.startedAt)
  return {
    platform: row.platform,
    lastSyncedAt,
    lastStartedAt,
    running: !!lastStartedAt && (!lastSyncedAt || lastStartedAt > lastSyncedAt),
    people: row.people,
    activePeople: row.activePeople,
    departments: row.departments,
  }
}
