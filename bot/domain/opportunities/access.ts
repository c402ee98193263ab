import { and, eq, type SQL, sql } from 'drizzle-orm'
import { opportunities } from '../../../db/schema'
import type { ServiceContext } from '../context'
import type { CrmAccess } from '../crm/access'
import { NotFoundError } from '../errors'
import { scopeFilter } from '../org/data-scope'

export type OpportunityRow = typeof opportunities.$inferSelect

/** Opportunities the actor may see: owner within their data scope, or they are on the deal's team. */
export function visibleOpportunities(ctx: ServiceContext, access: CrmAccess): SQL {
  const team = access.userId
    ? sql`${opportunities.teamIds} @> ${JSON.stringify([access.userId])}::jsonb`
    : undefined
  return and(
    eq(opportunities.tenantId, ctx.tenantId),
    scopeFilter(access, opportunities.ownerId, team),
  ) as SQL
}

/** The opportunity if the actor may see it; otherwise 404 (never 403, so existence does not leak). */
export async function requireOpportunity(
  ctx: ServiceContext,
  access: CrmAccess,
  opportunityId: string,
  options: { forUpdate?: boolean } = {},
): Promise<OpportunityRow> {
  const q = ctx.db
    .select()
    .from(opportunities)
    .where(and(eq(opportunities.id, opportunityId), visibleOpportunities(ctx, access)))
  const [row] = options.forUpdate ? await q.for('update', { of: opportunities }) : await q
  if (!row) throw new NotFoundError('opportunity', opportunityId)
  return row
}
