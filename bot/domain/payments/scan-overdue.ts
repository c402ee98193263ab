import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { contracts, instalments } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import type { ServiceContext } from '../context'
import { withTransaction } from '../context'
import { emit } from '../outbox'
import { chinaDay } from './receivables'

/** Job: one overdue instalment's reminder cards (owner and their manager), built by the job. */
export const PAYMENT_OVERDUE = 'sales.payment.overdue'
/** An instalment still overdue is reminded again after this long. */
export const OVERDUE_REMIND_EVERY_MS = 7 * 86_400_000
const BATCH = 250

/**
 * Finds instalments of active contracts with money still open after their due day (China calendar day of
 * the context's clock) that were not reminded in the last week, marks them reminded and writes one
 * reminder job each — in batches, each its own short transaction, so no lock is held for long. The
 * condition compares the due day with today (not with itself): it fires.
 */
export async function scanOverdue({
  ctx,
  batchSize = BATCH,
}: {
  ctx: ServiceContext
  /** Instalments per batch (tests make it small to cross batch boundaries). */
  batchSize?: number
}): Promise<{ found: number }> {
  const now = ctx.clock.now()
  const today = chinaDay(now)
  const remindBefore = new Date(now.getTime() - OVERDUE_REMIND_EVERY_MS)
  let found = 0
  // Keyset on (due date, id): a batch starts after the last one's end, so the scan walks the open
  // instalments once instead of stepping over the ones already marked on every batch.
  let after: { dueDate: string; id: string } | null = null
  for (;;) {
    const from = after as { dueDate: string; id: string } | null
    const n: number = await withTransaction(ctx, async (_tx, c) => {
      const due = await c.db
        .select({ id: instalments.id, contractId: instalments.contractId, dueDate: instalments.dueDate })
        .from(instalments)
        .innerJoin(contracts, and(eq(contracts.id, instalments.contractId), eq(contracts.status, 'active')))
        .where(
          and(
            eq(instalments.tenantId, c.tenantId),
            sql`${instalments.receivedCents} < ${instalments.amountCents}`,
            lt(instalments.dueDate, today),
            or(isNull(instalments.overdueNotifiedAt), lt(instalments.overdueNotifiedAt, remindBefore)),
            from
              ? sql`(${instalments.dueDate}, ${instalments.id}) > (${from.dueDate}, ${from.id})`
              : undefined,
          ),
        )
        .orderBy(asc(instalments.dueDate), asc(instalments.id))
        .limit(batchSize)
        .for('update', { of: instalments, skipLocked: true })
      if (due.length === 0) return 0
      const last = due[due.length - 1]
      if (last) after = { dueDate: last.dueDate, id: last.id }
      await c.db
        .update(instalments)
        .set({ overdueNotifiedAt: now })
        .where(
          and(
            eq(instalments.tenantId, c.tenantId),
            inArray(
              instalments.id,
              due.map((d) => d.id),
            ),
          ),
        )
      await emit(
        c,
        due.map((d) => ({ topic: PAYMENT_OVERDUE, payload: { tenantId: c.tenantId, instalmentId: d.id } })),
      )
      return due.length
    })
    found += n
    if (n < batchSize) break
  }
  return { found }
}

/** Tenants with at least one overdue, unreminded instalment (the hourly job scans only those). */
export async function tenantsWithOverdue({ db, clock }: { db: DbOrTx; clock: Clock }): Promise<string[]> {
  const now = clock.now()
  const rows = await db
    .selectDistinct({ tenantId: instalments.tenantId })
    .from(instalments)
    .where(
      and(
        sql`${instalments.receivedCents} < ${instalments.amountCents}`,
        lt(instalments.dueDate, chinaDay(now)),
        or(
          isNull(instalments.overdueNotifiedAt),
          lt(instalments.overdueNotifiedAt, new Date(now.getTime() - OVERDUE_REMIND_EVERY_MS)),
        ),
      ),
    )
  return rows.map((r) => r.tenantId)
}
