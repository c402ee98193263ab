import { and, count, eq, gte, inArray } from 'drizzle-orm'
import { leadAssignmentRules, leads, users } from '../../../../db/schema'
import { containsAny, rulePicker } from '../../assignment/engine'
import type { ServiceContext } from '../../context'
import { chinaDay, chinaDayStart } from '../rollup'

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

type AssignLead = { channelId: string; region?: string | null; productInterest?: string | null }

/**
 * Picks the owner of a new lead by the tenant's assignment rules, in order: the first rule whose conditions
 * match, that is inside its working hours and has a member under their daily quota, decides. Round robin
 * takes the next such member after the last one served; weighted takes the member with the lowest share of
 * their quota used today (so capacity 60 gets twice the leads of capacity 30). The rule row is locked while
 * choosing, so concurrent intakes neither double-serve a turn nor overrun a quota. Null = the pool.
 */
export async function pickAssignee(
  ctx: ServiceContext,
  lead: AssignLead,
): Promise<{ userId: string; ruleId: string } | null> {
  const assigner = await createAssigner(ctx)
  const owner = await assigner.pick(lead)
  await assigner.finish()
  return owner
}

/**
 * {@link pickAssignee} for many leads in one transaction (a batch intake): the rules are read once, a rule
 * is locked and its members' usage today counted the first time a lead needs it, and every pick after that
 * is made in memory as if the leads came one after another; `finish` stores the round-robin cursors.
 */
export async function createAssigner(ctx: ServiceContext): Promise<{
  pick(lead: AssignLead): Promise<{ userId: string; ruleId: string } | null>
  finish(): Promise<void>
}> {
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
  /** Leads assigned by a rule today, per member (across rules, like the quota). */
  const used = new Map<string, number>()

  const lock = async (id: string) => {
    const [rule] = await ctx.db
      .select()
      .from(leadAssignmentRules)
      .where(eq(leadAssignmentRules.id, id))
      .for('update')
    if (!rule || rule.members.length === 0) return null
    const ids = rule.members.map((m) => m.userId)
    const fresh = ids.filter((u) => !used.has(u))
    const [active, assigned] = await Promise.all([
      ctx.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids), eq(users.status, 'active'))),
      fresh.length === 0
        ? []
        : ctx.db
            .select({ ownerId: leads.ownerId, n: count() })
            .from(leads)
            .where(
              and(
                eq(leads.tenantId, ctx.tenantId),
                inArray(leads.ownerId, fresh),
                eq(leads.assignedBy, 'rule'),
                gte(leads.assignedAt, chinaDayStart(chinaDay(now))),
              ),
            )
            .groupBy(leads.ownerId),
    ])
    for (const u of fresh) used.set(u, 0)
    for (const a of assigned) used.set(a.ownerId ?? '', a.n)
    return { rule, activeIds: new Set(active.map((a) => a.id)) }
  }

  return rulePicker({
    now,
    candidates: rules,
    matches: ruleMatches,
    lock,
    usage: (userId) => ({ usedToday: used.get(userId) ?? 0 }),
    took: (chosen) => used.set(chosen.member.userId, chosen.usedToday + 1),
    saveCursor: async (rule) => {
      await ctx.db
        .update(leadAssignmentRules)
        .set({ cursor: rule.cursor })
        .where(eq(leadAssignmentRules.id, rule.id))
    },
  })
}
