import { and, desc, eq } from 'drizzle-orm'
import { visits } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadCrmAccess, requireCustomer } from './access'
import { toVisitDto, type VisitDto } from './visits'

export async function listVisits({
  ctx,
  customerId,
  limit = 50,
}: {
  ctx: ServiceContext
  customerId: string
  limit?: number
}): Promise<VisitDto[]> {
  const access = await loadCrmAccess(ctx)
  await requireCustomer(ctx, access, customerId)
  const rows = await ctx.db
    .select()
    .from(visits)
    .where(and(eq(visits.tenantId, ctx.tenantId), eq(visits.customerId, customerId)))
    .orderBy(desc(visits.createdAt))
    .limit(limit)
  return rows.map(toVisitDto)
}
