import { and, eq, or, type SQL } from 'drizzle-orm'
import { customers } from '../../../../db/schema'
import type { ServiceContext } from '../../context'
import { ConflictError } from '../../errors'
import { type CrmAccess, userLabels, visibleCustomers } from '../access'
import { normaliseCompanyName, normalisePhone } from '../search-text'

export interface DuplicateHint {
  matchedOn: Array<'name' | 'creditCode' | 'phone'>
  /** Who to ask: name and department only, never the customer's data. Null when it is in the pool. */
  owner: { name: string; department: string | null } | null
  inPool: boolean
  /** Only when the caller may already see that customer. */
  customerId: string | null
}

/**
 * Looks for an existing customer with the same normalised name, unified social credit code or phone in
 * the whole tenant (not just the caller's scope, or duplicates would slip in), and reveals only who owns it.
 */
export async function findDuplicate(
  ctx: ServiceContext,
  access: CrmAccess,
  input: { name: string; creditCode?: string | null; phone?: string | null },
  excludeId?: string,
): Promise<DuplicateHint | null> {
  const nameNorm = normaliseCompanyName(input.name)
  const phone = input.phone ? normalisePhone(input.phone) : ''
  const conds: SQL[] = [eq(customers.nameNorm, nameNorm)]
  if (input.creditCode) conds.push(eq(customers.creditCode, input.creditCode))
  if (phone.length >= 7) conds.push(eq(customers.phone, phone))
  const rows = await ctx.db
    .select({
      id: customers.id,
      ownerId: customers.ownerId,
      nameNorm: customers.nameNorm,
      creditCode: customers.creditCode,
      phone: customers.phone,
    })
    .from(customers)
    .where(and(eq(customers.tenantId, ctx.tenantId), or(...conds)))
    .limit(5)
  const hit = rows.find((r) => r.id !== excludeId)
  if (!hit) return null
  const matchedOn: DuplicateHint['matchedOn'] = []
  if (hit.nameNorm === nameNorm) matchedOn.push('name')
  if (input.creditCode && hit.creditCode === input.creditCode) matchedOn.push('creditCode')
  if (phone && hit.phone === phone) matchedOn.push('phone')
  const labels = await userLabels(ctx, [hit.ownerId])
  const label = hit.ownerId ? labels.get(hit.ownerId) : undefined
  const [visible] = await ctx.db
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.id, hit.id), visibleCustomers(ctx, access)))
  return {
    matchedOn,
    owner: label ? { name: label.name, department: label.department } : null,
    inPool: hit.ownerId === null,
    customerId: visible ? hit.id : null,
  }
}

export function duplicateError(hint: DuplicateHint): ConflictError {
  const who = hint.inPool
    ? '该客户在公海中，可直接领取 / it is in the pool: claim it'
    : `负责人 ${hint.owner?.name ?? '—'}（${hint.owner?.department ?? '—'}）/ owned by ${hint.owner?.name ?? '—'}`
  return new ConflictError(`客户已存在，${who}`, { reason: 'duplicate', duplicate: hint })
}
