import { sql } from 'drizzle-orm'
import { products } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { parseInput, type UpsertProductsInput, upsertProductsInput } from './schemas'

/**
 * Bulk upsert keyed by SKU, as an ERP pushes its catalogue: new SKUs are inserted, known ones updated.
 * Repeating the same call changes nothing (idempotent by construction). All or nothing.
 */
export async function upsertProducts({
  ctx,
  input,
  systemId,
}: {
  ctx: ServiceContext
  input: UpsertProductsInput
  systemId?: string
}): Promise<{ inserted: number; updated: number }> {
  const data = parseInput(upsertProductsInput, input)
  const seen = new Set<string>()
  data.products.forEach((p, i) => {
    if (seen.has(p.sku)) throw new InvalidInputError(`products.${i}.sku`, `SKU ${p.sku} appears twice`)
    seen.add(p.sku)
  })
  return withTransaction(ctx, async (_tx, c) => {
    const now = c.clock.now()
    const rows = await c.db
      .insert(products)
      .values(
        data.products.map((p) => ({
          id: newId('prd'),
          tenantId: c.tenantId,
          sku: p.sku,
          name: p.name,
          unit: p.unit ?? '件',
          listPriceCents: p.listPriceCents,
          category: p.category ?? null,
          active: p.active ?? true,
          externalSystemId: systemId ?? null,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflictDoUpdate({
        target: [products.tenantId, products.sku],
        set: {
          name: sql`excluded.name`,
          unit: sql`excluded.unit`,
          listPriceCents: sql`excluded.list_price_cents`,
          category: sql`excluded.category`,
          active: sql`excluded.active`,
          externalSystemId: sql`excluded.external_system_id`,
          updatedAt: now,
        },
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` })
    const inserted = rows.filter((r) => r.inserted).length
    await recordAudit(c, {
      action: 'sales.product.upsert',
      targetType: 'product',
      targetId: systemId ?? 'bulk',
      meta: { count: rows.length, inserted },
    })
    return { inserted, updated: rows.length - inserted }
  })
}
