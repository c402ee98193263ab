import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { customers, opportunities } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import type { ServiceContext } from '../context'
import { withTransaction } from '../context'
import { emit } from '../outbox'

/** Job: tell the owner an opportunity has had no activity for `STALL_DAYS` (card built by the job). */
export const OPPORTUNITY_STALLED = 'sales.opportunity.stalled'
/** An open deal with no activity (its own changes or a follow-up on its customer) for this long stalls. */
export const STALL_DAYS = 14
const BATCH = 500

/** Last activity of a deal: its own last change or the last follow-up on its customer, whichever is later. */
const lastActivity = sql`greatest(${opportunities.lastActivityAt}, coalesce(${customers.lastFollowedUpAt}, ${opportunities.lastActivityAt}))`

/**
 * Finds open opportunities without activity for `STALL_DAYS` that were not reported since their last
 * activity, marks them and writes one card job each; batches of short transactions.
 */
export async function scanStalled({ ctx }: { ctx: ServiceContext }): Promise<{ found: number }> {
  const now = ctx.clock.now()
  const cutoff = new Date(now.getTime() - STALL_DAYS * 86_400_000)
  let found = 0
  for (;;) {
    const n = await withTransaction(ctx, async (_tx, c) => {
      const rows = await c.db
        .select({ id: opportunities.id, ownerId: opportunities.ownerId, last: sql<Date>`${lastActivity}` })
        .from(opportunities)
        .innerJoin(customers, eq(customers.id, opportunities.customerId))
        .where(
          and(
            eq(opportunities.tenantId, c.tenantId),
            eq(opportunities.status, 'open'),
            sql`${lastActivity} < ${cutoff}`,
            or(
              isNull(opportunities.stalledNotifiedAt),
              sql`${opportunities.stalledNotifiedAt} < ${lastActivity}`,
            ),
          ),
        )
        .limit(BATCH)
        .for('update', { of: opportunities, skipLocked: true })
      if (rows.length === 0) return 0
      await c.db
        .update(opportunities)
        .set({ stalledNotifiedAt: now })
        .where(
          and(
            eq(opportunities.tenantId, c.tenantId),
            inArray(
              opportunities.id,
              rows.map((r) => r.id),
            ),
          ),
        )
      await emit(
        c,
        rows.map((r) => ({
          topic: OPPORTUNITY_STALLED,
          payload: { tenantId: c.tenantId, opportunityId: r.id, ownerId: r.ownerId },
        })),
      )
      return rows.length
    })
    found += n
    if (n < BATCH) break
  }
  return { found }
}

/** Tenants with open opportunities quiet for longer than the stall period (any, cheap pre-check). */
export async function tenantsWithOpenDeals({ db, clock }: { db: DbOrTx; clock: Clock }): Promise<string[]> {
  const cutoff = new Date(clock.now().getTime() - STALL_DAYS * 86_400_000)
  const rows = await db
    .selectDistinct({ tenantId: opportunities.tenantId })
    .from(opportunities)
    .where(and(eq(opportunities.status, 'open'), lt(opportunities.lastActivityAt, cutoff)))
  return rows.map((r) => r.tenantId)
}
