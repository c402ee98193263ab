import type { products } from '../../../db/schema'

export type ProductRow = typeof products.$inferSelect

export interface ProductDto {
  id: string
  sku: string
  name: string
  unit: string
  listPriceCents: number
  category: string | null
  active: boolean
  updatedAt: string
}

export const toProductDto = (r: ProductRow): ProductDto => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  unit: r.unit,
  listPriceCents: r.listPriceCents,
  category: r.category,
  active: r.active,
  updatedAt: r.updatedAt.toISOString(),
})
