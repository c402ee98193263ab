import { and, asc, desc, eq, gte, ilike, lte, type SQL, sql } from 'drizzle-orm'
import { opportunities } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess } from '../crm/access'
import { customerIdsMatching } from '../crm/search-customers'
import { visibleOpportunities } from './access'
import { type OpportunityDto, selectOpportunityDtos } from './dto'
import { type ListOpportunitiesInput, listOpportunitiesInput, parseInput } from './schemas'

/**
 * Opportunities in the caller's data scope with filters (status, stage, owner, customer, close-date range,
 * name or customer name) and a sort; a page of at most 200.
 */
export async function listOpportunities({
  ctx,
  input = {},
  access,
}: {
  ctx: ServiceContext
  input?: ListOpportunitiesInput
  access?: CrmAccess
}): Promise<OpportunityDto[]> {
  const data = parseInput(listOpportunitiesInput, input)
  const a = access ?? (await loadCrmAccess(ctx))
  const conds: SQL[] = [visibleOpportunities(ctx, a)]
  const status = data.status ?? 'open'
  if (status !== 'all') conds.push(eq(opportunities.status, status))
  if (data.stageId) conds.push(eq(opportunities.stageId, data.stageId))
  if (data.ownerId) conds.push(eq(opportunities.ownerId, data.ownerId))
  if (data.customerId) conds.push(eq(opportunities.customerId, data.customerId))
  if (data.closeFrom) conds.push(gte(opportunities.expectedCloseDate, data.closeFrom))
  if (data.closeTo) conds.push(lte(opportunities.expectedCloseDate, data.closeTo))
  if (data.q) {
    const like = `%${escapeLike(data.q)}%`
    conds.push(
      sql`(${ilike(opportunities.name, like)} or ${opportunities.customerId} in ${customerIdsMatching(ctx.tenantId, data.q)})`,
    )
  }
  const order =
    data.sort === 'close_date'
      ? [sql`${opportunities.expectedCloseDate} asc nulls last`, asc(opportunities.id)]
      : data.sort === 'amount'
        ? [desc(opportunities.amountCents), asc(opportunities.id)]
        : [desc(opportunities.updatedAt), desc(opportunities.id)]
  // One statement: the names (customer, stage, owner, reason) are joined in, not read in a second round.
  return selectOpportunityDtos(ctx, and(...conds) as SQL, order, {
    limit: data.limit ?? 50,
    offset: data.offset ?? 0,
  })
}
