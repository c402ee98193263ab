import { and, eq, sql } from 'drizzle-orm'
import { contracts, fieldHistory } from '../../../db/schema'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess } from '../crm/access'
import { InvalidTransitionError } from '../errors'
import { requireContract } from './access'
import { type ContractDto, toContractDto } from './dto'
import { type EndContractInput, endContractInput, parseInput } from './schemas'

/** Ends an active contract as completed or terminated (owner or anyone whose scope covers it). */
export async function endContract({
  ctx,
  contractId,
  input,
}: {
  ctx: ServiceContext
  contractId: string
  input: EndContractInput
}): Promise<ContractDto> {
  const data = parseInput(endContractInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const current = await requireContract(c, access, contractId, { forUpdate: true })
    if (current.status !== 'active')
      throw new InvalidTransitionError(`only an active contract can end; this one is ${current.status}`)
    const now = c.clock.now()
    const [row] = await c.db
      .update(contracts)
      .set({ status: data.outcome, version: sql`${contracts.version} + 1`, updatedAt: now })
      .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, current.id)))
      .returning()
    if (!row) throw new Error('contract update returned nothing')
    await c.db.insert(fieldHistory).values({
      tenantId: c.tenantId,
      entityType: 'contract',
      entityId: current.id,
      field: 'status',
      oldValue: 'active',
      newValue: data.outcome,
      actorId: actorId(c.actor),
      at: now,
    })
    await recordAudit(c, {
      action: `sales.contract.${data.outcome}`,
      targetType: 'contract',
      targetId: current.id,
      meta: data.reason ? { reason: data.reason } : {},
    })
    return toContractDto(c, row)
  })
}
