import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { contracts, instalments, payments } from '../../../db/schema'
import type { ServiceContext } from '../context'

export type InstalmentStatus = 'paid' | 'partial' | 'open' | 'overdue'

export interface InstalmentView {
  id: string
  seq: number
  dueDate: string
  amountCents: number
  receivedCents: number
  outstandingCents: number
  status: InstalmentStatus
}

export interface Receivables {
  contractId: string
  receivableCents: number
  receivedCents: number
  outstandingCents: number
  overdueCents: number
  paidInstalments: number
  totalInstalments: number
  /** "3/5 期" */
  label: string
  instalments: InstalmentView[]
}

/** China-time calendar day of an instant (due dates are calendar days in China). */
export const chinaDay = (d: Date): string => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10)

/**
 * Status is derived, never stored: paid when fully received, overdue when money is still open after the due
 * day, partial when some arrived, open otherwise.
 */
export function instalmentStatus(
  amount: number,
  received: number,
  dueDate: string,
  today: string,
): InstalmentStatus {
  if (received >= amount) return 'paid'
  if (dueDate < today) return 'overdue'
  return received > 0 ? 'partial' : 'open'
}

/** 应收/实收/欠款 and the instalments of contracts (the caller has checked the scope). */
export async function loadReceivables(
  ctx: ServiceContext,
  contractIds: string[],
): Promise<Map<string, Receivables>> {
  const out = new Map<string, Receivables>()
  if (contractIds.length === 0) return out
  const [ctrRows, planRows, paidRows] = await Promise.all([
    ctx.db
      .select({ id: contracts.id, amountCents: contracts.amountCents })
      .from(contracts)
      .where(and(eq(contracts.tenantId, ctx.tenantId), inArray(contracts.id, contractIds))),
    ctx.db
      .select()
      .from(instalments)
      .where(and(eq(instalments.tenantId, ctx.tenantId), inArray(instalments.contractId, contractIds)))
      .orderBy(asc(instalments.seq)),
    ctx.db
      .select({ contractId: payments.contractId, total: sql<string>`sum(${payments.amountCents})` })
      .from(payments)
      .where(and(eq(payments.tenantId, ctx.tenantId), inArray(payments.contractId, contractIds)))
      .groupBy(payments.contractId),
  ])
  const paidBy = new Map(paidRows.map((r) => [r.contractId, Number(r.total)]))
  const today = chinaDay(ctx.clock.now())
  for (const c of ctrRows) {
    const plan = planRows.filter((p) => p.contractId === c.id)
    const views = plan.map((p) => ({
      id: p.id,
      seq: p.seq,
      dueDate: p.dueDate,
      amountCents: p.amountCents,
      receivedCents: p.receivedCents,
      outstandingCents: Math.max(0, p.amountCents - p.receivedCents),
      status: instalmentStatus(p.amountCents, p.receivedCents, p.dueDate, today),
    }))
    const receivedCents = paidBy.get(c.id) ?? 0
    const paid = views.filter((v) => v.status === 'paid').length
    out.set(c.id, {
      contractId: c.id,
      receivableCents: c.amountCents,
      receivedCents,
      outstandingCents: Math.max(0, c.amountCents - receivedCents),
      overdueCents: views.filter((v) => v.status === 'overdue').reduce((s, v) => s + v.outstandingCents, 0),
      paidInstalments: paid,
      totalInstalments: views.length,
      label: `${paid}/${views.length} 期`,
      instalments: views,
    })
  }
  return out
}

/** Money received on a contract (every payment, planned or not). */
export async function receivedOf(ctx: ServiceContext, contractId: string): Promise<number> {
  const [row] = await ctx.db
    .select({ total: sql<string>`coalesce(sum(${payments.amountCents}), 0)` })
    .from(payments)
    .where(and(eq(payments.tenantId, ctx.tenantId), eq(payments.contractId, contractId)))
  return Number(row?.total ?? 0)
}
