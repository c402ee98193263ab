import { and, eq } from 'drizzle-orm'
import { customFieldDefs } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { InvalidInputError } from '../errors'

export type CustomFieldDef = typeof customFieldDefs.$inferSelect

export async function loadCustomFieldDefs(ctx: ServiceContext): Promise<CustomFieldDef[]> {
  return ctx.db.select().from(customFieldDefs).where(eq(customFieldDefs.tenantId, ctx.tenantId))
}

/**
 * Checks custom field values against the tenant's typed definitions: unknown keys, wrong types, options
 * not offered and missing required values are 400s naming `customFields.<key>`. `partial` skips the
 * required check for keys not being changed.
 */
export function validateCustomFields(
  defs: CustomFieldDef[],
  values: Record<string, unknown>,
  partial = false,
): Record<string, unknown> {
  const byKey = new Map(defs.map((d) => [d.key, d]))
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(values)) {
    const def = byKey.get(key)
    const field = `customFields.${key}`
    if (!def) throw new InvalidInputError(field, `no custom field ${key} is defined`)
    if (value === null || value === undefined || value === '') {
      if (def.required) throw new InvalidInputError(field, `${def.label} is required`)
      continue
    }
    out[key] = coerce(def, value, field)
  }
  if (!partial) {
    for (const def of defs) {
      if (def.required && out[def.key] === undefined)
        throw new InvalidInputError(`customFields.${def.key}`, `${def.label} is required`)
    }
  }
  return out
}

function coerce(def: CustomFieldDef, value: unknown, field: string): unknown {
  switch (def.type) {
    case 'text':
      if (typeof value !== 'string' || value.length > 2000)
        throw new InvalidInputError(field, 'must be text (max 2000)')
      return value
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new InvalidInputError(field, 'must be a number')
      return n
    }
    case 'date':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
        throw new InvalidInputError(field, 'must be a date YYYY-MM-DD')
      return value
    case 'boolean':
      if (typeof value === 'boolean') return value
      if (value === 'true' || value === '是') return true
      if (value === 'false' || value === '否') return false
      throw new InvalidInputError(field, 'must be true or false')
    case 'select':
      if (typeof value !== 'string' || !def.options.includes(value))
        throw new InvalidInputError(field, `must be one of ${def.options.join(', ')}`)
      return value
    case 'multiselect': {
      const list = typeof value === 'string' ? value.split(/[;；,，]/).map((s) => s.trim()) : value
      if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || !def.options.includes(v)))
        throw new InvalidInputError(field, `must be a list of ${def.options.join(', ')}`)
      return list
    }
  }
}

export async function requireCustomFields(
  ctx: ServiceContext,
  values: Record<string, unknown> | undefined,
  partial = false,
): Promise<Record<string, unknown>> {
  const defs = await loadCustomFieldDefs(ctx)
  if (defs.length === 0 && (!values || Object.keys(values).length === 0)) return {}
  return validateCustomFields(defs, values ?? {}, partial)
}

export const customFieldKeyTaken = (ctx: ServiceContext, key: string) =>
  ctx.db
    .select({ id: customFieldDefs.id })
    .from(customFieldDefs)
    .where(and(eq(customFieldDefs.tenantId, ctx.tenantId), eq(customFieldDefs.key, key)))
