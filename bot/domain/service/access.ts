import { and, eq, isNull, or, type SQL } from 'drizzle-orm'
import { serviceTickets } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { type ActorScope, loadActorScope, scopeFilter } from '../org/data-scope'
import { hasPermission } from '../org/permissions'

/** The acting user's service scope: their data scope, and whether they dispatch (`service.manage`). */
export interface ServiceAccess extends ActorScope {
  canManage: boolean
}

export async function loadServiceAccess(ctx: ServiceContext): Promise<ServiceAccess> {
  const [scope, canManage] = await Promise.all([loadActorScope(ctx), hasPermission(ctx, 'service.manage')])
  return { ...scope, canManage }
}

/**
 * Tickets the caller may see: owned by someone in their data scope, filed or requested by them, about a
 * customer in their scope (the rep sees their customers' tickets), or — for dispatchers — not yet owned.
 */
export function visibleTickets(ctx: ServiceContext, access: ServiceAccess): SQL {
  const tenant = eq(serviceTickets.tenantId, ctx.tenantId)
  if (access.scope === 'all') return tenant
  const mine = access.userId
    ? [eq(serviceTickets.requesterId, access.userId), eq(serviceTickets.createdById, access.userId)]
    : []
  // The customer's owner is on the ticket (triggers keep it in step), so this is a column test, not a
  // set the size of the rep's book.
  const theirCustomers = scopeFilter(access, serviceTickets.customerOwnerId)
  const queue = access.canManage ? [isNull(serviceTickets.ownerId)] : []
  return and(
    tenant,
    or(scopeFilter(access, serviceTickets.ownerId), theirCustomers, ...mine, ...queue),
  ) as SQL
}

export type TicketRow = typeof serviceTickets.$inferSelect

/** The ticket if visible to the caller (locked for update when asked), else 404 — never 403. */
export async function requireTicket(
  ctx: ServiceContext,
  access: ServiceAccess,
  ticketId: string,
  options: { forUpdate?: boolean } = {},
): Promise<TicketRow> {
  const q = ctx.db
    .select()
    .from(serviceTickets)
    .where(and(eq(serviceTickets.id, ticketId), visibleTickets(ctx, access)))
  const [row] = options.forUpdate ? await q.for('update') : await q
  if (!row) throw new NotFoundError('ticket', ticketId)
  return row
}

/** Whether the caller works the ticket: its owner, or a dispatcher who can see it. */
export function mayWork(access: ServiceAccess, ticket: TicketRow): boolean {
  if (!access.userId) return true
  return ticket.ownerId === access.userId || access.canManage
}
