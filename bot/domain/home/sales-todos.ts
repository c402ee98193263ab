import { and, asc, eq, lt, lte, or, sql } from 'drizzle-orm'
import { contracts, customers, instalments, opportunities } from '../../../db/schema'
import { zonedNow } from '../../lib/zoned'
import type { ServiceContext } from '../context'
import { STALL_DAYS } from '../opportunities/scan-stalled'
import { tenantTimeZone } from '../org/time-zone'

export interface HomeDealTodo {
  id: string
  name: string
  customer: { id: string; name: string }
  amountCents: number
  /** Whole days since the last activity on the deal. */
  idleDays: number
  expectedCloseDate: string | null
  /** Why it is on the list: no activity for `STALL_DAYS` days, and/or its expected close date has passed. */
  stalled: boolean
  closeDatePassed: boolean
}

export interface HomePaymentTodo {
  instalmentId: string
  contract: { id: string; number: string; name: string }
  customer: { id: string; name: string }
  seq: number
  dueDate: string
  outstandingCents: number
  daysOverdue: number
}

const LIMIT = 10
const DAY_MS = 86_400_000

/**
 * The sales part of my home: my open deals that stalled (no activity for {@link STALL_DAYS} days) or whose
 * expected close date has passed, longest idle first; and the overdue 回款 instalments of my active
 * contracts, oldest first. "Today" is the tenant's day.
 */
export async function salesTodos(
  ctx: ServiceContext,
  me: string,
): Promise<{ deals: HomeDealTodo[]; payments: HomePaymentTodo[] }> {
  const now = ctx.clock.now()
  const today = zonedNow(now, await tenantTimeZone(ctx)).day
  const stalledBefore = new Date(now.getTime() - STALL_DAYS * DAY_MS)
  const [deals, due] = await Promise.all([
    ctx.db
      .select({
        id: opportunities.id,
        name: opportunities.name,
        customerId: customers.id,
        customerName: customers.name,
        amountCents: opportunities.amountCents,
        lastActivityAt: opportunities.lastActivityAt,
        expectedCloseDate: opportunities.expectedCloseDate,
      })
      .from(opportunities)
      .innerJoin(
        customers,
        and(eq(customers.tenantId, opportunities.tenantId), eq(customers.id, opportunities.customerId)),
      )
      .where(
        and(
          eq(opportunities.tenantId, ctx.tenantId),
          eq(opportunities.ownerId, me),
          eq(opportunities.status, 'open'),
          or(lte(opportunities.lastActivityAt, stalledBefore), lt(opportunities.expectedCloseDate, today)),
        ),
      )
      .orderBy(asc(opportunities.lastActivityAt))
      .limit(LIMIT),
    ctx.db
      .select({
        instalmentId: instalments.id,
        seq: instalments.seq,
        dueDate: instalments.dueDate,
        outstandingCents:
          sql<number>`(${instalments.amountCents} - ${instalments.receivedCents})::bigint`.mapWith(Number),
        contractId: contracts.id,
        number: contracts.number,
        contractName: contracts.name,
        customerId: customers.id,
        customerName: customers.name,
      })
      .from(instalments)
      .innerJoin(
        contracts,
        and(eq(contracts.tenantId, instalments.tenantId), eq(contracts.id, instalments.contractId)),
      )
      .innerJoin(
        customers,
        and(eq(customers.tenantId, contracts.tenantId), eq(customers.id, contracts.customerId)),
      )
      .where(
        and(
          eq(instalments.tenantId, ctx.tenantId),
          eq(contracts.ownerId, me),
          eq(contracts.status, 'active'),
          lt(instalments.dueDate, today),
          sql`${instalments.receivedCents} < ${instalments.amountCents}`,
        ),
      )
      .orderBy(asc(instalments.dueDate), asc(instalments.seq))
      .limit(LIMIT),
  ])
  const daysBetween = (from: string, to: string) =>
    Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)
  return {
    deals: deals.map((d) => ({
      id: d.id,
      name: d.name,
      customer: { id: d.customerId, name: d.customerName },
      amountCents: d.amountCents,
      idleDays: Math.floor((now.getTime() - d.lastActivityAt.getTime()) / DAY_MS),
      expectedCloseDate: d.expectedCloseDate,
      stalled: d.lastActivityAt.getTime() <= stalledBefore.getTime(),
      closeDatePassed: d.expectedCloseDate !== null && d.expectedCloseDate < today,
    })),
    payments: due.map((p) => ({
      instalmentId: p.instalmentId,
      contract: { id: p.contractId, number: p.number, name: p.contractName },
      customer: { id: p.customerId, name: p.customerName },
      seq: p.seq,
      dueDate: p.dueDate,
      outstandingCents: p.outstandingCents,
      daysOverdue: daysBetween(p.dueDate, today),
    })),
  }
}
