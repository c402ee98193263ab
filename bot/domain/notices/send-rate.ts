import { eq } from 'drizzle-orm'
import { tenants } from '../../../db/schema'
import type { PlatformName } from '../../chat/model'
import type { ServiceContext } from '../context'

/**
 * How fast notice cards may go out per tenant (the platform app's send limits). The platform adapter's
 * sender-side limiter enforces the real limits for all traffic at request time; the fan-out only keeps a
 * short queue ahead of it (so 10,000 sends never sit in the job queue in front of an approval card) and
 * checks the recorded windows as a safety net. Defaults are the platforms' published limits;
 * a tenant can override with `tenants.settings.noticeSendRate = {perSecond, perMinute}` (e.g. to leave room
 * for other traffic, or for a fake with raised limits).
 */
export interface SendRate {
  perSecond: number
  perMinute: number
}

export const DEFAULT_SEND_RATES: Record<PlatformName, SendRate> = {
  feishu: { perSecond: 50, perMinute: 1000 },
  dingtalk: { perSecond: 20, perMinute: 1200 },
  devchat: { perSecond: 1000, perMinute: 60_000 },
}

/** Largest number of send rows one fan-out step writes. */
export const FANOUT_CHUNK = 500

export async function sendRateFor(ctx: ServiceContext): Promise<SendRate> {
  const [t] = await ctx.db
    .select({ platform: tenants.platform, settings: tenants.settings })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  const base = DEFAULT_SEND_RATES[t?.platform ?? 'feishu']
  const override = t?.settings.noticeSendRate as Partial<SendRate> | undefined
  return {
    perSecond: Number(override?.perSecond) > 0 ? Number(override?.perSecond) : base.perSecond,
    perMinute: Number(override?.perMinute) > 0 ? Number(override?.perMinute) : base.perMinute,
  }
}
