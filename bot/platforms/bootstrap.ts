import type { Database } from '../../db/client'
import type { DirectoryUser, PlatformName } from '../chat/model'
import type { DirectoryReader, TenantRef } from '../chat/port'
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
  /** The adapters (or, on Workers, their fetch-only directory readers). */
  platforms?: { has(name: PlatformName): boolean; get(name: PlatformName): DirectoryReader }
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
  platform: DirectoryReader,
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
  // The platform is asked about the person (by its own tenant key) while the tenant is created: both take
  // a few round trips, and a first login waits for the longer of the two instead of their sum.
  const platform = platformOf(deps, who.platform)
  const [{ tenantId }, read] = await Promise.all([
    known ??
      ensureTenant({
        ctx: { db: deps.database.db, clock: deps.clock, logger: deps.logger },
        input: { platform: who.platform, tenantKey: who.tenantKey },
      }),
    platform
      ? readPerson(
          deps,
          platform,
          { id: known?.tenantId ?? '', platformTenantKey: who.tenantKey },
          who.openId,
        )
      : null,
  ])
  if (read)
    await recordPerson(deps, { id: tenantId, platformTenantKey: who.tenantKey, platform: who.platform }, read)
  return resolveActor(deps.database.db, who.platform, who.tenantKey, who.openId)
}

const platformOf = (deps: BootstrapDeps, name: PlatformName): DirectoryReader | null =>
  deps.platforms?.has(name) ? deps.platforms.get(name) : null

/** The platform's record of one person and its admin list (null when it has no such person or cannot say). */
async function readPerson(
  deps: BootstrapDeps,
  platform: DirectoryReader,
  tenant: TenantRef,
  openId: string,
): Promise<{ record: DirectoryUser; admins: string[] | null } | null> {
  if (!platform.fetchDirectoryEntry) return null
  const [record, admins] = await Promise.all([
    platform.fetchDirectoryEntry(tenant, 'user', openId),
    readPlatformAdmins(deps, platform, tenant),
  ])
  return record ? { record: record as DirectoryUser, admins } : null
}

/** Records a person read from the platform provisionally, then re-derives the grants. */
async function recordPerson(
  deps: BootstrapDeps,
  tenant: TenantRef & { platform: PlatformName },
  { record, admins }: { record: DirectoryUser; admins: string[] | null },
): Promise<void> {
  const result = await applyDirectoryEntry({
    ctx: systemCtx(deps, tenant.id, 'first contact'),
    input: { platform: tenant.platform, user: record, provisional: true },
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
}

/** Reads one person from the platform and records them provisionally, then re-derives the grants. */
export async function fetchPerson(
  deps: BootstrapDeps,
  tenant: TenantRef & { platform: PlatformName },
  openId: string,
): Promise<boolean> {
  const platform = platformOf(deps, tenant.platform)
  const read = platform ? await readPerson(deps, platform, tenant, openId) : null
  if (!read) return false
  await recordPerson(deps, tenant, read)
  return true
}
