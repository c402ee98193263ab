import type { Database } from '../../db/client'
import type { DirectoryUser, PlatformName } from '../chat/model'
import type { ChatPlatform, TenantRef } from '../chat/port'
import { type ServiceContext, systemContext } from '../domain/context'
import {
  applyDirectoryEntry,
  ensureTenant,
  type ResolvedActor,
  resolveActor,
  type SyncRoleGrantsResult,
  syncRoleGrants,
} from '../domain/org'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'

/** What first contact needs: the database, and the platform adapters to read the person and the admins from. */
export interface BootstrapDeps {
  database: Database
  logger: Logger
  clock: Clock
  platforms?: { has(name: PlatformName): boolean; get(name: PlatformName): ChatPlatform }
  /** FLOWCARD_ADMINS. */
  bootstrapAdmins?: readonly string[]
}

const systemCtx = (deps: BootstrapDeps, tenantId: string, reason: string): ServiceContext =>
  systemContext({ db: deps.database.db, clock: deps.clock, logger: deps.logger }, { tenantId, reason })

/**
 * The platform's administrators, or null when it cannot tell (no adapter support, or the app lacks the
 * permission): then admin grants from the platform are left as they are rather than all removed.
 */
export async function readPlatformAdmins(
  deps: Pick<BootstrapDeps, 'logger'>,
  platform: ChatPlatform,
  tenant: TenantRef,
): Promise<string[] | null> {
  if (!platform.listAdmins) return null
  try {
    return await platform.listAdmins(tenant)
  } catch (err) {
    deps.logger.warn(
      { tenantId: tenant.id, platform: platform.name, err: err instanceof Error ? err.message : String(err) },
      'platform admins unavailable',
    )
    return null
  }
}

/** Re-derives the tenant's role grants, reading the platform's admins when `readAdmins`. */
export async function refreshRoleGrants(
  deps: BootstrapDeps,
  tenant: TenantRef & { platform: PlatformName },
  options: { readAdmins: boolean },
): Promise<SyncRoleGrantsResult> {
  const platform = deps.platforms?.has(tenant.platform) ? deps.platforms.get(tenant.platform) : null
  const admins = options.readAdmins && platform ? await readPlatformAdmins(deps, platform, tenant) : null
  return syncRoleGrants({
    ctx: systemCtx(deps, tenant.id, 'role grants'),
    input: {
      platform: tenant.platform,
      platformAdminOpenIds: admins,
      bootstrapAdmins: [...(deps.bootstrapAdmins ?? [])],
    },
  })
}

/**
 * First contact from anyone, on any tenant: the tenant is created if it is new (default roles and
 * templates, a full directory sync queued), and a person the directory does not know yet is fetched from
 * the platform on the spot and recorded, with their admin grant if the platform lists them as an
 * administrator, so a mini-app login on a brand-new tenant signs in within seconds instead of being
 * refused while the full sync runs. Returns null only when the platform does not know the person either.
 */
export async function bootstrapActor(
  deps: BootstrapDeps,
  who: { platform: PlatformName; tenantKey: string; openId: string },
): Promise<ResolvedActor | null> {
  const known = await resolveActor(deps.database.db, who.platform, who.tenantKey, who.openId)
  if (known?.user) return known
  const { tenantId } =
    known ??
    (await ensureTenant({
      ctx: { db: deps.database.db, clock: deps.clock, logger: deps.logger },
      input: { platform: who.platform, tenantKey: who.tenantKey },
    }))
  await fetchPerson(
    deps,
    { id: tenantId, platformTenantKey: who.tenantKey, platform: who.platform },
    who.openId,
  )
  return resolveActor(deps.database.db, who.platform, who.tenantKey, who.openId)
}

/** Reads one person from the platform and records them provisionally, then re-derives the grants. */
export async function fetchPerson(
  deps: BootstrapDeps,
  tenant: TenantRef & { platform: PlatformName },
  openId: string,
): Promise<boolean> {
  const platform = deps.platforms?.has(tenant.platform) ? deps.platforms.get(tenant.platform) : null
  if (!platform?.fetchDirectoryEntry) return false
  const [record, admins] = await Promise.all([
    platform.fetchDirectoryEntry(tenant, 'user', openId),
    readPlatformAdmins(deps, platform, tenant),
  ])
  if (!record) return false
  const result = await applyDirectoryEntry({
    ctx: systemCtx(deps, tenant.id, 'first contact'),
    input: { platform: tenant.platform, user: record as DirectoryUser, provisional: true },
  })
  if (result.applied && result.change === 'user') {
    await syncRoleGrants({
      ctx: systemCtx(deps, tenant.id, 'first contact'),
      input: {
        platform: tenant.platform,
        platformAdminOpenIds: admins,
        bootstrapAdmins: [...(deps.bootstrapAdmins ?? [])],
      },
    })
  }
  return true
}
