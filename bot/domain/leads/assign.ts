import { and, count, eq, gte, inArray } from 'drizzle-orm'
import { leadAssignmentRules, leads, users } from '../../../db/schema'
import { chooseMember, containsAny, dailyQuota, inWorkingHours } from '../assignment/engine'
import type { ServiceContext } from '../context'
import { chinaDay, chinaDayStart } from './rollup'

export type RuleRow = typeof leadAssignmentRules.$inferSelect

/** Whether a rule's conditions hold for the lead (empty lists match everything). */
export function ruleMatches(
  rule: Pick<RuleRow, 'match'>,
  lead: { channelId: string; region?: string | null; productInterest?: string | null },
): boolean {
  const m = rule.match
  if (m.channelIds?.length && !m.channelIds.includes(lead.channelId)) return false
  if (m.regions?.length && !containsAny(lead.region, m.regions)) return false
  if (m.products?.length && !containsAny(lead.productInterest, m.products)) return false
  return true
}

/**
 * Picks the owner of a new lead by the tenant's assignment rules, in order: the first rule whose conditions
 * match, that is inside its working hours and has a member under their daily quota, decides. Round robin
 * takes the next such member after the last one served; weighted takes the member with the lowest share of
 * their quota used today (so capacity 60 gets twice the leads of capacity 30). The rule row is locked while
 * choosing, so concurrent intakes neither double-serve a turn nor overrun a quota. Null = the pool.
 */
export async function pickAssignee(
  ctx: ServiceContext,
  lead: { channelId: string; region?: string | null; productInterest?: string | null },
): Promise<{ userId: string; ruleId: string } | null> {
  const now = ctx.clock.now()
  const rules = await ctx.db
    .select({
      id: leadAssignmentRules.id,
      match: leadAssignmentRules.match,
      workingHours: leadAssignmentRules.workingHours,
    })
    .from(leadAssignmentRules)
    .where(and(eq(leadAssignmentRules.tenantId, ctx.tenantId), eq(leadAssignmentRules.active, true)))
    .orderBy(leadAssignmentRules.position, leadAssignmentRules.createdAt)
  for (const candidate of rules) {
    if (!ruleMatches(candidate, lead) || !inWorkingHours(candidate.workingHours, now)) continue
    const [rule] = await ctx.db
      .select()
      .from(leadAssignmentRules)
      .where(eq(leadAssignmentRules.id, candidate.id))
      .for('update')
    if (!rule || rule.members.length === 0) continue
    const ids = rule.members.map((m) => m.userId)
    const [active, assigned] = await Promise.all([
      ctx.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids), eq(users.status, 'active'))),
      ctx.db
        .select({ ownerId: leads.ownerId, n: count() })
        .from(leads)
        .where(
          and(
            eq(leads.tenantId, ctx.tenantId),
            inArray(leads.ownerId, ids),
            eq(leads.assignedBy, 'rule'),
            gte(leads.assignedAt, chinaDayStart(chinaDay(now))),
          ),
        )
        .groupBy(leads.ownerId),
    ])
    const activeIds = new Set(active.map((a) => a.id))
    const used = new Map(assigned.map((a) => [a.ownerId ?? '', a.n]))
    const eligible = rule.members
      .map((member, index) => ({ member, index, usedToday: used.get(member.userId) ?? 0 }))
      .filter((x) => activeIds.has(x.member.userId) && x.usedToday < dailyQuota(x.member))
    const chosen = chooseMember(rule.method, rule.members.length, rule.cursor, eligible)
    if (!chosen) continue
    await ctx.db
      .update(leadAssignmentRules)
      .set({ cursor: chosen.index })
      .where(eq(leadAssignmentRules.id, rule.id))
    return { userId: chosen.member.userId, ruleId: rule.id }
  }
  return null
}
