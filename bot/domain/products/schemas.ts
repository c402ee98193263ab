import { z } from 'zod'

export { parseInput } from '../crm/schemas'

/** Integer cents, never floats. */
export const centsSchema = z
  .number()
  .int('must be integer cents')
  .nonnegative('must not be negative')
  .max(Number.MAX_SAFE_INTEGER)

const productFields = {
  sku: z
    .string()
    .trim()
    .min(1, 'sku is required')
    .max(64)
    .regex(/^[A-Za-z0-9._\-/]+$/, 'letters, digits and . _ - / only'),
  name: z.string().trim().min(1, 'name is required').max(200),
  unit: z.string().trim().min(1).max(20).optional(),
  listPriceCents: centsSchema,
  category: z.string().trim().max(60).nullish(),
  active: z.boolean().optional(),
}

export const productInput = z.object(productFields)
export type ProductInput = z.input<typeof productInput>

export const updateProductInput = z.object({
  name: productFields.name.optional(),
  unit: productFields.unit,
  listPriceCents: centsSchema.optional(),
  category: productFields.category,
  active: z.boolean().optional(),
})
export type UpdateProductInput = z.input<typeof updateProductInput>

export const listProductsInput = z.object({
  q: z.string().trim().max(100).optional(),
  category: z.string().trim().max(60).optional(),
  active: z.enum(['true', 'false', 'all']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})
export type ListProductsInput = z.input<typeof listProductsInput>

export const upsertProductsInput = z.object({
  products: z.array(productInput).min(1, 'products is empty').max(1000, 'at most 1000 products per call'),
})
export type UpsertProductsInput = z.input<typeof upsertProductsInput>
