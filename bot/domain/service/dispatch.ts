import { and, count, eq, gte, inArray } from 'drizzle-orm'
import { customers, products, serviceDispatchRules, serviceTickets, users } from '../../../db/schema'
import { chooseMember, containsAny, dailyQuota, inWorkingHours } from '../assignment/engine'
import type { ServiceContext } from '../context'
import { chinaDay, chinaDayStart } from '../leads/rollup'
import { OPEN_STATUSES } from './lifecycle'

export type DispatchRuleRow = typeof serviceDispatchRules.$inferSelect

export interface DispatchFacts {
  type: string
  priority: string
  region: string | null
  productCategory: string | null
}

/** Whether a rule's conditions hold (empty lists match everything). */
export function dispatchMatches(rule: Pick<DispatchRuleRow, 'match'>, f: DispatchFacts): boolean {
  const m = rule.match
  if (m.types?.length && !m.types.includes(f.type)) return false
  if (m.priorities?.length && !m.priorities.includes(f.priority as never)) return false
  if (m.regions?.length && !containsAny(f.region, m.regions)) return false
  if (m.productCategories?.length && !containsAny(f.productCategory, m.productCategories)) return false
  return true
}

/** What the rules look at: type, priority, the customer's region (address) and the product category. */
export async function dispatchFacts(
  ctx: ServiceContext,
  t: { type: string; priority: string; customerId: string | null; productId: string | null },
): Promise<DispatchFacts> {
  const [customer] = t.customerId
    ? await ctx.db
        .select({ address: customers.address })
        .from(customers)
        .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, t.customerId)))
    : []
  const [product] = t.productId
    ? await ctx.db
        .select({ category: products.category })
        .from(products)
        .where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, t.productId)))
    : []
  return {
    type: t.type,
    priority: t.priority,
    region: customer?.address ?? null,
    productCategory: product?.category ?? null,
  }
}

/**
 * Picks the engineer for a ticket by the tenant's dispatch rules, in order, through the shared assignment
 * engine: the first rule that matches, is inside its working hours and has an active member under their
 * daily quota decides (round robin, weighted, or least open tickets = load). The rule row is locked while
 * choosing. Null = the queue (a service manager dispatches by hand).
 */
export async function pickEngineer(
  ctx: ServiceContext,
  facts: DispatchFacts,
): Promise<{ userId: string; ruleId: string } | null> {
  const now = ctx.clock.now()
  const rules = await ctx.db
    .select()
    .from(serviceDispatchRules)
    .where(and(eq(serviceDispatchRules.tenantId, ctx.tenantId), eq(serviceDispatchRules.active, true)))
    .orderBy(serviceDispatchRules.position, serviceDispatchRules.createdAt)
  for (const candidate of rules) {
    if (!dispatchMatches(candidate, facts) || !inWorkingHours(candidate.workingHours, now)) continue
    const [rule] = await ctx.db
      .select()
      .from(serviceDispatchRules)
      .where(eq(serviceDispatchRules.id, candidate.id))
      .for('update')
    if (!rule || rule.members.length === 0) continue
    const ids = rule.members.map((m) => m.userId)
    const mine = and(eq(serviceTickets.tenantId, ctx.tenantId), inArray(serviceTickets.ownerId, ids))
    const [active, today, open] = await Promise.all([
      ctx.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids), eq(users.status, 'active'))),
      ctx.db
        .select({ ownerId: serviceTickets.ownerId, n: count() })
        .from(serviceTickets)
        .where(and(mine, gte(serviceTickets.assignedAt, chinaDayStart(chinaDay(now)))))
        .groupBy(serviceTickets.ownerId),
      rule.method === 'least_open'
        ? ctx.db
            .select({ ownerId: serviceTickets.ownerId, n: count() })
            .from(serviceTickets)
            .where(and(mine, inArray(serviceTickets.status, OPEN_STATUSES)))
            .groupBy(serviceTickets.ownerId)
        : Promise.resolve([]),
    ])
    const activeIds = new Set(active.map((a) => a.id))
    const used = new Map(today.map((a) => [a.ownerId ?? '', a.n]))
    const load = new Map(open.map((a) => [a.ownerId ?? '', a.n]))
    const eligible = rule.members
      .map((member, index) => ({
        member,
        index,
        usedToday: used.get(member.userId) ?? 0,
        open: load.get(member.userId) ?? 0,
      }))
      .filter((x) => activeIds.has(x.member.userId) && x.usedToday < dailyQuota(x.member))
    const chosen = chooseMember(rule.method, rule.members.length, rule.cursor, eligible)
    if (!chosen) continue
    await ctx.db
      .update(serviceDispatchRules)
      .set({ cursor: chosen.index })
      .where(eq(serviceDispatchRules.id, rule.id))
    return { userId: chosen.member.userId, ruleId: rule.id }
  }
  return null
}
