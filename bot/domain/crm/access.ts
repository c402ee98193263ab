import { and, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm'
import { customerCollaborators, customers, departments, serviceTickets, users } from '../../../db/schema'
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

/** The acting user's CRM data scope, and whether they may manage (assign, reassign, set rules). */
export interface CrmAccess extends ActorScope {
  canManage: boolean
}

export async function loadCrmAccess(ctx: ServiceContext): Promise<CrmAccess> {
  if (ctx.actor.kind === 'system') return { ...(await loadActorScope(ctx)), canManage: true }
  // Scope, permissions and departments in one statement: every CRM call pays this round trip first.
  return crmAccessOf(ctx, ctx.actor.userId, await loadUserRoles(ctx, ctx.actor.userId))
}

/** The CRM access a user's roles give (the customer card reads the roles once for CRM and service). */
export function crmAccessOf(ctx: ServiceContext, userId: string, r: UserRoles): CrmAccess {
  return {
    ...scopeOfRoles(ctx, userId, r),
    canManage: grants(
      r.roles.flatMap((x) => x.permissions),
      'crm.manage',
    ),
  }
}

/**
 * Collaborators see the customer whatever their own scope. An `IN` over the caller's (few) collaborations
 * is computed once per query; a correlated `EXISTS` would probe the table for every candidate row.
 */
const collaboratorGrant = (access: CrmAccess): SQL =>
  inArray(
    customers.id,
    sql`(select ${customerCollaborators.customerId} from ${customerCollaborators}
         where ${customerCollaborators.tenantId} = ${access.tenantId} and ${customerCollaborators.userId} = ${access.userId})`,
  )

/**
 * Customers the actor may work on: the tenant's, within their data scope or shared with them. Pool
 * customers (no owner) are workable only by those who manage the pool.
 */
export function workableCustomers(ctx: ServiceContext, access: CrmAccess): SQL {
  const scoped = scopeFilter(access, customers.ownerId, collaboratorGrant(access))
  const pool = access.canManage ? isNull(customers.ownerId) : undefined
  return and(eq(customers.tenantId, ctx.tenantId), pool ? or(scoped, pool) : scoped) as SQL
}

/** Customers the actor may read: what they may work on, plus the tenant's pool (公海 is public in the tenant). */
export function visibleCustomers(ctx: ServiceContext, access: CrmAccess): SQL {
  const scoped = scopeFilter(access, customers.ownerId, collaboratorGrant(access))
  return and(eq(customers.tenantId, ctx.tenantId), or(scoped, isNull(customers.ownerId))) as SQL
}

export type CustomerRow = typeof customers.$inferSelect

/**
 * The customer if the actor may read it (or work on it, with `write`); otherwise 404 — never 403, so that
 * existence outside one's scope does not leak.
 */
export async function requireCustomer(
  ctx: ServiceContext,
  access: CrmAccess,
  customerId: string,
  mode: 'read' | 'write' = 'read',
  options: { forUpdate?: boolean } = {},
): Promise<CustomerRow> {
  const cond = mode === 'write' ? workableCustomers(ctx, access) : visibleCustomers(ctx, access)
  const q = ctx.db
    .select()
    .from(customers)
    .where(and(eq(customers.id, customerId), cond))
  const [row] = options.forUpdate ? await q.for('update', { of: customers }) : await q
  if (!row) throw new NotFoundError('customer', customerId)
  return row
}

/**
 * The customer of a visit its engineer works: the caller's customer access (write), or — for an on-site
 * visit planned from a service ticket (上门, the ticket links the visit) for the caller — the customer the
 * ticket is about, though the engineer does not own it.
 */
export async function requireVisitCustomer(
  ctx: ServiceContext,
  access: CrmAccess,
  visit: { id: string; customerId: string; userId: string },
  options: { forUpdate?: boolean } = {},
): Promise<CustomerRow> {
  const me = access.userId
  const [ticket] =
    me && visit.userId === me
      ? await ctx.db
          .select({ id: serviceTickets.id })
          .from(serviceTickets)
          .where(
            and(
              eq(serviceTickets.tenantId, ctx.tenantId),
              eq(serviceTickets.visitId, visit.id),
              eq(serviceTickets.customerId, visit.customerId),
            ),
          )
          .limit(1)
      : []
  if (!ticket) return requireCustomer(ctx, access, visit.customerId, 'write', options)
  const q = ctx.db
    .select()
    .from(customers)
    .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, visit.customerId)))
  const [row] = options.forUpdate ? await q.for('update', { of: customers }) : await q
  if (!row) throw new NotFoundError('customer', visit.customerId)
  return row
}

/** Display names and departments of users (owner badges, duplicate hints). */
export async function userLabels(
  ctx: ServiceContext,
  ids: Array<string | null | undefined>,
): Promise<Map<string, { name: string; department: string | null }>> {
  const wanted = [...new Set(ids.filter((i): i is string => Boolean(i)))]
  if (wanted.length === 0) return new Map()
  const rows = await ctx.db
    .select({ id: users.id, name: users.name, enName: users.enName, department: departments.name })
    .from(users)
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, wanted)))
  // In the reader's language: the directory's English name for an English reader, where it has one.
  const en = ctx.locale === 'en'
  return new Map(rows.map((r) => [r.id, { name: (en && r.enName) || r.name, department: r.department }]))
}
