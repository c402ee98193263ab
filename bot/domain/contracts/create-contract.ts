import { contracts, fieldHistory } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess, requireCustomer } from '../crm/access'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError } from '../errors'
import { requireOpportunity } from '../opportunities/access'
import {
  loadLineItems,
  type ResolvedItem,
  resolveLineItems,
  writeLineItems,
} from '../opportunities/line-items'
import { type ContractDto, toContractDto } from './dto'
import { nextNumber } from './number-series'
import { type CreateContractInput, createContractInput, parseInput } from './schemas'

/**
 * Creates a draft contract with the tenant's next number: from a won opportunity (customer, amount and line
 * items copied unless given) or directly for a customer the caller may work on.
 */
export async function createContract({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: CreateContractInput
}): Promise<ContractDto> {
  const data = parseInput(createContractInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const me = actorId(c.actor)
    let customerId: string
    let items: ResolvedItem[] = []
    let amountCents: number | undefined
    if (data.items?.length) {
      const resolved = await resolveLineItems(c, data.items)
      items = resolved.items
      amountCents = resolved.totalCents
    }
    if (data.opportunityId) {
      const opp = await requireOpportunity(c, access, data.opportunityId)
      if (opp.status !== 'won')
        throw new InvalidInputError(
          'opportunityId',
          'opportunityId: 只有赢单的商机可以生成合同 / the opportunity is not won',
        )
      if (data.customerId && data.customerId !== opp.customerId)
        throw new InvalidInputError(
          'customerId',
          'customerId: 与商机的客户不一致 / differs from the opportunity',
        )
      customerId = opp.customerId
      if (!data.items) {
        items = (await loadLineItems(c, 'opportunity', opp.id)).map(({ id: _id, ...rest }) => rest)
        amountCents = opp.amountCents
      }
    } else {
      if (!data.customerId) throw new InvalidInputError('customerId', 'customerId: 必填 / required')
      customerId = (await requireCustomer(c, access, data.customerId, 'write')).id
    }
    if (data.amountCents !== undefined) amountCents = data.amountCents
    if (amountCents === undefined)
      throw new InvalidInputError(
        'amountCents',
        'amountCents: 请填写合同金额或明细 / amount or line items required',
      )
    const ownerId = data.ownerId ?? me
    if (!ownerId) throw new InvalidInputError('ownerId', 'a contract needs an owner')
    if (ownerId !== me && me && !access.canManage)
      throw new ForbiddenError('only managers may create contracts for others')
    await requireTenantUsers(c, [ownerId], 'ownerId')
    const now = c.clock.now()
    const id = newId('ctr')
    const [row] = await c.db
      .insert(contracts)
      .values({
        id,
        tenantId: c.tenantId,
        number: await nextNumber(c, 'HT'),
        name: data.name,
        customerId,
        opportunityId: data.opportunityId ?? null,
        ownerId,
        amountCents,
        discountBp: data.discountBp ?? 0,
        status: 'draft',
        signedDate: data.signedDate ?? null,
        startDate: data.startDate ?? null,
        endDate: data.endDate ?? null,
        createdById: me,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    if (!row) throw new Error('contract insert returned nothing')
    if (items.length) await writeLineItems(c, 'contract', id, items)
    await c.db.insert(fieldHistory).values({
      tenantId: c.tenantId,
      entityType: 'contract',
      entityId: id,
      field: 'status',
      oldValue: null,
      newValue: 'draft',
      actorId: me,
      at: now,
    })
    await recordAudit(c, {
      action: 'sales.contract.create',
      targetType: 'contract',
      targetId: id,
      after: { number: row.number, customerId, amountCents, opportunityId: row.opportunityId },
    })
    return toContractDto(c, row)
  })
}
