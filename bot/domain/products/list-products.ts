import { and, asc, eq, ilike, or, type SQL } from 'drizzle-orm'
import { products } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { type ProductDto, toProductDto } from './dto'
import { type ListProductsInput, listProductsInput, parseInput } from './schemas'

/** The tenant's catalogue (active products by default), by name; everyone in the tenant may read it. */
export async function listProducts({
  ctx,
  input = {},
}: {
  ctx: ServiceContext
  input?: ListProductsInput
}): Promise<ProductDto[]> {
  const data = parseInput(listProductsInput, input)
  const conds: SQL[] = [eq(products.tenantId, ctx.tenantId)]
  if ((data.active ?? 'true') !== 'all') conds.push(eq(products.active, (data.active ?? 'true') === 'true'))
  if (data.category) conds.push(eq(products.category, data.category))
  if (data.q) {
    const like = `%${escapeLike(data.q)}%`
    const match = or(ilike(products.name, like), ilike(products.sku, like))
    if (match) conds.push(match)
  }
  const rows = await ctx.db
    .select()
    .from(products)
    .where(and(...conds))
    .orderBy(asc(products.name), asc(products.sku))
    .limit(data.limit ?? 200)
  return rows.map(toProductDto)
}
