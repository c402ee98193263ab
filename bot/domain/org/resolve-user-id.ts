import { and, eq } from 'drizzle-orm'
import { userIdentities } from '../../../db/schema'
import type { ServiceContext } from '../context'

/**
 * The tenant's user id behind a platform id picked in a chat card (a person input answers with the
 * platform's open id). The identity of the tapper's own platform wins; an id that is no platform
 * identity is returned as it is (it may already be a user id), for the verb to check.
 */
export async function resolveUserId({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: { platformId: string }
}): Promise<string> {
  const via = ctx.actor.kind === 'user' ? ctx.actor.via : ''
  const rows = await ctx.db
    .select({ userId: userIdentities.userId, platform: userIdentities.platform })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, ctx.tenantId), eq(userIdentities.openId, input.platformId)))
  return rows.find((r) => r.platform === via)?.userId ?? rows[0]?.userId ?? input.platformId
}
