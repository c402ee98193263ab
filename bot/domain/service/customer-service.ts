import { and, count, desc, eq, inArray, isNotNull } from 'drizzle-orm'
import { serviceTickets } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { loadServiceAccess, type ServiceAccess, visibleTickets } from './access'
import { OPEN_STATUSES } from './lifecycle'
import { type TicketDto, ticketDtos } from './list-tickets'

/** The service section of a customer card: open tickets, the latest ones, the last satisfaction rating. */
export interface CustomerService {
  openCount: number
  recent: TicketDto[]
  lastRating: { rating: number; at: string; number: string } | null
}

export async function customerService(
  ctx: ServiceContext,
  customerId: string,
  given?: ServiceAccess,
): Promise<CustomerService> {
  const access = given ?? (await loadServiceAccess(ctx))
  const mine = and(visibleTickets(ctx, access), eq(serviceTickets.customerId, customerId))
  const [[open], rows, [rated]] = await Promise.all([
    ctx.db
      .select({ n: count() })
      .from(serviceTickets)
      .where(and(mine, inArray(serviceTickets.status, OPEN_STATUSES))),
    ctx.db.select().from(serviceTickets).where(mine).orderBy(desc(serviceTickets.createdAt)).limit(20),
    ctx.db
      .select({ rating: serviceTickets.rating, at: serviceTickets.ratedAt, number: serviceTickets.number })
      .from(serviceTickets)
      .where(and(mine, isNotNull(serviceTickets.ratedAt)))
      .orderBy(desc(serviceTickets.ratedAt))
      .limit(1),
  ])
  return {
    openCount: open?.n ?? 0,
    recent: await ticketDtos(ctx, rows),
    lastRating:
      rated?.rating && rated.at
        ? { rating: rated.rating, at: rated.at.toISOString(), number: rated.number }
        : null,
  }
}
