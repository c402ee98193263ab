import { and, eq } from 'drizzle-orm'
import { customers, fieldHistory } from '../../../../db/schema'
import { updateView } from '../../chat/send'
import { actorId, type ServiceContext } from '../../context'
import type { CustomerRow } from '../access'
import { loadRules, reclaimDue } from '../rules'
import { poolWarningView } from '../views'

export const poolCardRef = (customerId: string): string => `crm:pool:${customerId}`
/** Card versions for pool cards: seconds of the event time, so later states always win. */
export const poolCardVersion = (at: Date): number => Math.floor(at.getTime() / 1000)

/**
 * Moves a customer to a new owner (or to the pool with `null`), resetting the pool clock, and records the
 * change in the field history. Losing owners are remembered for the re-claim cooldown.
 */
export async function changeOwner(
  ctx: ServiceContext,
  row: CustomerRow,
  ownerId: string | null,
  reason: 'claim' | 'release' | 'assign' | 'reclaim',
): Promise<void> {
  const now = ctx.clock.now()
  const rules = await loadRules(ctx.db, ctx.tenantId)
  const lost = row.ownerId && row.ownerId !== ownerId ? { lostById: row.ownerId, lostAt: now } : {}
  await ctx.db
    .update(customers)
    .set({
      ownerId,
      ownedSince: ownerId ? now : null,
      reclaimDueAt: ownerId ? reclaimDue(rules, now, false) : null,
      reclaimWarnedAt: null,
      reclaimExtendedAt: null,
      ...lost,
      updatedAt: now,
    })
    .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, row.id)))
  await ctx.db.insert(fieldHistory).values({
    tenantId: ctx.tenantId,
    entityType: 'customer',
    entityId: row.id,
    field: 'ownerId',
    oldValue: row.ownerId,
    newValue: { value: ownerId, reason } as never,
    actorId: actorId(ctx.actor),
    at: now,
  })
}

/** Turns a delivered pool warning into its final state (followed up, extended, reclaimed). */
export async function settlePoolWarning(
  ctx: ServiceContext,
  row: CustomerRow,
  state: 'extended' | 'followed_up' | 'reclaimed',
  dueAt: Date | null,
): Promise<void> {
  if (!row.reclaimWarnedAt || !row.ownerId) return
  const rules = await loadRules(ctx.db, ctx.tenantId)
  await updateView(ctx, {
    ref: poolCardRef(row.id),
    version: poolCardVersion(ctx.clock.now()),
    view: poolWarningView({
      customerId: row.id,
      customerName: row.name,
      dueAt: (dueAt ?? ctx.clock.now()).toISOString(),
      extendDays: rules.extendDays,
      state,
    }),
  })
}
