import { and, desc, eq } from 'drizzle-orm'
import { fieldHistory } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadCrmAccess, requireCustomer, userLabels } from './access'

export interface FieldChange {
  field: string
  oldValue: unknown
  newValue: unknown
  actor: { id: string; name: string } | null
  at: string
}

/** Field history of a customer, newest first. */
export async function getFieldHistory({
  ctx,
  customerId,
  limit = 100,
}: {
  ctx: ServiceContext
  customerId: string
  limit?: number
}): Promise<FieldChange[]> {
  const access = await loadCrmAccess(ctx)
  await requireCustomer(ctx, access, customerId)
  return readFieldHistory(ctx, 'customer', customerId, limit)
}

/** Rows of the shared CRM field history for one record. */
export async function readFieldHistory(
  ctx: ServiceContext,
  entityType: string,
  entityId: string,
  limit = 100,
): Promise<FieldChange[]> {
  const rows = await ctx.db
    .select()
    .from(fieldHistory)
    .where(
      and(
        eq(fieldHistory.tenantId, ctx.tenantId),
        eq(fieldHistory.entityType, entityType),
        eq(fieldHistory.entityId, entityId),
      ),
    )
    .orderBy(desc(fieldHistory.at), desc(fieldHistory.id))
    .limit(limit)
  const labels = await userLabels(
    ctx,
    rows.map((r) => r.actorId),
  )
  return rows.map((r) => ({
    field: r.field,
    oldValue: r.oldValue,
    newValue: r.newValue,
    actor: r.actorId ? { id: r.actorId, name: labels.get(r.actorId)?.name ?? '' } : null,
    at: r.at.toISOString(),
  }))
}
