import { and, asc, eq, inArray } from 'drizzle-orm'
import { lineItems, products } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import type { LineItemInput } from './schemas'

export interface LineItemDto {
  id: string
  productId: string | null
  name: string
  quantity: number
  unitPriceCents: number
  amountCents: number
}

export interface ResolvedItem {
  productId: string | null
  name: string
  quantity: number
  unitPriceCents: number
  amountCents: number
}

/**
 * Checks line items against the tenant's catalogue (unknown or inactive product → 400 naming
 * `items.N.productId`), fills name and unit price from the product, and sums the amount.
 */
export async function resolveLineItems(
  ctx: ServiceContext,
  items: LineItemInput[],
): Promise<{ items: ResolvedItem[]; totalCents: number }> {
  const ids = [...new Set(items.map((i) => i.productId).filter((p): p is string => Boolean(p)))]
  const rows = ids.length
    ? await ctx.db
        .select()
        .from(products)
        .where(and(eq(products.tenantId, ctx.tenantId), inArray(products.id, ids)))
    : []
  const byId = new Map(rows.map((r) => [r.id, r]))
  const out: ResolvedItem[] = items.map((item, i) => {
    const product = item.productId ? byId.get(item.productId) : undefined
    if (item.productId && !product?.active)
      throw new InvalidInputError(`items.${i}.productId`, `no active product ${item.productId}`)
    const name = item.name ?? product?.name
    if (!name) throw new InvalidInputError(`items.${i}.name`, 'a line item needs a product or a name')
    const unitPriceCents = item.unitPriceCents ?? product?.listPriceCents
    if (unitPriceCents === undefined)
      throw new InvalidInputError(`items.${i}.unitPriceCents`, 'a line item without a product needs a price')
    const amountCents = unitPriceCents * item.quantity
    if (!Number.isSafeInteger(amountCents))
      throw new InvalidInputError(`items.${i}.quantity`, 'line amount is too large')
    return { productId: product?.id ?? null, name, quantity: item.quantity, unitPriceCents, amountCents }
  })
  return { items: out, totalCents: out.reduce((s, i) => s + i.amountCents, 0) }
}

/** Replaces the line items of a record. */
export async function writeLineItems(
  ctx: ServiceContext,
  parentType: 'opportunity' | 'contract',
  parentId: string,
  items: ResolvedItem[],
): Promise<void> {
  await ctx.db
    .delete(lineItems)
    .where(
      and(
        eq(lineItems.tenantId, ctx.tenantId),
        eq(lineItems.parentType, parentType),
        eq(lineItems.parentId, parentId),
      ),
    )
  if (items.length === 0) return
  await ctx.db.insert(lineItems).values(
    items.map((i, n) => ({
      id: newId('lit'),
      tenantId: ctx.tenantId,
      parentType,
      parentId,
      ...i,
      sortOrder: n,
    })),
  )
}

export async function loadLineItems(
  ctx: ServiceContext,
  parentType: 'opportunity' | 'contract',
  parentId: string,
): Promise<LineItemDto[]> {
  const rows = await ctx.db
    .select()
    .from(lineItems)
    .where(
      and(
        eq(lineItems.tenantId, ctx.tenantId),
        eq(lineItems.parentType, parentType),
        eq(lineItems.parentId, parentId),
      ),
    )
    .orderBy(asc(lineItems.sortOrder))
  return rows.map((r) => ({
    id: r.id,
    productId: r.productId,
    name: r.name,
    quantity: r.quantity,
    unitPriceCents: r.unitPriceCents,
    amountCents: r.amountCents,
  }))
}
