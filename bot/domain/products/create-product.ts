import { products } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { ConflictError } from '../errors'
import { requirePermission } from '../org/permissions'
import { type ProductDto, toProductDto } from './dto'
import { type ProductInput, parseInput, productInput } from './schemas'

/** Adds a product to the tenant's catalogue (sales admins); a SKU already used is a 409 naming `sku`. */
export async function createProduct({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ProductInput
}): Promise<ProductDto> {
  const data = parseInput(productInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'crm.sales.manage')
    const now = c.clock.now()
    const [row] = await c.db
      .insert(products)
      .values({
        id: newId('prd'),
        tenantId: c.tenantId,
        sku: data.sku,
        name: data.name,
        unit: data.unit ?? '件',
        listPriceCents: data.listPriceCents,
        category: data.category ?? null,
        active: data.active ?? true,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new ConflictError(`SKU ${data.sku} already exists`, { field: 'sku' })
    await recordAudit(c, {
      action: 'sales.product.create',
      targetType: 'product',
      targetId: row.id,
      after: data,
    })
    return toProductDto(row)
  })
}
