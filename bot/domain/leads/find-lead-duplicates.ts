import { and, eq, isNull, or, type SQL, sql } from 'drizzle-orm'
import { leads } from '../../../db/schema'
import { resultRows as rowsOf } from '../../lib/sql-rows'
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
  return sameLeadIn(await findSameLeads(ctx, [c]), c)
}

/**
 * Every live lead with one of the phones or emails of `list`, oldest first, locked for the caller's
 * transaction: one statement for a whole intake batch. {@link sameLeadIn} picks one contact's match.
 */
export async function findSameLeads(ctx: ServiceContext, list: NormalisedContact[]): Promise<LeadRow[]> {
  const phones = [...new Set(list.flatMap((c) => (c.phone ? [c.phone] : [])))]
  const emails = [...new Set(list.flatMap((c) => (c.email ? [c.email] : [])))]
  const conds: SQL[] = []
  // Arrays as one parameter each: the statement's text is the same whatever the batch, so it stays prepared.
  if (phones.length) conds.push(sql`${leads.phone} = any(${sql.param(phones)}::text[])`)
  if (emails.length) conds.push(sql`${leads.email} = any(${sql.param(emails)}::text[])`)
  if (conds.length === 0) return []
  return ctx.db
    .select()
    .from(leads)
    .where(and(eq(leads.tenantId, ctx.tenantId), isNull(leads.mergedIntoId), or(...conds)))
    .orderBy(leads.createdAt, leads.id)
    .for('update')
}

/** The oldest of `candidates` (oldest first) with the contact's phone or email. */
export const sameLeadIn = (candidates: LeadRow[], c: NormalisedContact): LeadRow | null =>
  candidates.find((l) => (c.phone && l.phone === c.phone) || (c.email && l.email === c.email)) ?? null

export type CustomerMatch = {
  id: string
  ownerId: string | null
  matchedOn: LeadDuplicateHint['matchedOn']
}

/** An existing customer with the lead's company name, phone (customer or contact) or contact email. */
export async function findMatchingCustomer(
  ctx: ServiceContext,
  c: NormalisedContact,
): Promise<CustomerMatch | null> {
  return (await findMatchingCustomers(ctx, [c]))[0] ?? null
}

/**
 * {@link findMatchingCustomer} for a batch in one statement, each key list one array parameter (the text
 * does not change with the batch, so it stays prepared) (each key an index lookup: company name, customer
 * phone, contact phone, lower(contact email); every part names its columns, as the first part of a union
 * names the result's); per contact, a company match wins over a phone match, a
 * customer's phone over a contact's, a phone over an email.
 */
export async function findMatchingCustomers(
  ctx: ServiceContext,
  list: NormalisedContact[],
): Promise<Array<CustomerMatch | null>> {
  const uniq = (xs: Array<string | null>) => [...new Set(xs.filter((x): x is string => !!x))]
  const names = uniq(list.map((c) => c.companyNorm))
  const phones = uniq(list.map((c) => c.phone))
  const emails = uniq(list.map((c) => c.email))
  const t = ctx.tenantId
  const parts: SQL[] = []
  if (names.length)
    parts.push(sql`select 1 as k, name_norm as v, id, owner_id from crm_customers
      where tenant_id = ${t} and name_norm = any(${sql.param(names)}::text[])`)
  if (phones.length) {
    parts.push(
      sql`select 2 as k, phone as v, id, owner_id from crm_customers where tenant_id = ${t} and phone = any(${sql.param(phones)}::text[])`,
    )
    parts.push(sql`select 3 as k, ct.phone as v, cu.id, cu.owner_id from crm_contacts ct
      join crm_customers cu on cu.id = ct.customer_id where ct.tenant_id = ${t} and ct.phone = any(${sql.param(phones)}::text[])`)
  }
  if (emails.length)
    parts.push(sql`select 4 as k, lower(ct.email) as v, cu.id, cu.owner_id from crm_contacts ct
      join crm_customers cu on cu.id = ct.customer_id where ct.tenant_id = ${t} and lower(ct.email) = any(${sql.param(emails)}::text[])`)
  if (parts.length === 0) return list.map(() => null)
  const rows = rowsOf<{ k: number; v: string; id: string; owner_id: string | null }>(
    await ctx.db.execute(sql`${sql.join(parts, sql` union all `)} order by 1, 3`),
  )
  const hit = new Map<string, { id: string; ownerId: string | null }>()
  for (const r of rows) {
    const key = `${Number(r.k)}|${r.v}`
    if (!hit.has(key)) hit.set(key, { id: r.id, ownerId: r.owner_id })
  }
  const MATCHED: Record<number, 'company' | 'phone' | 'email'> = {
    1: 'company',
    2: 'phone',
    3: 'phone',
    4: 'email',
  }
  return list.map((c) => {
    for (const [k, v] of [
      [1, c.companyNorm],
      [2, c.phone],
      [3, c.phone],
      [4, c.email],
    ] as const) {
      const h = v ? hit.get(`${k}|${v}`) : undefined
      if (h) return { ...h, matchedOn: [MATCHED[k] ?? 'phone'] }
    }
    return null
  })
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
