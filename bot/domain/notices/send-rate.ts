import { eq } from 'drizzle-orm'
import { tenants } from '../../../db/schema'
import type { PlatformName } from '../../chat/model'
import type { SendRate } from '../../chat/port'
import type { ServiceContext } from '../context'

export type { SendRate }

/** The send limits of a platform, as its adapter declares them (`ChatPlatform.sendRate`). */
export type PlatformSendRates = (platform: PlatformName) => SendRate

/** Largest number of send rows one fan-out step writes. */
export const FANOUT_CHUNK = 500

/**
 * How fast notice cards may go out for the tenant. The platform adapter's sender-side limiter enforces the
 * real limits for all traffic at request time; the fan-out only keeps a short queue ahead of it (so 10,000
 * sends never sit in the job queue in front of an approval card) and checks the recorded windows as a
 * safety net. The default is the platform's published limits (`rates`); a tenant can override with
 * `tenants.settings.noticeSendRate = {perSecond, perMinute}` (e.g. to leave room for other traffic, or for
 * a fake with raised limits).
 */
export async function sendRateFor(ctx: ServiceContext, rates: PlatformSendRates): Promise<SendRate> {
  const [t] = await ctx.db
    .select({ platform: tenants.platform, settings: tenants.settings })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  const base = rates(t?.platform ?? 'feishu')
  const override = t?.settings.noticeSendRate as Partial<SendRate> | undefined
  return {
    perSecond: Number(override?.perSecond) > 0 ? Number(override?.perSecond) : base.perSecond,
    perMinute: Number(override?.perMinute) > 0 ? Number(override?.perMinute) : base.perMinute,
  }
}
