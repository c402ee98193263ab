import { and, eq } from 'drizzle-orm'
import { contacts, customers } from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { buildSearch } from '../search-text'

/** Recomputes a customer's search columns from its names, phone and its contacts' names and phones. */
export async function refreshSearch(ctx: ServiceContext, customerId: string): Promise<void> {
  const [c] = await ctx.db
    .select({ name: customers.name, shortName: customers.shortName, phone: customers.phone })
    .from(customers)
    .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, customerId)))
  if (!c) return
  const people = await ctx.db
    .select({ name: contacts.name, phone: contacts.phone })
    .from(contacts)
    .where(and(eq(contacts.tenantId, ctx.tenantId), eq(contacts.customerId, customerId)))
  const search = buildSearch({
    name: c.name,
    shortName: c.shortName,
    phones: [c.phone, ...people.map((p) => p.phone)],
    contactNames: people.map((p) => p.name),
  })
  await ctx.db
    .update(customers)
    .set(search)
    .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, customerId)))
}
