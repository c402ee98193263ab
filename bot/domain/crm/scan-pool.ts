import { and, asc, eq, gt, isNotNull, isNull, lte } from 'drizzle-orm'
import { customers } from '../../../db/schema'
import { notify } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { changeOwner, poolCardRef, poolCardVersion, settlePoolWarning } from './internal/ownership'
import { daysMs, loadRules } from './rules'
import { poolWarningView } from './views'

const BATCH = 500

/**
 * One pass of the pool rules for a tenant at `ctx.clock.now()`: owners of customers due within
 * `warnDaysBefore` get a warning card (once), customers past their deadline go back to the pool and their
 * owner enters the re-claim cooldown. Idempotent: run it as often as you like, with any clock.
 */
export async function scanPool({
  ctx,
}: {
  ctx: ServiceContext
}): Promise<{ warned: number; reclaimed: number }> {
  const now = ctx.clock.now()
  const rules = await loadRules(ctx.db, ctx.tenantId)
  if (rules.reclaimAfterDays <= 0) return { warned: 0, reclaimed: 0 }
  let reclaimed = 0
  let warned = 0
  for (;;) {
    const n = await withTransaction(ctx, async (_tx, txCtx) => {
      const due = await txCtx.db
        .select()
        .from(customers)
        .where(
          and(
            eq(customers.tenantId, txCtx.tenantId),
            isNotNull(customers.ownerId),
            lte(customers.reclaimDueAt, now),
          ),
        )
        .orderBy(asc(customers.reclaimDueAt))
        .limit(BATCH)
        .for('update', { of: customers, skipLocked: true })
      for (const row of due) {
        await changeOwner(txCtx, row, null, 'reclaim')
        if (row.reclaimWarnedAt) await settlePoolWarning(txCtx, row, 'reclaimed', now)
        else if (row.ownerId)
          await sendPoolCard(txCtx, row.ownerId, row, { dueAt: now, state: 'reclaimed' }, rules, now)
      }
      return due.length
    })
    reclaimed += n
    if (n < BATCH) break
  }
  if (rules.warnDaysBefore > 0) {
    const horizon = new Date(now.getTime() + daysMs(rules.warnDaysBefore))
    for (;;) {
      const n = await withTransaction(ctx, async (_tx, txCtx) => {
        const soon = await txCtx.db
          .select()
          .from(customers)
          .where(
            and(
              eq(customers.tenantId, txCtx.tenantId),
              isNotNull(customers.ownerId),
              isNull(customers.reclaimWarnedAt),
              gt(customers.reclaimDueAt, now),
              lte(customers.reclaimDueAt, horizon),
            ),
          )
          .limit(BATCH)
          .for('update', { of: customers, skipLocked: true })
        for (const row of soon) {
          if (!row.ownerId || !row.reclaimDueAt) continue
          await txCtx.db
            .update(customers)
            .set({ reclaimWarnedAt: now })
            .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.id, row.id)))
          await sendPoolCard(
            txCtx,
            row.ownerId,
            row,
            { dueAt: row.reclaimDueAt, state: row.reclaimExtendedAt ? 'extended' : 'warning' },
            rules,
            now,
          )
        }
        return soon.length
      })
      warned += n
      if (n < BATCH) break
    }
  }
  return { warned, reclaimed }
}

/** The owner's pool card for a customer (warning, extended or reclaimed), one card per customer updated in place. */
async function sendPoolCard(
  ctx: ServiceContext,
  ownerId: string,
  customer: { id: string; name: string },
  what: { dueAt: Date; state: 'warning' | 'extended' | 'reclaimed' },
  rules: { extendDays: number },
  now: Date,
): Promise<void> {
  await notify(ctx, {
    to: { userId: ownerId },
    ref: poolCardRef(customer.id),
    version: poolCardVersion(now),
    view: poolWarningView({
      customerId: customer.id,
      customerName: customer.name,
      dueAt: what.dueAt.toISOString(),
      extendDays: rules.extendDays,
      state: what.state,
    }),
  })
}

/** Tenants with owned customers whose deadline is near (what the periodic job visits). */
export async function tenantsWithPoolWork(ctx: Pick<ServiceContext, 'db' | 'clock'>): Promise<string[]> {
  const horizon = new Date(ctx.clock.now().getTime() + daysMs(60))
  const rows = await ctx.db
    .selectDistinct({ tenantId: customers.tenantId })
    .from(customers)
    .where(and(isNotNull(customers.ownerId), lte(customers.reclaimDueAt, horizon)))
  return rows.map((r) => r.tenantId)
}
