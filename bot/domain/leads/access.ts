import { and, eq, isNull, or, type SQL, sql } from 'drizzle-orm'
import { leads } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { type ActorScope, loadActorScope, loadUserRoles, scopeFilter, scopeOfRoles } from '../org/data-scope'
import { grants } from '../org/permissions'

/** The acting user's lead scope: their data scope, widened to all leads by `crm.leads.manage`. */
export interface LeadAccess extends ActorScope {
  canManage: boolean
}

/**
 * The caller's lead access from one statement (roles with their scopes and permissions, and departments:
 * {@link loadUserRoles}); system actors see and manage everything.
 */
export async function loadLeadAccess(ctx: ServiceContext): Promise<LeadAccess> {
  if (ctx.actor.kind === 'system') return { ...(await loadActorScope(ctx)), canManage: true }
  const userId = ctx.actor.userId
  const r = await loadUserRoles(ctx, userId)
  const scope = scopeOfRoles(ctx, userId, r)
  const canManage = grants(
    r.roles.flatMap((x) => x.permissions),
    'crm.leads.manage',
  )
  return canManage ? { ...scope, scope: 'all', canManage } : { ...scope, canManage }
}

/** Leads whose owner is within the caller's scope (figures and "my" lists; the pool is not included). */
export function ownedLeads(ctx: ServiceContext, access: LeadAccess): SQL {
  return and(
    eq(leads.tenantId, ctx.tenantId),
    isNull(leads.mergedIntoId),
    scopeFilter(access, leads.ownerId),
  ) as SQL
}

/** Leads the caller may open: in scope, or waiting in the pool (anyone may look before claiming). */
export function visibleLeads(ctx: ServiceContext, access: LeadAccess): SQL {
  const scoped = access.scope === 'all' ? sql`true` : scopeFilter(access, leads.ownerId)
  return and(
    eq(leads.tenantId, ctx.tenantId),
    isNull(leads.mergedIntoId),
    or(scoped, isNull(leads.ownerId)),
  ) as SQL
}

export type LeadRow = typeof leads.$inferSelect

/** The lead if visible to the caller (locked for update when asked), else 404 — never 403. */
export async function requireLead(
  ctx: ServiceContext,
  access: LeadAccess,
  leadId: string,
  options: { forUpdate?: boolean } = {},
): Promise<LeadRow> {
  const q = ctx.db
    .select()
    .from(leads)
    .where(and(eq(leads.id, leadId), visibleLeads(ctx, access)))
  const [row] = options.forUpdate ? await q.for('update') : await q
  if (!row) throw new NotFoundError('lead', leadId)
  return row
}

/** Whether the caller may work the lead: its owner, a manager in scope, or a lead manager. */
export function mayWork(access: LeadAccess, lead: LeadRow): boolean {
  if (access.canManage) return true
  if (!access.userId) return true
  return lead.ownerId === access.userId || (lead.ownerId !== null && access.scope !== 'self')
}
