import type { ServiceContext } from '../context'
import { type CrmAccess, loadCrmAccess } from '../crm/access'
import { type FieldChange, readFieldHistory } from '../crm/get-field-history'
import { type LineItemDto, loadLineItems } from '../opportunities/line-items'
import { requireContract } from './access'
import { type ContractDto, toContractDto } from './dto'

export interface ContractDetail {
  contract: ContractDto
  items: LineItemDto[]
  history: FieldChange[]
}

/** One contract with its line items and field history; 404 outside the data scope. */
export async function getContract({
  ctx,
  contractId,
  access,
}: {
  ctx: ServiceContext
  contractId: string
  access?: CrmAccess
}): Promise<ContractDetail> {
  const a = access ?? (await loadCrmAccess(ctx))
  const row = await requireContract(ctx, a, contractId)
  const [contract, items, history] = await Promise.all([
    toContractDto(ctx, row),
    loadLineItems(ctx, 'contract', row.id),
    readFieldHistory(ctx, 'contract', row.id, 50),
  ])
  return { contract, items, history }
}
