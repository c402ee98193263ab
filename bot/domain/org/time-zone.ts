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
  const zone = await readZone(ctx)
  cache.set(ctx.tenantId, { zone, at: now })
  return zone
}

async function readZone(ctx: Pick<ServiceContext, 'db' | 'tenantId'>): Promise<string> {
  const [row] = await ctx.db
    .select({ zone: sql<string | null>`${tenants.settings} ->> 'timeZone'` })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  return row?.zone && isTimeZone(row.zone) ? row.zone : DEFAULT_TIME_ZONE
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
  const view = await withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'org.admin')
    const before = await readZone(c)
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
    return { timeZone: zone }
  })
  // Only after the commit: a reader between the update and the commit would have put the old zone back.
  cache.set(ctx.tenantId, { zone, at: ctx.clock.now().getTime() })
  return view
}
