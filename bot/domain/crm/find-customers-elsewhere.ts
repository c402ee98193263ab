import { and, asc, eq, not, or, type SQL, sql } from 'drizzle-orm'
import { customers } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess, userLabels, visibleCustomers } from './access'
import { normaliseSearch } from './search-text'

/** A customer that exists outside the caller's data scope: its name and whom to ask, nothing else. */
export interface CustomerElsewhere {
  name: string
  owner: { name: string; department: string | null }
}

/** Few answers and a two-character floor, so the hint helps a search without listing the tenant. */
const MAX_HINTS = 3
const MIN_QUERY_CHARS = 2

/**
 * Customers matching a search (name, pinyin, initials) that the caller may not see. A rep who searches for
 * a colleague's customer learns that it exists and who owns it — the same rule as the duplicate check on
 * create (name and owner only, never its data) — so they ask that colleague instead of creating it again.
 */
export async function findCustomersElsewhere({
  ctx,
  input,
  access: given,
}: {
  ctx: ServiceContext
  input: { q: string }
  access?: CrmAccess
}): Promise<CustomerElsewhere[]> {
  const q = normaliseSearch(input.q)
  if ([...q].length < MIN_QUERY_CHARS) return []
  const access = given ?? (await loadCrmAccess(ctx))
  const match: SQL = or(
    sql`${customers.nameNorm} like ${`${escapeLike(q)}%`}`,
    sql`${customers.searchText} like ${`%${escapeLike(q)}%`}`,
  ) as SQL
  const rows = await ctx.db
    .select({ name: customers.name, ownerId: customers.ownerId })
    .from(customers)
    .where(and(eq(customers.tenantId, ctx.tenantId), match, not(visibleCustomers(ctx, access))))
    .orderBy(asc(customers.name))
    .limit(MAX_HINTS)
  const labels = await userLabels(
    ctx,
    rows.map((r) => r.ownerId),
  )
  return rows.flatMap((r) => {
    const owner = r.ownerId ? labels.get(r.ownerId) : undefined
    return owner ? [{ name: r.name, owner: { name: owner.name, department: owner.department } }] : []
  })
}
