import { and, eq, isNull, or, type SQL, sql } from 'drizzle-orm'
import { contacts, customers, leads } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { userLabels } from '../crm/access'
import type { LeadAccess, LeadRow } from './access'
import type { NormalisedContact } from './normalise'

/**
 * What the caller learns about a duplicate: which key matched and who to ask (name and department), never
 * the other record's data. The id only when the caller may already see that record.
 */
export interface LeadDuplicateHint {
  kind: 'lead' | 'customer'
  matchedOn: Array<'phone' | 'email' | 'company'>
  owner: { name: string; department: string | null } | null
  inPool: boolean
  id: string | null
}

/**
 * The live lead that is the same person: same normalised phone or email (company name alone is not a
 * person: two people of one company are two leads). Searches the whole tenant, not the caller's scope.
 */
export async function findSameLead(ctx: ServiceContext, c: NormalisedContact): Promise<LeadRow | null> {
  const conds: SQL[] = []
  if (c.phone) conds.push(eq(leads.phone, c.phone))
  if (c.email) conds.push(eq(leads.email, c.email))
  if (conds.length === 0) return null
  const [row] = await ctx.db
    .select()
    .from(leads)
    .where(and(eq(leads.tenantId, ctx.tenantId), isNull(leads.mergedIntoId), or(...conds)))
    .orderBy(leads.createdAt)
    .limit(1)
    .for('update')
  return row ?? null
}

/** An existing customer with the lead's phone (customer or contact), contact email or company name. */
export async function findMatchingCustomer(
  ctx: ServiceContext,
  c: NormalisedContact,
): Promise<{ id: string; ownerId: string | null; matchedOn: LeadDuplicateHint['matchedOn'] } | null> {
  if (c.companyNorm) {
    const [hit] = await ctx.db
      .select({ id: customers.id, ownerId: customers.ownerId })
      .from(customers)
      .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.nameNorm, c.companyNorm)))
      .limit(1)
    if (hit) return { ...hit, matchedOn: ['company'] }
  }
  if (c.phone) {
    const [hit] = await ctx.db
      .select({ id: customers.id, ownerId: customers.ownerId })
      .from(customers)
      .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.phone, c.phone)))
      .limit(1)
    if (hit) return { ...hit, matchedOn: ['phone'] }
  }
  const conds: SQL[] = []
  if (c.phone) conds.push(eq(contacts.phone, c.phone))
  if (c.email) conds.push(sql`lower(${contacts.email}) = ${c.email}`)
  if (conds.length === 0) return null
  const [hit] = await ctx.db
    .select({ id: customers.id, ownerId: customers.ownerId, phone: contacts.phone })
    .from(contacts)
    .innerJoin(customers, eq(customers.id, contacts.customerId))
    .where(and(eq(contacts.tenantId, ctx.tenantId), or(...conds)))
    .limit(1)
  if (!hit) return null
  return { id: hit.id, ownerId: hit.ownerId, matchedOn: [hit.phone === c.phone ? 'phone' : 'email'] }
}

/** The hint shown for a duplicate lead: its owner to ask, its id only when the caller may see it. */
export async function leadHint(
  ctx: ServiceContext,
  access: LeadAccess,
  lead: LeadRow,
  c: NormalisedContact,
): Promise<LeadDuplicateHint> {
  const labels = await userLabels(ctx, [lead.ownerId])
  const label = lead.ownerId ? labels.get(lead.ownerId) : undefined
  const visible =
    access.scope === 'all' || lead.ownerId === null || lead.ownerId === access.userId || access.canManage
  const matchedOn: LeadDuplicateHint['matchedOn'] = []
  if (c.phone && lead.phone === c.phone) matchedOn.push('phone')
  if (c.email && lead.email === c.email) matchedOn.push('email')
  return {
    kind: 'lead',
    matchedOn,
    owner: label ? { name: label.name, department: label.department } : null,
    inPool: lead.ownerId === null,
    id: visible ? lead.id : null,
  }
}
