import { and, eq, sql } from 'drizzle-orm'
import type { ProbabilityFactor } from '../../../db/schema'
import { customers, customerValues, followUps, payments, visits } from '../../../db/schema'
import { resultRows } from '../../lib/sql-rows'
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
  const only = customerIds?.length ? [...new Set(customerIds)] : null
  let assessed = 0
  let after = ''
  let offset = 0
  for (;;) {
    // The named customers in slices, or the tenant's customers page by page (keyset on id): never every id
    // in memory at once. One statement per page, its own short transaction: the page, its aggregates, the
    // scores (`scoreCustomer` in SQL) and the upsert.
    const page = only
      ? sql`select distinct jsonb_array_elements_text(${JSON.stringify(only.slice(offset, offset + batchSize))}::jsonb) as id`
      : sql`select ${customers.id} as id from ${customers} where ${customers.tenantId} = ${t}
          and ${customers.id} > ${after} order by ${customers.id} limit ${batchSize}`
    offset += batchSize
    if (only && offset - batchSize >= only.length) break
    const [res] = resultRows<{ n: number; last: string | null }>(
      await ctx.db.execute(sql`
        with page as materialized (${page}),
        pay as (
          select customer_id, max(received_on) as last, count(*)::int as n, sum(amount_cents) as total
          from ${payments} where tenant_id = ${t} and customer_id = any(array(select id from page))
            and received_on >= ${day(yearAgo)}::date
          group by customer_id),
        touch as (
          select customer_id, count(*)::int as n from ${followUps}
          where tenant_id = ${t} and customer_id = any(array(select id from page)) and created_at >= ${quarterAgo.toISOString()}::timestamptz
          group by customer_id
          union all
          select customer_id, count(*)::int from ${visits}
          where tenant_id = ${t} and customer_id = any(array(select id from page)) and created_at >= ${quarterAgo.toISOString()}::timestamptz
          group by customer_id),
        v as materialized (
          select p.id, ${day(now)}::date - pay.last as recency, coalesce(pay.n, 0) as frequency,
            coalesce(pay.total, 0)::bigint as monetary,
            coalesce(eng.n, 0)::int as engagement
          from page p left join pay on pay.customer_id = p.id
            left join (select customer_id, sum(n) as n from touch group by customer_id) eng on eng.customer_id = p.id),
        pts as (
          select v.*,
            case when recency is null then 1 when recency <= 30 then 5 when recency <= 90 then 4
              when recency <= 180 then 3 when recency <= 365 then 2 else 1 end as r,
            case when frequency >= 6 then 5 when frequency >= 4 then 4 when frequency >= 2 then 3
              when frequency >= 1 then 2 else 1 end as f,
            case when monetary >= 100000000 then 5 when monetary >= 50000000 then 4
              when monetary >= 10000000 then 3 when monetary >= 1 then 2 else 1 end as m,
            case when engagement >= 10 then 5 when engagement >= 5 then 4 when engagement >= 2 then 3
              when engagement >= 1 then 2 else 1 end as e
          from v),
        scored as (
          select pts.*, 2 * (3 * r + 2 * f + 4 * m + e) - 20 as score from pts),
        ins as (
          insert into ${customerValues} (tenant_id, customer_id, recency_days, frequency, monetary_cents,
            engagement, score, tier, factors, computed_at)
          select ${t}, id, recency, frequency, monetary, engagement, score,
            case when score >= 70 then 'A' when score >= 50 then 'B' when score >= 30 then 'C' else 'D' end,
            jsonb_build_array(
              jsonb_build_object('factor', 'R 最近回款',
                'value', case when recency is null then '无' else recency || ' 天' end,
                'factorEn', 'R last payment',
                'valueEn', case when recency is null then 'None' else recency || ' days' end, 'effect', r),
              jsonb_build_object('factor', 'F 回款次数', 'value', frequency::text, 'factorEn', 'F payments',
                'effect', f),
              jsonb_build_object('factor', 'M 回款金额', 'value', trim_scale(monetary / 100.0)::text,
                'factorEn', 'M amount received', 'effect', m),
              jsonb_build_object('factor', 'E 互动', 'value', engagement::text, 'factorEn', 'E engagement',
                'effect', e)),
            ${now.toISOString()}::timestamptz
          from scored
          on conflict (tenant_id, customer_id) do update set recency_days = excluded.recency_days,
            frequency = excluded.frequency, monetary_cents = excluded.monetary_cents,
            engagement = excluded.engagement, score = excluded.score, tier = excluded.tier,
            factors = excluded.factors, computed_at = excluded.computed_at
          returning 1)
        select (select count(*)::int from ins) as n, (select max(id) from page) as last`),
    )
    const n = res?.n ?? 0
    assessed += n
    if (!only) {
      if (n === 0 || !res?.last) break
      after = res.last
      if (n < batchSize) break
    }
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
