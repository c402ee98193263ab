import { and, eq, isNull, or, type SQL } from 'drizzle-orm'
import { serviceTickets } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import {
  type ActorScope,
  loadActorScope,
  loadUserRoles,
  scopeFilter,
  scopeOfRoles,
  type UserRoles,
} from '../org/data-scope'
import { grants } from '../org/permissions'

/** The acting user's service scope: their data scope, and whether they dispatch (`service.manage`). */
export interface ServiceAccess extends ActorScope {
  canManage: boolean
}

/**
 * The same facts as `loadActorScope` and `hasPermission(…, 'service.manage')` (three statements) in one
 * statement: every ticket page and action starts here, so it is one round trip.
 */
export async function loadServiceAccess(ctx: ServiceContext): Promise<ServiceAccess> {
  if (ctx.actor.kind === 'system') return { ...(await loadActorScope(ctx)), canManage: true }
  return serviceAccessOf(ctx, ctx.actor.userId, await loadUserRoles(ctx, ctx.actor.userId))
}

/** The service access a user's roles give (the customer card reads the roles once for CRM and service). */
export function serviceAccessOf(ctx: ServiceContext, userId: string, r: UserRoles): ServiceAccess {
  return {
    ...scopeOfRoles(ctx, userId, r),
    canManage: grants(
      r.roles.flatMap((x) => x.permissions),
      'service.manage',
    ),
  }
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
