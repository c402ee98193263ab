import { and, eq, sql } from 'drizzle-orm'
import { leadAssignmentRules, leadRuleUsage, users } from '../../../../db/schema'
import { containsAny, rulePicker } from '../../assignment/engine'
import type { ServiceContext } from '../../context'
import { chinaDay } from '../rollup'

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
 * {@link pickAssignee} for many leads in one transaction (a batch intake): the tenant's active rules are read
 * and locked, and their members' state and usage today counted, in one round trip (three statements sent
 * together, the counts after the lock); every pick is then made in memory as if the leads came one after
 * another; `finish` stores the round-robin cursors. Sent with the intake's other reads, so a batch spends no
 * round trip of its own on the rules (it was two: the rule lock, then its members' usage).
 */
export async function createAssigner(ctx: ServiceContext): Promise<{
  pick(lead: AssignLead): Promise<{ userId: string; ruleId: string } | null>
  finish(): Promise<void>
}> {
  const now = ctx.clock.now()
  const t = ctx.tenantId
  const day = chinaDay(now)
  // The members of the tenant's active rules (read after the lock: the statements run in order).
  const members = sql`(select m ->> 'userId' from crm_lead_assignment_rules r, jsonb_array_elements(r.members) m
    where r.tenant_id = ${t} and r.active)`
  const [rules, active, assigned] = await Promise.all([
    ctx.db
      .select()
      .from(leadAssignmentRules)
      .where(and(eq(leadAssignmentRules.tenantId, t), eq(leadAssignmentRules.active, true)))
      .orderBy(leadAssignmentRules.position, leadAssignmentRules.createdAt, leadAssignmentRules.id)
      .for('update'),
    ctx.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.tenantId, t), sql`${users.id} in ${members}`, eq(users.status, 'active'))),
    // Leads the rules gave each member today (across rules, like the quota): the day's counter.
    ctx.db
      .select({ userId: leadRuleUsage.userId, n: leadRuleUsage.n })
      .from(leadRuleUsage)
      .where(
        and(
          eq(leadRuleUsage.tenantId, t),
          eq(leadRuleUsage.day, day),
          sql`${leadRuleUsage.userId} in ${members}`,
        ),
      ),
  ])
  const used = new Map<string, number>(assigned.map((a) => [a.userId, a.n]))
  /** Leads given per member by this batch: added to the day's counter by `finish`. */
  const given = new Map<string, number>()
  const activeIds = new Set(active.map((a) => a.id))
  const lock = async (id: string) => {
    const rule = rules.find((r) => r.id === id)
    return !rule || rule.members.length === 0 ? null : { rule, activeIds }
  }

  const picker = rulePicker({
    now,
    candidates: rules,
    matches: ruleMatches,
    lock,
    usage: (userId) => ({ usedToday: used.get(userId) ?? 0 }),
    took: (chosen) => {
      used.set(chosen.member.userId, chosen.usedToday + 1)
      given.set(chosen.member.userId, (given.get(chosen.member.userId) ?? 0) + 1)
    },
    saveCursor: async (rule) => {
      await ctx.db
        .update(leadAssignmentRules)
        .set({ cursor: rule.cursor })
        .where(eq(leadAssignmentRules.id, rule.id))
    },
  })
  return {
    pick: picker.pick,
    // The cursors and the day's counter, sent together.
    finish: async () => {
      const counted =
        given.size === 0
          ? null
          : ctx.db
              .insert(leadRuleUsage)
              .values([...given].map(([userId, n]) => ({ tenantId: t, userId, day, n })))
              .onConflictDoUpdate({
                target: [leadRuleUsage.tenantId, leadRuleUsage.day, leadRuleUsage.userId],
                set: { n: sql`${leadRuleUsage.n} + excluded.n` },
              })
      given.clear()
      await Promise.all([picker.finish(), counted])
    },
  }
}
