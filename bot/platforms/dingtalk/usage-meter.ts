import { and, eq } from 'drizzle-orm'
import type { Database } from '../../../db/client'
import { tenants } from '../../../db/schema'
import { platformUsageWarningCard } from '../../cards/platform-usage-card'
import { type ServiceContext, systemContext } from '../../domain/context'
import { pausePlatformSends, platformPausedUntil, recordPlatformUsage } from '../../domain/platform-usage'
import type { Clock } from '../../lib/clock'
import type { Logger } from '../../lib/logger'
import type { DingtalkUsageMeter } from './adapter'

/** The meter also counts inbound pushes (robot messages, card callbacks) by the org they came from. */
export interface DingtalkMeter extends DingtalkUsageMeter {
  countPush(corpId: string): Promise<void>
}

/**
 * DingTalk usage kept in `platform_usage`: every quota-counted call and push is added to the tenant's
 * month, admins get a warning card at 80 % and 95 %, and a spent quota pauses the tenant's sends in the
 * database, so every process (and a restart) honours it.
 */
export function createDingtalkMeter(database: Database, clock: Clock, logger: Logger): DingtalkMeter {
  const ctx = (tenantId: string): ServiceContext =>
    systemContext({ db: database.db, clock, logger }, { tenantId, reason: 'platform usage' })
  const tenantIds = new Map<string, string | null>()
  async function tenantOf(corpId: string): Promise<string | null> {
    if (tenantIds.has(corpId)) return tenantIds.get(corpId) ?? null
    const [t] = await database.db
      .select({ id: tenants.id })
      .from(tenants)
      .where(and(eq(tenants.platform, 'dingtalk'), eq(tenants.platformTenantKey, corpId)))
    if (t) tenantIds.set(corpId, t.id)
    return t?.id ?? null
  }
  return {
    async countApiCall(tenantId) {
      await recordPlatformUsage({
        ctx: ctx(tenantId),
        input: { platform: 'dingtalk', apiCalls: 1 },
        present: platformUsageWarningCard,
      })
    },
    pausedUntil: (tenantId) => platformPausedUntil(ctx(tenantId), 'dingtalk'),
    async pause(tenantId, until, reason) {
      await pausePlatformSends({
        ctx: ctx(tenantId),
        input: { platform: 'dingtalk', until: new Date(until), reason },
        present: platformUsageWarningCard,
      })
    },
    async countPush(corpId) {
      const tenantId = await tenantOf(corpId)
      if (!tenantId) return
      await recordPlatformUsage({
        ctx: ctx(tenantId),
        input: { platform: 'dingtalk', pushes: 1 },
        present: platformUsageWarningCard,
      })
    },
  }
}
