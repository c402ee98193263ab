import { and, asc, eq, gt, gte, inArray, sql } from 'drizzle-orm'
import type { ProbabilityFactor } from '../../../db/schema'
import { customers, customerValues, followUps, payments, visits } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess, requireCustomer } from '../crm/access'
import { InvalidInputError } from '../errors'
import { requirePermission } from '../org/permissions'

export type Tier = 'A' | 'B' | 'C' | 'D'

/** Customers per batch of the nightly assessment. */
const BATCH = 250

/** 1-5 points by threshold (first match from the top). */
const points = (v: number, steps: number[]): number => {
  const i = steps.findIndex((s) => v >= s)
  return i === -1 ? 1 : 5 - i
}

/**
 * RFM from 回款 in the last 12 months plus engagement (follow-ups and visits in 90 days), each 1-5 points:
 * R by days since the last payment (≤30, ≤90, ≤180, ≤365), F by payments (≥6, ≥4, ≥2, ≥1), M by amount
 * (≥¥1,000,000, ≥¥500,000, ≥¥100,000, > 0), E by touches (≥10, ≥5, ≥2, ≥1). Score 0-100 =
 * 20 × (0.3R + 0.2F + 0.4M + 0.1E) − 20; tier A ≥ 70, B ≥ 50, C ≥ 30, else D.
 */
export function scoreCustomer(v: {
  recencyDays: number | null
  frequency: number
  monetaryCents: number
  engagement: number
}): {
  score: number
  tier: Tier
  factors: ProbabilityFactor[]
} {
  const rScore =
    v.recencyDays === null
      ? 1
      : v.recencyDays <= 30
        ? 5
        : v.recencyDays <= 90
          ? 4
          : v.recencyDays <= 180
            ? 3
            : v.recencyDays <= 365
              ? 2
              : 1
  const f = v.frequency >= 6 ? 5 : v.frequency >= 4 ? 4 : v.frequency >= 2 ? 3 : v.frequency >= 1 ? 2 : 1
  const m = points(v.monetaryCents, [100_000_000, 50_000_000, 10_000_000, 1])
  const e = points(v.engagement, [10, 5, 2, 1])
  const score = Math.round(20 * (0.3 * rScore + 0.2 * f + 0.4 * m + 0.1 * e)) - 20
  const tier: Tier = score >= 70 ? 'A' : score >= 50 ? 'B' : score >= 30 ? 'C' : 'D'
  return {
    score,
    tier,
    factors: [
      {
        factor: 'R 最近回款',
        value: v.recencyDays === null ? '无' : `${v.recencyDays} 天`,
        factorEn: 'R last payment',
        valueEn: v.recencyDays === null ? 'None' : `${v.recencyDays} days`,
        effect: rScore,
      },
      { factor: 'F 回款次数', value: String(v.frequency), factorEn: 'F payments', effect: f },
      { factor: 'M 回款金额', value: `${v.monetaryCents / 100}`, factorEn: 'M amount received', effect: m },
      { factor: 'E 互动', value: String(v.engagement), factorEn: 'E engagement', effect: e },
    ],
  }
}

/**
 * Recomputes the value tier of customers (all of the tenant's, or the ones named) from their payments and
 * engagement, with set-based aggregates; a manual override is kept. Nightly and after each payment.
 */
export async function assessCustomerValues({
  ctx,
  customerIds,
  batchSize = BATCH,
}: {
  ctx: ServiceContext
  customerIds?: string[]
  /** Customers per batch (tests make it small to cross batch boundaries). */
  batchSize?: number
}): Promise<{ assessed: number }> {
  const now = ctx.clock.now()
  const yearAgo = new Date(now.getTime() - 365 * 86_400_000)
  const quarterAgo = new Date(now.getTime() - 90 * 86_400_000)
  const day = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
  const t = ctx.tenantId
  const only = customerIds?.length ? customerIds : null
  let assessed = 0
  let after = ''
  let offset = 0
  for (;;) {
    // The named customers in slices, or the tenant's customers page by page (keyset on id): never every id
    // in memory at once. Each batch is a page of ids, three aggregates and one upsert, each statement its
    // own short transaction.
    const batch = only
      ? only.slice(offset, offset + batchSize)
      : (
          await ctx.db
            .select({ id: customers.id })
            .from(customers)
            .where(and(eq(customers.tenantId, t), gt(customers.id, after)))
            .orderBy(asc(customers.id))
            .limit(batchSize)
        ).map((r) => r.id)
    offset += batchSize
    if (batch.length === 0) break
    after = batch[batch.length - 1] ?? after
    const [pay, fu, vi] = await Promise.all([
      ctx.db
        .select({
          customerId: payments.customerId,
          last: sql<string>`max(${payments.receivedOn})::text`,
          n: sql<number>`count(*)::int`,
          total: sql<string>`sum(${payments.amountCents})`,
        })
        .from(payments)
        .where(
          and(
            eq(payments.tenantId, t),
            inArray(payments.customerId, batch),
            gte(payments.receivedOn, day(yearAgo)),
          ),
        )
        .groupBy(payments.customerId),
      ctx.db
        .select({ customerId: followUps.customerId, n: sql<number>`count(*)::int` })
        .from(followUps)
        .where(
          and(
            eq(followUps.tenantId, t),
            inArray(followUps.customerId, batch),
            gte(followUps.createdAt, quarterAgo),
          ),
        )
        .groupBy(followUps.customerId),
      ctx.db
        .select({ customerId: visits.customerId, n: sql<number>`count(*)::int` })
        .from(visits)
        .where(
          and(eq(visits.tenantId, t), inArray(visits.customerId, batch), gte(visits.createdAt, quarterAgo)),
        )
        .groupBy(visits.customerId),
    ])
    const payBy = new Map(pay.map((p) => [p.customerId, p]))
    const eng = new Map<string, number>()
    for (const r of [...fu, ...vi]) eng.set(r.customerId, (eng.get(r.customerId) ?? 0) + r.n)
    const today = Date.parse(`${day(now)}T00:00:00Z`)
    const rows = batch.map((customerId) => {
      const p = payBy.get(customerId)
      const v = {
        recencyDays: p ? Math.round((today - Date.parse(`${p.last}T00:00:00Z`)) / 86_400_000) : null,
        frequency: p?.n ?? 0,
        monetaryCents: Number(p?.total ?? 0),
        engagement: eng.get(customerId) ?? 0,
      }
      const s = scoreCustomer(v)
      return {
        tenantId: t,
        customerId,
        ...v,
        score: s.score,
        tier: s.tier,
        factors: s.factors,
        computedAt: now,
      }
    })
    await ctx.db
      .insert(customerValues)
      .values(rows)
      .onConflictDoUpdate({
        target: [customerValues.tenantId, customerValues.customerId],
        set: {
          recencyDays: sql`excluded.recency_days`,
          frequency: sql`excluded.frequency`,
          monetaryCents: sql`excluded.monetary_cents`,
          engagement: sql`excluded.engagement`,
          score: sql`excluded.score`,
          tier: sql`excluded.tier`,
          factors: sql`excluded.factors`,
          computedAt: sql`excluded.computed_at`,
        },
      })
    assessed += rows.length
    if (batch.length < batchSize) break
  }
  return { assessed }
}

/** Sets (or clears, with `tier: null`) a manual tier with a reason; audited. CRM managers only. */
export async function overrideCustomerTier({
  ctx,
  customerId,
  input,
}: {
  ctx: ServiceContext
  customerId: string
  input: { tier: Tier | null; reason?: string }
}): Promise<void> {
  if (input.tier !== null && !['A', 'B', 'C', 'D'].includes(input.tier))
    throw new InvalidInputError('tier', 'tier: A/B/C/D')
  const reason = input.reason?.trim() ?? ''
  if (input.tier !== null && !reason)
    throw new InvalidInputError('reason', 'reason: 请说明调整原因 / a reason is required')
  await withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'crm.manage')
    await requireCustomer(c, await loadCrmAccess(c), customerId)
    await assessCustomerValues({ ctx: c, customerIds: [customerId] })
    const [before] = await c.db
      .update(customerValues)
      .set({ overrideTier: input.tier, overrideReason: input.tier ? reason : null })
      .where(and(eq(customerValues.tenantId, c.tenantId), eq(customerValues.customerId, customerId)))
      .returning()
    await recordAudit(c, {
      action: 'sales.customer_value.override',
      targetType: 'customer',
      targetId: customerId,
      after: { tier: input.tier, reason, computedTier: before?.tier },
    })
  })
}
