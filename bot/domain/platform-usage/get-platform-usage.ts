import { and, eq } from 'drizzle-orm'
import { platformUsage, tenants } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { requirePermission } from '../org/permissions'
import { quotaMonthOf } from './month'
import { DEFAULT_QUOTAS, type PlatformUsageView, type UsagePlatform } from './schemas'

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const positive = (v: unknown, fallback: number) =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback

/** The tenant's quota: the platform default, or `settings.platformQuota` for a paid edition. */
export async function quotaOf(
  ctx: ServiceContext,
  platform: UsagePlatform,
): Promise<{ apiCalls: number; pushes: number }> {
  const [t] = await ctx.db
    .select({ settings: tenants.settings })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  const q = isRec(t?.settings) && isRec(t.settings.platformQuota) ? t.settings.platformQuota : {}
  const d = DEFAULT_QUOTAS[platform]
  return { apiCalls: positive(q.apiCalls, d.apiCalls), pushes: positive(q.pushes, d.pushes) }
}

export function usageView(
  platform: UsagePlatform,
  month: string,
  row: { apiCalls: number; pushes: number; pausedUntil: Date | null; pauseReason: string | null } | undefined,
  quota: { apiCalls: number; pushes: number },
  nowMs: number,
): PlatformUsageView {
  const apiCalls = row?.apiCalls ?? 0
  const pushes = row?.pushes ?? 0
  const paused = row?.pausedUntil && row.pausedUntil.getTime() > nowMs ? row.pausedUntil : null
  return {
    platform,
    month,
    apiCalls,
    apiQuota: quota.apiCalls,
    pushes,
    pushQuota: quota.pushes,
    percent: Math.floor(Math.max((apiCalls * 100) / quota.apiCalls, (pushes * 100) / quota.pushes)),
    pausedUntil: paused ? paused.toISOString() : null,
    pauseReason: paused ? (row?.pauseReason ?? null) : null,
  }
}

/**
 * This month's platform usage of the tenant against its quota, and whether sends are paused: what the admin
 * console shows so a spent quota is seen coming. People need `org.admin`.
 */
export async function getPlatformUsage({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { platform: UsagePlatform }
}): Promise<PlatformUsageView> {
  if (ctx.actor.kind === 'user') await requirePermission(ctx, 'org.admin')
  const nowMs = ctx.clock.now().getTime()
  const month = quotaMonthOf(nowMs)
  const [row] = await ctx.db
    .select()
    .from(platformUsage)
    .where(
      and(
        eq(platformUsage.tenantId, ctx.tenantId),
        eq(platformUsage.platform, input.platform),
        eq(platformUsage.month, month),
      ),
    )
  return usageView(input.platform, month, row, await quotaOf(ctx, input.platform), nowMs)
}

/** Until when the tenant's sends on the platform wait for the quota (epoch ms), or null. */
export async function platformPausedUntil(
  ctx: ServiceContext,
  platform: UsagePlatform,
): Promise<number | null> {
  const v = await getPlatformUsage({ ctx, input: { platform } })
  return v.pausedUntil ? Date.parse(v.pausedUntil) : null
}
