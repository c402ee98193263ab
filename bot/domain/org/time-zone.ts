import { eq, sql } from 'drizzle-orm'
import { tenants } from '../../../db/schema'
import { DEFAULT_TIME_ZONE, isTimeZone } from '../../lib/time-zone'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { requirePermission } from './permissions'

// Read on every card sent, so kept briefly per process; a change made here is seen at once, another
// process sees it within the minute.
const TTL_MS = 60_000
const cache = new Map<string, { zone: string; at: number }>()

/** The zone the tenant's times are shown in (its setting, else China time). */
export async function tenantTimeZone(
  ctx: Pick<ServiceContext, 'db' | 'tenantId' | 'clock'>,
): Promise<string> {
  const now = ctx.clock.now().getTime()
  const hit = cache.get(ctx.tenantId)
  if (hit && now - hit.at < TTL_MS) return hit.zone
  const [row] = await ctx.db
    .select({ zone: sql<string | null>`${tenants.settings} ->> 'timeZone'` })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  const zone = row?.zone && isTimeZone(row.zone) ? row.zone : DEFAULT_TIME_ZONE
  cache.set(ctx.tenantId, { zone, at: now })
  return zone
}

export interface TenantSettingsView {
  timeZone: string
}

export async function getTenantSettings({ ctx }: { ctx: ServiceContext }): Promise<TenantSettingsView> {
  await requirePermission(ctx, 'org.admin')
  return { timeZone: await tenantTimeZone(ctx) }
}

/** Sets the tenant's time zone (needs `org.admin`); 400 naming `timeZone` for a zone that does not exist. */
export async function setTenantSettings({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { timeZone: string }
}): Promise<TenantSettingsView> {
  const zone = input.timeZone.trim()
  if (!isTimeZone(zone)) {
    throw new InvalidInputError(
      'timeZone',
      `时区「${input.timeZone}」不存在 / unknown time zone ${input.timeZone}`,
    )
  }
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    cache.delete(c.tenantId)
    const before = await tenantTimeZone(c)
    await c.db
      .update(tenants)
      .set({ settings: sql`${tenants.settings} || ${JSON.stringify({ timeZone: zone })}::jsonb` })
      .where(eq(tenants.id, c.tenantId))
    await recordAudit(c, {
      action: 'org.settings_updated',
      targetType: 'tenant',
      targetId: c.tenantId,
      before: { timeZone: before },
      after: { timeZone: zone },
    })
    cache.delete(c.tenantId)
    return { timeZone: zone }
  })
}
