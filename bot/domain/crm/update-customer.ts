import { and, eq, sql } from 'drizzle-orm'
import { customerCollaborators, customers, fieldHistory } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ConflictError } from '../errors'
import { loadCrmAccess, requireCustomer, userLabels } from './access'
import { requireTenantUsers } from './create-customer'
import { requireCustomFields } from './custom-fields'
import { type CustomerDto, isUniqueViolation, toCustomerDto } from './dto'
import { duplicateError, findDuplicate } from './internal/find-duplicates'
import { checkPoint } from './internal/geo'
import { refreshSearch } from './internal/refresh-search'
import { normaliseRegion } from './regions'
import { parseInput, type UpdateCustomerInput, updateCustomerInput } from './schemas'
import { normaliseCompanyName, normalisePhone } from './search-text'

const TRACKED = [
  'name',
  'shortName',
  'creditCode',
  'phone',
  'industry',
  'scale',
  'tier',
  'tags',
  'provinceCode',
  'cityCode',
  'districtCode',
  'address',
  'lat',
  'lng',
  'source',
  'customFields',
] as const
type Tracked = (typeof TRACKED)[number]

/**
 * Edits a customer the caller may work on; every changed field is written to the field history in the
 * same transaction. `version` (optional) refuses an edit based on a stale copy.
 */
export async function updateCustomer({
  ctx,
  customerId,
  input,
}: {
  ctx: ServiceContext
  customerId: string
  input: UpdateCustomerInput
}): Promise<CustomerDto> {
  const data = parseInput(updateCustomerInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    const current = await requireCustomer(txCtx, access, customerId, 'write', { forUpdate: true })
    if (data.version !== undefined && data.version !== current.version)
      throw new ConflictError('customer was changed by someone else; reload and retry', {
        currentVersion: current.version,
      })
    const next: Partial<Record<Tracked, unknown>> = {}
    for (const key of TRACKED) {
      if (data[key] !== undefined) next[key] = data[key]
    }
    if (next.phone !== undefined) next.phone = next.phone ? normalisePhone(String(next.phone)) || null : null
    if ('provinceCode' in next || 'cityCode' in next || 'districtCode' in next) {
      const merged = {
        provinceCode: (next.provinceCode as string | null | undefined) ?? null,
        cityCode: (next.cityCode as string | null | undefined) ?? null,
        districtCode: (next.districtCode as string | null | undefined) ?? null,
      }
      // Changing a lower level alone keeps the upper levels only if they still contain it.
      if (!('provinceCode' in next) && !merged.cityCode && !merged.districtCode)
        merged.provinceCode = current.provinceCode
      Object.assign(next, normaliseRegion(merged))
    }
    if ('lat' in next || 'lng' in next) {
      checkPoint(
        'lat' in next ? (next.lat as number | null) : current.lat === null ? null : Number(current.lat),
        'lng' in next ? (next.lng as number | null) : current.lng === null ? null : Number(current.lng),
      )
    }
    if (data.customFields !== undefined) {
      const changed = await requireCustomFields(txCtx, data.customFields, true)
      const mergedFields = { ...current.customFields, ...changed }
      for (const [k, v] of Object.entries(data.customFields))
        if (v === null || v === '') delete mergedFields[k]
      next.customFields = mergedFields
    }
    const changes = TRACKED.filter(
      (k) => k in next && JSON.stringify(next[k] ?? null) !== JSON.stringify(normalised(current[k])),
    )
    if (changes.includes('name') || changes.includes('creditCode') || changes.includes('phone')) {
      const dup = await findDuplicate(
        txCtx,
        access,
        {
          name: (next.name as string | undefined) ?? current.name,
          creditCode: changes.includes('creditCode') ? (next.creditCode as string | null) : null,
          phone: changes.includes('phone') ? (next.phone as string | null) : null,
        },
        current.id,
      )
      if (dup) throw duplicateError(dup)
    }
    const collaboratorIds = data.collaboratorIds
      ? [...new Set(data.collaboratorIds)].filter((c) => c !== current.ownerId)
      : null
    if (collaboratorIds) await requireTenantUsers(txCtx, collaboratorIds, 'collaboratorIds')
    if (changes.length === 0 && !collaboratorIds)
      return toCustomerDto(current, await userLabels(txCtx, [current.ownerId]))
    const now = txCtx.clock.now()
    const set: Record<string, unknown> = Object.fromEntries(changes.map((k) => [k, next[k] ?? null]))
    if (changes.includes('name')) set.nameNorm = normaliseCompanyName(String(next.name))
    try {
      await txCtx.db.transaction(async (sp) =>
        sp
          .update(customers)
          .set({ ...set, version: sql`${customers.version} + 1`, updatedAt: now })
          .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.id, current.id))),
      )
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError('another customer already has this name or credit code')
      throw err
    }
    if (changes.length > 0) {
      await txCtx.db.insert(fieldHistory).values(
        changes.map((field) => ({
          tenantId: txCtx.tenantId,
          entityType: 'customer',
          entityId: current.id,
          field,
          oldValue: normalised(current[field]) as never,
          newValue: (next[field] ?? null) as never,
          actorId: actorId(txCtx.actor),
          at: now,
        })),
      )
    }
    if (collaboratorIds) {
      await txCtx.db
        .delete(customerCollaborators)
        .where(
          and(
            eq(customerCollaborators.tenantId, txCtx.tenantId),
            eq(customerCollaborators.customerId, current.id),
          ),
        )
      if (collaboratorIds.length > 0)
        await txCtx.db
          .insert(customerCollaborators)
          .values(
            collaboratorIds.map((userId) => ({ tenantId: txCtx.tenantId, customerId: current.id, userId })),
          )
    }
    if (changes.some((c) => c === 'name' || c === 'shortName' || c === 'phone'))
      await refreshSearch(txCtx, current.id)
    await recordAudit(txCtx, {
      action: 'crm.customer.update',
      targetType: 'customer',
      targetId: current.id,
      meta: { fields: changes },
    })
    const updated = await requireCustomer(txCtx, access, current.id, 'read')
    return toCustomerDto(updated, await userLabels(txCtx, [updated.ownerId]))
  })
}

const normalised = (v: unknown): unknown =>
  v === undefined ? null : typeof v === 'string' && /^-?\d+\.\d+$/.test(v) ? Number(v) : v
