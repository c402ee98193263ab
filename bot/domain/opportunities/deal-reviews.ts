import { and, desc, eq, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { customers, dealReviews, lineItems, opportunities } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { escapeLike } from '../../lib/sql-like'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { type CrmAccess, loadCrmAccess, userLabels } from '../crm/access'
import { ConflictError, InvalidTransitionError } from '../errors'
import { requireOpportunity, visibleOpportunities } from './access'
import {
  type DealReviewInput,
  dealReviewInput,
  type ListDealReviewsInput,
  listDealReviewsInput,
  parseInput,
} from './schemas'

/**
 * 打单经验. Everyone in sales may learn from every review of the tenant; the deal's customer, name and amount
 * show only to those whose data scope covers the deal (others see the industry, products, competitors and
 * the lessons — "某客户").
 */
export interface DealReviewDto {
  id: string
  opportunityId: string
  outcome: 'won' | 'lost'
  whatWorked: string
  lessons: string
  competitors: string[]
  tags: string[]
  industry: string | null
  productIds: string[]
  author: { id: string; name: string }
  version: number
  createdAt: string
  updatedAt: string
  /** The deal, when the reader may see it; null otherwise. */
  deal: { name: string; customerId: string; customerName: string; amountCents: number } | null
}

type ReviewRow = typeof dealReviews.$inferSelect

/** Writes (or rewrites) the review of a closed deal the caller may see; `version` refuses a stale rewrite. */
export async function writeDealReview({
  ctx,
  opportunityId,
  input,
}: {
  ctx: ServiceContext
  opportunityId: string
  input: DealReviewInput
}): Promise<DealReviewDto> {
  const data = parseInput(dealReviewInput, input)
  const id = await withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const opp = await requireOpportunity(c, access, opportunityId, { forUpdate: true })
    if (opp.status === 'open')
      throw new InvalidTransitionError('the deal is still open: close it as won or lost before its review', {
        field: 'opportunityId',
      })
    const [[customer], products, [existing]] = await Promise.all([
      c.db
        .select({ industry: customers.industry })
        .from(customers)
        .where(and(eq(customers.tenantId, c.tenantId), eq(customers.id, opp.customerId))),
      c.db
        .selectDistinct({ productId: lineItems.productId })
        .from(lineItems)
        .where(
          and(
            eq(lineItems.tenantId, c.tenantId),
            eq(lineItems.parentType, 'opportunity'),
            eq(lineItems.parentId, opp.id),
            sql`${lineItems.productId} is not null`,
          ),
        ),
      c.db
        .select()
        .from(dealReviews)
        .where(and(eq(dealReviews.tenantId, c.tenantId), eq(dealReviews.opportunityId, opp.id))),
    ])
    if (existing && data.version !== undefined && data.version !== existing.version)
      throw new ConflictError('the review was changed by someone else; reload and retry', {
        currentVersion: existing.version,
      })
    const values = {
      outcome: opp.status,
      whatWorked: data.whatWorked ?? '',
      lessons: data.lessons ?? '',
      competitors: dedupe(data.competitors ?? opp.competitors),
      tags: dedupe(data.tags ?? []),
      industry: customer?.industry ?? null,
      productIds: products.map((p) => p.productId).filter((p): p is string => Boolean(p)),
      amountCents: opp.amountCents,
      authorId: actorId(c.actor) ?? 'system',
    }
    const [row] = existing
      ? await c.db
          .update(dealReviews)
          .set({ ...values, version: existing.version + 1, updatedAt: c.clock.now() })
          .where(and(eq(dealReviews.tenantId, c.tenantId), eq(dealReviews.id, existing.id)))
          .returning()
      : await c.db
          .insert(dealReviews)
          .values({
            id: newId('drv', c.clock.now().getTime()),
            tenantId: c.tenantId,
            opportunityId: opp.id,
            ...values,
          })
          .returning()
    if (!row) throw new Error('deal review not written')
    await recordAudit(c, {
      action: existing ? 'deal_review.update' : 'deal_review.create',
      targetType: 'opportunity',
      targetId: opp.id,
      ...(existing ? { before: reviewFacts(existing) } : {}),
      after: reviewFacts(row),
    })
    return row.id
  })
  const [dto] = await readReviews(ctx, await loadCrmAccess(ctx), eq(dealReviews.id, id), 1, 0)
  if (!dto) throw new Error('deal review not readable after writing')
  return dto
}

/** The review of one deal the caller may see, or null when none is written yet (404 outside scope). */
export async function getDealReview({
  ctx,
  opportunityId,
}: {
  ctx: ServiceContext
  opportunityId: string
}): Promise<DealReviewDto | null> {
  const access = await loadCrmAccess(ctx)
  const opp = await requireOpportunity(ctx, access, opportunityId)
  const [dto] = await readReviews(ctx, access, eq(dealReviews.opportunityId, opp.id), 1, 0)
  return dto ?? null
}

/** Reviews of the tenant, newest first, searchable by outcome, industry, product, competitor, tag and words. */
export async function listDealReviews({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ListDealReviewsInput
}): Promise<DealReviewDto[]> {
  const f = parseInput(listDealReviewsInput, input)
  const access = await loadCrmAccess(ctx)
  const where: SQL[] = []
  if (f.outcome && f.outcome !== 'all') where.push(eq(dealReviews.outcome, f.outcome))
  if (f.industry) where.push(eq(dealReviews.industry, f.industry))
  if (f.productId) where.push(sql`${dealReviews.productIds} @> ${JSON.stringify([f.productId])}::jsonb`)
  if (f.competitor) where.push(sql`${dealReviews.competitors} @> ${JSON.stringify([f.competitor])}::jsonb`)
  if (f.tag) where.push(sql`${dealReviews.tags} @> ${JSON.stringify([f.tag])}::jsonb`)
  if (f.q) {
    const like = `%${escapeLike(f.q)}%`
    where.push(sql`(${dealReviews.whatWorked} ilike ${like} or ${dealReviews.lessons} ilike ${like})`)
  }
  return readReviews(ctx, access, and(...where) ?? sql`true`, f.limit ?? 20, f.offset ?? 0)
}

export interface SimilarWonDeal extends DealReviewDto {
  /** Why it is similar: the facts it shares with the open deal. */
  shared: { industry: boolean; products: number; competitors: string[] }
}

/**
 * Won deals like an open one, for its owner to learn from: same industry (3 points), each shared product
 * (2) and competitor (2), ties broken by recency; at most `limit`, only reviews that share something.
 */
export async function similarWonDeals({
  ctx,
  opportunityId,
  limit = 5,
}: {
  ctx: ServiceContext
  opportunityId: string
  limit?: number
}): Promise<SimilarWonDeal[]> {
  const access = await loadCrmAccess(ctx)
  const opp = await requireOpportunity(ctx, access, opportunityId)
  const [[customer], products] = await Promise.all([
    ctx.db
      .select({ industry: customers.industry })
      .from(customers)
      .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, opp.customerId))),
    ctx.db
      .selectDistinct({ productId: lineItems.productId })
      .from(lineItems)
      .where(
        and(
          eq(lineItems.tenantId, ctx.tenantId),
          eq(lineItems.parentType, 'opportunity'),
          eq(lineItems.parentId, opp.id),
          sql`${lineItems.productId} is not null`,
        ),
      ),
  ])
  const industry = customer?.industry ?? null
  const productIds = products.map((p) => p.productId).filter((p): p is string => Boolean(p))
  const competitors = opp.competitors
  const overlap = (column: AnyPgColumn, values: string[]) =>
    values.length === 0
      ? sql`0`
      : sql`(select count(*) from jsonb_array_elements_text(${column}) v where v.value = any(${sql.param(values)}::text[]))`
  const score = sql<number>`(case when ${industry}::text is not null and ${dealReviews.industry} = ${industry}::text then 3 else 0 end
    + 2 * ${overlap(dealReviews.productIds, productIds)} + 2 * ${overlap(dealReviews.competitors, competitors)})::int`
  const ranked = await ctx.db
    .select({ id: dealReviews.id, score })
    .from(dealReviews)
    .where(
      and(
        eq(dealReviews.tenantId, ctx.tenantId),
        eq(dealReviews.outcome, 'won'),
        sql`${dealReviews.opportunityId} <> ${opp.id}`,
        sql`${score} > 0`,
      ),
    )
    .orderBy(desc(score), desc(dealReviews.updatedAt))
    .limit(Math.min(20, Math.max(1, limit)))
  if (ranked.length === 0) return []
  const ids = ranked.map((r) => r.id)
  const dtos = await readReviews(
    ctx,
    access,
    sql`${dealReviews.id} = any(${sql.param(ids)}::text[])`,
    ids.length,
    0,
  )
  const byId = new Map(dtos.map((d) => [d.id, d]))
  return ids.flatMap((rid) => {
    const d = byId.get(rid)
    if (!d) return []
    return [
      {
        ...d,
        shared: {
          industry: industry !== null && d.industry === industry,
          products: d.productIds.filter((p) => productIds.includes(p)).length,
          competitors: d.competitors.filter((x) => competitors.includes(x)),
        },
      },
    ]
  })
}

async function readReviews(
  ctx: ServiceContext,
  access: CrmAccess,
  filter: SQL,
  limit: number,
  offset: number,
): Promise<DealReviewDto[]> {
  const visible = sql<boolean>`(${visibleOpportunities(ctx, access)})`
  const rows = await ctx.db
    .select({
      review: dealReviews,
      visible,
      dealName: opportunities.name,
      customerId: opportunities.customerId,
      customerName: customers.name,
    })
    .from(dealReviews)
    .innerJoin(
      opportunities,
      and(eq(opportunities.tenantId, dealReviews.tenantId), eq(opportunities.id, dealReviews.opportunityId)),
    )
    .innerJoin(
      customers,
      and(eq(customers.tenantId, opportunities.tenantId), eq(customers.id, opportunities.customerId)),
    )
    .where(and(eq(dealReviews.tenantId, ctx.tenantId), filter))
    .orderBy(desc(dealReviews.updatedAt), desc(dealReviews.id))
    .limit(limit)
    .offset(offset)
  const names = await userLabels(
    ctx,
    rows.map((r) => r.review.authorId),
  )
  return rows.map(({ review: r, visible: canSee, dealName, customerId, customerName }) => ({
    id: r.id,
    opportunityId: r.opportunityId,
    outcome: r.outcome,
    whatWorked: r.whatWorked,
    lessons: r.lessons,
    competitors: r.competitors,
    tags: r.tags,
    industry: r.industry,
    productIds: r.productIds,
    author: { id: r.authorId, name: names.get(r.authorId)?.name ?? r.authorId },
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    deal: canSee ? { name: dealName, customerId, customerName, amountCents: r.amountCents } : null,
  }))
}

function reviewFacts(r: ReviewRow) {
  return { outcome: r.outcome, competitors: r.competitors, tags: r.tags, version: r.version }
}

function dedupe(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter(Boolean))]
}
