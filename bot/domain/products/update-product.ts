import { and, eq } from 'drizzle-orm'
import { products } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { type ServiceContext, withTransaction } from '../context'
import { NotFoundError } from '../errors'
import { requirePermission } from '../org/permissions'
import { type ProductDto, toProductDto } from './dto'
import { parseInput, type UpdateProductInput, updateProductInput } from './schemas'

/** Edits a product (sales admins); deactivating keeps it on existing deals but hides it from pickers. */
export async function updateProduct({
  ctx,
  productId,
  input,
}: {
  ctx: ServiceContext
  productId: string
  input: UpdateProductInput
}): Promise<ProductDto> {
  const data = parseInput(updateProductInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    await requirePermission(c, 'crm.sales.manage')
    const set = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined))
    const [row] = await c.db
      .update(products)
      .set({ ...set, updatedAt: c.clock.now() })
      .where(and(eq(products.tenantId, c.tenantId), eq(products.id, productId)))
      .returning()
    if (!row) throw new NotFoundError('product', productId)
    await recordAudit(c, {
      action: 'sales.product.update',
      targetType: 'product',
      targetId: row.id,
      after: set,
    })
    return toProductDto(row)
  })
}
