import { and, eq, inArray } from 'drizzle-orm'
import { customerCollaborators, customers, fieldHistory, users } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidInputError } from '../errors'
import { loadCrmAccess, userLabels } from './access'
import { requireCustomFields } from './custom-fields'
import { type CustomerDto, isUniqueViolation, toCustomerDto } from './dto'
import { duplicateError, findDuplicate } from './internal/find-duplicates'
import { checkPoint } from './internal/geo'
import { normaliseRegion } from './regions'
import { loadRules, reclaimDue } from './rules'
import { type CreateCustomerInput, createCustomerInput, parseInput } from './schemas'
import { buildSearch, normaliseCompanyName, normalisePhone } from './search-text'

/** Users of the tenant among `ids`, or a 400 naming `field`. */
export async function requireTenantUsers(ctx: ServiceContext, ids: string[], field: string): Promise<void> {
  if (ids.length === 0) return
  const rows = await ctx.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids), eq(users.status, 'active')))
  const found = new Set(rows.map((r) => r.id))
  const missing = ids.find((i) => !found.has(i))
  if (missing) throw new InvalidInputError(field, `no active user ${missing} in this tenant`)
}

/**
 * Creates a customer owned by the creator (managers may name another owner, or `null` for the pool).
 * A duplicate (same normalised name, credit code or phone anywhere in the tenant) is a 409 that says who
 * owns it and nothing else.
 */
export async function createCustomer({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CreateCustomerInput
}): Promise<CustomerDto> {
  const data = parseInput(createCustomerInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    const me = actorId(txCtx.actor)
    let ownerId: string | null = me
    if (data.ownerId !== undefined && data.ownerId !== me) {
      if (!access.canManage) throw new ForbiddenError('only managers may create customers for others')
      ownerId = data.ownerId
    }
    if (ownerId) await requireTenantUsers(txCtx, [ownerId], 'ownerId')
    const collaboratorIds = [...new Set(data.collaboratorIds ?? [])].filter((c) => c !== ownerId)
    await requireTenantUsers(txCtx, collaboratorIds, 'collaboratorIds')
    const region = normaliseRegion(data)
    checkPoint(data.lat, data.lng)
    const customFields = await requireCustomFields(txCtx, data.customFields)
    const phone = data.phone ? normalisePhone(data.phone) || null : null
    const dup = await findDuplicate(txCtx, access, { name: data.name, creditCode: data.creditCode, phone })
    if (dup) throw duplicateError(dup)
    const now = txCtx.clock.now()
    const rules = await loadRules(txCtx.db, txCtx.tenantId)
    const id = newId('cus')
    const row = {
      id,
      tenantId: txCtx.tenantId,
      name: data.name,
      shortName: data.shortName ?? null,
      nameNorm: normaliseCompanyName(data.name),
      creditCode: data.creditCode ?? null,
      phone,
      industry: data.industry ?? null,
      scale: data.scale ?? null,
      tier: data.tier ?? null,
      tags: data.tags ?? [],
      ...region,
      address: data.address ?? null,
      lat: data.lat ?? null,
      lng: data.lng ?? null,
      source: data.source ?? null,
      customFields,
      ownerId,
      ownedSince: ownerId ? now : null,
      reclaimDueAt: ownerId ? reclaimDue(rules, now, false) : null,
      ...buildSearch({ name: data.name, shortName: data.shortName, phones: [phone] }),
      createdById: me,
      createdAt: now,
      updatedAt: now,
    }
    let inserted: typeof customers.$inferSelect | undefined
    try {
      ;[inserted] = await txCtx.db.transaction(async (sp) => sp.insert(customers).values(row).returning())
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      const again = await findDuplicate(txCtx, access, {
        name: data.name,
        creditCode: data.creditCode,
        phone,
      })
      if (again) throw duplicateError(again)
      throw err
    }
    if (!inserted) throw new Error('customer insert returned nothing')
    if (collaboratorIds.length > 0) {
      await txCtx.db
        .insert(customerCollaborators)
        .values(collaboratorIds.map((userId) => ({ tenantId: txCtx.tenantId, customerId: id, userId })))
    }
    await txCtx.db.insert(fieldHistory).values({
      tenantId: txCtx.tenantId,
      entityType: 'customer',
      entityId: id,
      field: 'ownerId',
      oldValue: null,
      newValue: ownerId,
      actorId: me,
      at: now,
    })
    await recordAudit(txCtx, {
      action: 'crm.customer.create',
      targetType: 'customer',
      targetId: id,
      after: { name: data.name, ownerId },
    })
    return toCustomerDto(inserted, await userLabels(txCtx, [ownerId]))
  })
}
