import { and, count, eq, gte, inArray } from 'drizzle-orm'
import {
  type AssignmentMember,
  leadAssignmentRules,
  leads,
  users,
  type WorkingHours,
} from '../../../db/schema'
import type { ServiceContext } from '../context'
import { chinaDay, chinaDayStart } from './rollup'

export type RuleRow = typeof leadAssignmentRules.$inferSelect

/** Daily quota of a member (Odoo's model): a thirtieth of the monthly capacity, at least one. */
export const dailyQuota = (m: AssignmentMember): number => Math.max(1, Math.round(m.capacity / 30))

const contains = (hay: string | null | undefined, needles: string[]): boolean => {
  if (!hay) return false
  const h = hay.toLowerCase()
  return needles.some((n) => h.includes(n.toLowerCase()))
}

/** Whether a rule's conditions hold for the lead (empty lists match everything). */
export function ruleMatches(
  rule: Pick<RuleRow, 'match'>,
  lead: { channelId: string; region?: string | null; productInterest?: string | null },
): boolean {
  const m = rule.match
  if (m.channelIds?.length && !m.channelIds.includes(lead.channelId)) return false
  if (m.regions?.length && !contains(lead.region, m.regions)) return false
  if (m.products?.length && !contains(lead.productInterest, m.products)) return false
  return true
}

/** Whether `now` is inside the working hours (China time); no hours = always. */
export function inWorkingHours(hours: WorkingHours | null, now: Date): boolean {
  if (!hours) return true
  const local = new Date(now.getTime() + 8 * 3_600_000)
  const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay()
  if (!hours.days.includes(weekday)) return false
  const hm = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`
  return hm >= hours.start && hm < hours.end
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
      .map((m, index) => ({ m, index, used: used.get(m.userId) ?? 0 }))
      .filter((x) => activeIds.has(x.m.userId) && x.used < dailyQuota(x.m))
    if (eligible.length === 0) continue
    let chosen: (typeof eligible)[number]
    if (rule.method === 'weighted') {
      chosen = eligible.reduce((best, x) => {
        const a = x.used / dailyQuota(x.m)
        const b = best.used / dailyQuota(best.m)
        return a < b || (a === b && x.m.capacity > best.m.capacity) ? x : best
      })
    } else {
      const n = rule.members.length
      const byIndex = new Map(eligible.map((x) => [x.index, x]))
      let pick: (typeof eligible)[number] | undefined
      for (let step = 1; step <= n && !pick; step++) pick = byIndex.get((rule.cursor + step + n) % n)
      chosen = pick ?? (eligible[0] as (typeof eligible)[number])
    }
    await ctx.db
      .update(leadAssignmentRules)
      .set({ cursor: chosen.index })
      .where(eq(leadAssignmentRules.id, rule.id))
    return { userId: chosen.m.userId, ruleId: rule.id }
  }
  return null
}
