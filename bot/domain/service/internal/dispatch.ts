import { and, count, eq, gte, inArray, type SQL, sql } from 'drizzle-orm'
import {
  customers,
  products,
  serviceDispatchRules,
  serviceMemberLoad,
  serviceTickets,
  users,
} from '../../../../db/schema'
import { containsAny, rulePicker } from '../../assignment/engine'
import type { ServiceContext } from '../../context'
import { chinaDay, chinaDayStart } from '../../leads/rollup'

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
  const dispatcher = await createDispatcher(ctx)
  const picked = await dispatcher.pick(facts)
  await dispatcher.finish()
  return picked
}

/**
 * {@link pickEngineer} for many tickets in one transaction (a batch intake): the rules are read once, a rule
 * is locked and its members' tickets assigned today (and open tickets, for least open) counted the first
 * time a ticket needs it, and every pick after that is made in memory as if the tickets came one after
 * another; `finish` stores the round-robin cursors. One rule lock per batch, not per ticket.
 */
export async function createDispatcher(ctx: ServiceContext): Promise<{
  pick(facts: DispatchFacts): Promise<{ userId: string; ruleId: string } | null>
  finish(): Promise<void>
}> {
  const now = ctx.clock.now()
  const rules = await ctx.db
    .select({
      id: serviceDispatchRules.id,
      match: serviceDispatchRules.match,
      workingHours: serviceDispatchRules.workingHours,
    })
    .from(serviceDispatchRules)
    .where(and(eq(serviceDispatchRules.tenantId, ctx.tenantId), eq(serviceDispatchRules.active, true)))
    .orderBy(serviceDispatchRules.position, serviceDispatchRules.createdAt)
  /** Tickets given to a member today, and their open tickets (across rules). */
  const used = new Map<string, number>()
  const load = new Map<string, number>()
  const loaded = new Set<string>()

  const lock = async (id: string) => {
    const [rule] = await ctx.db
      .select()
      .from(serviceDispatchRules)
      .where(eq(serviceDispatchRules.id, id))
      .for('update')
    if (!rule || rule.members.length === 0) return null
    const ids = rule.members.map((m) => m.userId)
    const fresh = ids.filter((u) => !used.has(u))
    const unloaded = rule.method === 'least_open' ? ids.filter((u) => !loaded.has(u)) : []
    const [active, today, open] = await Promise.all([
      ctx.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids), eq(users.status, 'active'))),
      ...memberCounts(ctx, fresh, unloaded),
    ])
    for (const u of fresh) used.set(u, 0)
    for (const u of unloaded) {
      loaded.add(u)
      load.set(u, 0)
    }
    for (const a of today) used.set(a.ownerId ?? '', a.n)
    for (const a of open) load.set(a.ownerId ?? '', a.n)
    return { rule, activeIds: new Set(active.map((a) => a.id)) }
  }

  return rulePicker({
    now,
    candidates: rules,
    matches: dispatchMatches,
    lock,
    usage: (userId) => ({ usedToday: used.get(userId) ?? 0, open: load.get(userId) ?? 0 }),
    took: (chosen) => {
      used.set(chosen.member.userId, chosen.usedToday + 1)
      load.set(chosen.member.userId, (chosen.open ?? 0) + 1)
    },
    saveCursor: async (rule) => {
      await ctx.db
        .update(serviceDispatchRules)
        .set({ cursor: rule.cursor })
        .where(eq(serviceDispatchRules.id, rule.id))
    },
  })
}

/**
 * Tickets given today to each of `todayIds`, and the open tickets of each of `loadIds` (kept by triggers in
 * every writing transaction: a row per member, not a count of their tickets); two statements sent together.
 */
function memberCounts(
  ctx: ServiceContext,
  todayIds: string[],
  loadIds: string[],
): [Promise<Array<{ ownerId: string | null; n: number }>>, Promise<Array<{ ownerId: string; n: number }>>] {
  const now = ctx.clock.now()
  return [
    todayIds.length === 0
      ? Promise.resolve([])
      : ctx.db
          .select({ ownerId: serviceTickets.ownerId, n: count() })
          .from(serviceTickets)
          .where(
            and(
              eq(serviceTickets.tenantId, ctx.tenantId),
              inArray(serviceTickets.ownerId, todayIds),
              gte(serviceTickets.assignedAt, chinaDayStart(chinaDay(now))),
            ),
          )
          .groupBy(serviceTickets.ownerId),
    loadIds.length === 0
      ? Promise.resolve([])
      : ctx.db
          .select({ ownerId: serviceMemberLoad.userId, n: serviceMemberLoad.openCount })
          .from(serviceMemberLoad)
          .where(
            and(eq(serviceMemberLoad.tenantId, ctx.tenantId), inArray(serviceMemberLoad.userId, loadIds)),
          ),
  ]
}

/** The tenant's active dispatch rules, whole, locked in their order (one statement). */
export function lockDispatchRules(ctx: ServiceContext): Promise<DispatchRuleRow[]> {
  return ctx.db
    .select()
    .from(serviceDispatchRules)
    .where(and(eq(serviceDispatchRules.tenantId, ctx.tenantId), eq(serviceDispatchRules.active, true)))
    .orderBy(serviceDispatchRules.position, serviceDispatchRules.createdAt)
    .for('update')
}

export interface Person {
  id: string
  name: string
  departmentId: string | null
  active: boolean
}

/** The user ids of the tenant's active dispatch rules' members (of `least_open` rules only, with `loadOnly`). */
function ruleMembers(ctx: ServiceContext, loadOnly: boolean): SQL {
  return sql`array(select distinct m->>'userId'
    from service_dispatch_rules r cross join lateral jsonb_array_elements(r.members) m
    where r.tenant_id = ${ctx.tenantId} and r.active ${loadOnly ? sql`and r.method = 'least_open'` : sql``})`
}

/**
 * For a batch whose rules {@link lockDispatchRules} is locking: the people (every active rule's member and
 * `others`, with name, department and whether active), each member's tickets given today and open tickets.
 * The members are read from the rules by the statements themselves, so they can be sent in the same round
 * trip as the lock, after it: under READ COMMITTED each statement sees what committed before it started, so a
 * batch that waited for the lock counts what the batch before it wrote. Without `rules` only `others` are read.
 */
export async function loadDispatchFacts(
  ctx: ServiceContext,
  others: string[],
  rules: boolean,
): Promise<{ people: Map<string, Person>; used: Map<string, number>; load: Map<string, number> }> {
  const uniq = [...new Set(others)]
  const now = ctx.clock.now()
  const [people, today, open] = await Promise.all([
    !rules && uniq.length === 0
      ? []
      : ctx.db
          .select({ id: users.id, name: users.name, departmentId: users.departmentId, status: users.status })
          .from(users)
          .where(
            and(
              eq(users.tenantId, ctx.tenantId),
              rules
                ? sql`(${users.id} = any(${ruleMembers(ctx, false)}) or ${users.id} = any(${sql.param(uniq)}::text[]))`
                : inArray(users.id, uniq),
            ),
          ),
    !rules
      ? []
      : ctx.db
          .select({ ownerId: serviceTickets.ownerId, n: count() })
          .from(serviceTickets)
          .where(
            and(
              eq(serviceTickets.tenantId, ctx.tenantId),
              sql`${serviceTickets.ownerId} = any(${ruleMembers(ctx, false)})`,
              gte(serviceTickets.assignedAt, chinaDayStart(chinaDay(now))),
            ),
          )
          .groupBy(serviceTickets.ownerId),
    !rules
      ? []
      : ctx.db
          .select({ ownerId: serviceMemberLoad.userId, n: serviceMemberLoad.openCount })
          .from(serviceMemberLoad)
          .where(
            and(
              eq(serviceMemberLoad.tenantId, ctx.tenantId),
              sql`${serviceMemberLoad.userId} = any(${ruleMembers(ctx, true)})`,
            ),
          ),
  ])
  return {
    people: new Map(
      people.map((p) => [
        p.id,
        { id: p.id, name: p.name, departmentId: p.departmentId, active: p.status === 'active' },
      ]),
    ),
    used: new Map(today.map((a) => [a.ownerId ?? '', a.n])),
    load: new Map(open.map((a) => [a.ownerId ?? '', a.n])),
  }
}

/**
 * The dispatcher of a batch over rules and counts already read ({@link lockDispatchRules},
 * {@link loadDispatchFacts}): every pick is made in memory as if the tickets came one after another, and
 * `cursors` lists the round-robin cursors that moved, for the batch's write to store.
 */
export function preloadedDispatcher(
  ctx: ServiceContext,
  rules: DispatchRuleRow[],
  facts: Awaited<ReturnType<typeof loadDispatchFacts>>,
): {
  pick(f: DispatchFacts): Promise<{ userId: string; ruleId: string } | null>
  cursors(): Promise<Array<{ id: string; cursor: number }>>
} {
  const byId = new Map(rules.map((r) => [r.id, r]))
  const moved = new Map<string, number>()
  const picker = rulePicker({
    now: ctx.clock.now(),
    candidates: rules,
    matches: dispatchMatches,
    lock: async (id) => {
      const rule = byId.get(id)
      if (!rule || rule.members.length === 0) return null
      const activeIds = new Set(rule.members.map((m) => m.userId).filter((u) => facts.people.get(u)?.active))
      return { rule, activeIds }
    },
    usage: (userId) => ({ usedToday: facts.used.get(userId) ?? 0, open: facts.load.get(userId) ?? 0 }),
    took: (chosen) => {
      facts.used.set(chosen.member.userId, chosen.usedToday + 1)
      facts.load.set(chosen.member.userId, (chosen.open ?? 0) + 1)
    },
    saveCursor: async (rule) => {
      moved.set(rule.id, rule.cursor)
    },
  })
  return {
    pick: picker.pick,
    cursors: async () => {
      await picker.finish()
      return [...moved].map(([id, cursor]) => ({ id, cursor }))
    },
  }
}
