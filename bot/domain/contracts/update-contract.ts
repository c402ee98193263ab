import { and, eq, sql } from 'drizzle-orm'
import { contracts, fieldHistory } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess } from '../crm/access'
import { ConflictError } from '../errors'
import { resolveLineItems, writeLineItems } from '../opportunities/line-items'
import { requireContract } from './access'
import { type ContractDto, toContractDto } from './dto'
import { parseInput, type UpdateContractInput, updateContractInput } from './schemas'

const TRACKED = ['name', 'amountCents', 'discountBp', 'signedDate', 'startDate', 'endDate'] as const

/**
 * Edits a draft contract (field history kept). While the contract is in approval, or once active, an edit
 * is a 409: the approvers decide on what they saw.
 */
export async function updateContract({
  ctx,
  contractId,
  input,
}: {
  ctx: ServiceContext
  contractId: string
  input: UpdateContractInput
}): Promise<ContractDto> {
  const data = parseInput(updateContractInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const current = await requireContract(c, access, contractId, { forUpdate: true })
    if (current.status !== 'draft')
      throw new ConflictError(
        current.status === 'in_approval'
          ? '合同审批中，不能修改 / the contract is in approval and cannot be edited'
          : `合同已${current.status === 'active' ? '生效' : '结束'}，不能修改 / a ${current.status} contract cannot be edited`,
        { field: 'status', status: current.status },
      )
    if (data.version !== undefined && data.version !== current.version)
      throw new ConflictError('contract was changed by someone else; reload and retry', {
        currentVersion: current.version,
      })
    const next: Record<string, unknown> = {}
    for (const k of TRACKED)
      if ((data as Record<string, unknown>)[k] !== undefined) next[k] = (data as Record<string, unknown>)[k]
    if (data.items) {
      const resolved = await resolveLineItems(c, data.items)
      await writeLineItems(c, 'contract', current.id, resolved.items)
      if (data.amountCents === undefined) next.amountCents = resolved.totalCents
    }
    const changes = TRACKED.filter(
      (k) => k in next && JSON.stringify(next[k] ?? null) !== JSON.stringify(current[k] ?? null),
    )
    if (changes.length === 0) return toContractDto(c, current)
    const now = c.clock.now()
    const [row] = await c.db
      .update(contracts)
      .set({
        ...Object.fromEntries(changes.map((k) => [k, next[k] ?? null])),
        version: sql`${contracts.version} + 1`,
        updatedAt: now,
      })
      .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, current.id)))
      .returning()
    if (!row) throw new Error('contract update returned nothing')
    await c.db.insert(fieldHistory).values(
      changes.map((field) => ({
        tenantId: c.tenantId,
        entityType: 'contract',
        entityId: current.id,
        field,
        oldValue: (current[field] ?? null) as never,
        newValue: (next[field] ?? null) as never,
        actorId: actorId(c.actor),
        at: now,
      })),
    )
    await recordAudit(c, {
      action: 'sales.contract.update',
      targetType: 'contract',
      targetId: current.id,
      meta: { fields: changes },
    })
    return toContractDto(c, row)
  })
}
