import { eq, inArray, sql } from 'drizzle-orm'
import { directorySyncStoppedCard } from '../../bot/cards/directory-alert-card'
import type { DirectoryUser } from '../../bot/chat/model'
import { sendCard } from '../../bot/domain/chat'
import { systemContext } from '../../bot/domain/context'
import { ConflictError } from '../../bot/domain/errors'
import type { JobPayloadOf } from '../../bot/domain/job-catalogue'
import {
  type APPLY_CONTACT_CHANGE,
  applyDirectory,
  applyDirectoryEntry,
  SYNC_DIRECTORY,
} from '../../bot/domain/org'
import { emit } from '../../bot/domain/outbox'
import { listOrgAdmins } from '../../bot/domain/platform-usage'
import { type BootstrapDeps, fetchPerson, refreshRoleGrants } from '../../bot/platforms/bootstrap'
import { tenants } from '../../db/schema'
import { type JobInfo, PermanentJobError } from '../queue'
import type { ProcessorDeps } from './types'

/** A sync that would deactivate more than this share of a tenant's active people stops (tenant setting `directoryMaxDeactivateShare`). */
export const MAX_DEACTIVATED_SHARE = 0.2
const bootstrapDeps = (deps: ProcessorDeps): BootstrapDeps => ({
  database: deps.database,
  logger: deps.logger,
  clock: deps.clock,
  platforms: deps.platforms,
  bootstrapAdmins: deps.bootstrapAdmins ?? [],
})

/** The daily job that asks for a directory sync of every platform tenant. */
export const SYNC_ALL_DIRECTORIES = 'org.sync_all_directories'

/**
 * Pulls a tenant's whole directory from its platform and applies it (departments, users, managers,
 * identities; leavers deactivated). Emitted for new tenants, contact events and the daily schedule.
 */
export function syncDirectory(deps: ProcessorDeps) {
  return async (payload: JobPayloadOf<typeof SYNC_DIRECTORY>, job: JobInfo): Promise<void> => {
    const { tenantId } = payload
    const [tenant] = await deps.database.db
      .select({
        id: tenants.id,
        platform: tenants.platform,
        platformTenantKey: tenants.platformTenantKey,
        settings: tenants.settings,
      })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
    if (!tenant) throw new PermanentJobError(`tenant ${tenantId} not found`)
    if (!deps.platforms.has(tenant.platform))
      throw new PermanentJobError(`no ${tenant.platform} adapter configured in this process`)
    const platform = deps.platforms.get(tenant.platform)
    if (!platform.syncDirectory) return
    const share = tenant.settings?.directoryMaxDeactivateShare
    const maxDeactivatedShare =
      typeof share === 'number' && share > 0 && share <= 1 ? share : MAX_DEACTIVATED_SHARE
    // A burst of contact events asks for many syncs; one that started after this request covers it.
    const outboxId = /^ob-(\d+)$/.exec(job.id)?.[1]
    if (outboxId) {
      const [covered] = await deps.database.rows<{ covered: boolean }>(sql`
        select (t.settings ->> 'directorySyncStartedAt')::timestamptz > o.created_at as covered
        from tenants t, outbox o where t.id = ${tenant.id} and o.id = ${Number(outboxId)}`)
      if (covered?.covered) return
    }
    await deps.database.db
      .update(tenants)
      .set({
        settings: sql`${tenants.settings} || jsonb_build_object('directorySyncStartedAt', now()::text)`,
      })
      .where(eq(tenants.id, tenant.id))
    const started = Date.now()
    const snapshot = await platform.syncDirectory({
      id: tenant.id,
      platformTenantKey: tenant.platformTenantKey,
    })
    const ctx = systemContext(
      { db: deps.database.db, clock: deps.clock, logger: deps.logger },
      { tenantId: tenant.id, reason: 'directory sync' },
    )
    let result: Awaited<ReturnType<typeof applyDirectory>>
    try {
      result = await applyDirectory({
        ctx,
        input: { platform: tenant.platform, ...snapshot },
        guard: { maxDeactivatedShare },
      })
    } catch (err) {
      if (!(err instanceof ConflictError) || err.details.code !== 'directory_shrunk') throw err
      deps.logger.error({ tenantId: tenant.id, ...err.details }, 'directory sync stopped: too many leavers')
      const info = {
        platform: tenant.platform,
        active: Number(err.details.active),
        leaving: Number(err.details.leaving),
        maxShare: maxDeactivatedShare,
      }
      for (const admin of await listOrgAdmins(ctx)) {
        const locale = admin.locale === 'en' ? 'en' : 'zh-CN'
        await sendCard(ctx, {
          to: { userId: admin.id },
          card: directorySyncStoppedCard(info, locale),
          locale,
        })
      }
      throw new PermanentJobError('directory sync stopped: it would deactivate too many people')
    }
    // Leaders, departments granted a role, the platform's admins and FLOWCARD_ADMINS, in the same run.
    const grants = await refreshRoleGrants(
      bootstrapDeps(deps),
      { id: tenant.id, platformTenantKey: tenant.platformTenantKey, platform: tenant.platform },
      { readAdmins: true },
    )
    await deps.database.db
      .update(tenants)
      .set({
        settings: sql`${tenants.settings} || jsonb_build_object('directorySyncedAt', now()::text)`,
      })
      .where(eq(tenants.id, tenant.id))
    deps.logger.info({ tenantId: tenant.id, ...result, grants, ms: Date.now() - started }, 'directory synced')
  }
}

/**
 * One contact event: re-reads the user or department from the platform and applies just that entry; when
 * it points at a department we do not know yet (or the platform cannot fetch single entries), asks for the
 * full sync instead.
 */
export function applyContactChange(deps: ProcessorDeps) {
  return async (payload: JobPayloadOf<typeof APPLY_CONTACT_CHANGE>): Promise<void> => {
    const { tenantId, entity, externalId } = payload
    const [tenant] = await deps.database.db
      .select({ id: tenants.id, platform: tenants.platform, platformTenantKey: tenants.platformTenantKey })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
    if (!tenant || !externalId) throw new PermanentJobError(`tenant ${tenantId} or entry not found`)
    if (!deps.platforms.has(tenant.platform))
      throw new PermanentJobError(`no ${tenant.platform} adapter configured in this process`)
    const platform = deps.platforms.get(tenant.platform)
    const ctx = systemContext(
      { db: deps.database.db, clock: deps.clock, logger: deps.logger },
      { tenantId: tenant.id, reason: 'contact event' },
    )
    const fullSync = async (reason: string) => {
      deps.logger.info({ tenantId, entity, externalId, reason }, 'contact change needs a full sync')
      await emit(ctx, { topic: SYNC_DIRECTORY, payload: { tenantId: tenant.id } })
    }
    if (!platform.fetchDirectoryEntry) return fullSync('adapter fetches no single entries')
    const tenantRef = {
      id: tenant.id,
      platformTenantKey: tenant.platformTenantKey,
      platform: tenant.platform,
    }
    if (payload.firstContact === true && entity === 'user') {
      // Someone on a tenant still being synced: record them now rather than after the whole directory.
      await fetchPerson(bootstrapDeps(deps), tenantRef, externalId)
      return
    }
    const record = await platform.fetchDirectoryEntry(
      { id: tenant.id, platformTenantKey: tenant.platformTenantKey },
      entity,
      externalId,
    )
    const result = await applyDirectoryEntry({
      ctx,
      input: {
        platform: tenant.platform,
        ...(record === null
          ? { gone: { entity, externalId } }
          : entity === 'user'
            ? { user: record as DirectoryUser }
            : { department: record as Exclude<typeof record, DirectoryUser> }),
      },
    })
    if (!result.applied) {
      await fullSync(result.reason)
      return
    }
    // A new leader, a leaver or a move changes who holds the derived roles.
    if (result.change !== 'none')
      await refreshRoleGrants(bootstrapDeps(deps), tenantRef, { readAdmins: false })
  }
}

/** Enqueues one sync per tenant of a platform that has a directory (one per tenant per day). */
export function syncAllDirectories(deps: ProcessorDeps) {
  return async (): Promise<void> => {
    const names = (['feishu', 'dingtalk'] as const).filter((p) => deps.platforms.has(p))
    if (names.length === 0) return
    const rows = await deps.database.db
      .select({ id: tenants.id })
      .from(tenants)
      .where(inArray(tenants.platform, names))
    const day = new Date(deps.clock.now()).toISOString().slice(0, 10)
    await deps.queue.addBulk(
      rows.map((t) => ({
        name: SYNC_DIRECTORY,
        payload: { tenantId: t.id },
        options: { jobId: `sync-dir-${t.id}-${day}`, attempts: 3, backoffMs: 60_000 },
      })),
    )
  }
}
