import { and, count, desc, eq } from 'drizzle-orm'
import { contacts, followUps } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess, requireCustomer, userLabels } from './access'
import { regionLabel } from './regions'

export interface CustomerSummary {
  id: string
  name: string
  shortName: string | null
  industry: string | null
  tier: string | null
  region: string
  phone: string | null
  owner: { name: string; department: string | null } | null
  tags: string[]
  lastFollowUp: { at: Date; kind: string; content: string; author: string | null } | null
  contactCount: number
}

/** The key facts and last follow-up of a customer in scope (what the chat card shows). */
export async function getCustomerSummary({
  ctx,
  customerId,
  access: given,
}: {
  ctx: ServiceContext
  customerId: string
  access?: CrmAccess
}): Promise<CustomerSummary> {
  const access = given ?? (await loadCrmAccess(ctx))
  const row = await requireCustomer(ctx, access, customerId)
  const [last] = await ctx.db
    .select()
    .from(followUps)
    .where(and(eq(followUps.tenantId, ctx.tenantId), eq(followUps.customerId, row.id)))
    .orderBy(desc(followUps.createdAt))
    .limit(1)
  const [n] = await ctx.db
    .select({ n: count() })
    .from(contacts)
    .where(and(eq(contacts.tenantId, ctx.tenantId), eq(contacts.customerId, row.id)))
  const labels = await userLabels(ctx, [row.ownerId, last?.authorId])
  const owner = row.ownerId ? labels.get(row.ownerId) : undefined
  return {
    id: row.id,
    name: row.name,
    shortName: row.shortName,
    industry: row.industry,
    tier: row.tier,
    region: regionLabel(row),
    phone: row.phone,
    owner: row.ownerId ? { name: owner?.name ?? '', department: owner?.department ?? null } : null,
    tags: row.tags,
    lastFollowUp: last
      ? {
          at: last.createdAt,
          kind: last.kind,
          content: last.content,
          author: last.authorId ? (labels.get(last.authorId)?.name ?? null) : null,
        }
      : null,
    contactCount: n?.n ?? 0,
  }
}
