import { and, desc, eq, ilike, or, type SQL } from 'drizzle-orm'
import { contracts } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { loadCrmAccess } from '../crm/access'
import { visibleContracts } from './access'
import { type ContractDto, selectContractDtos } from './dto'
import { type ListContractsInput, listContractsInput, parseInput } from './schemas'

/** Contracts in the caller's data scope, newest first, with filters. */
export async function listContracts({
  ctx,
  input = {},
}: {
  ctx: ServiceContext
  input?: ListContractsInput
}): Promise<ContractDto[]> {
  const data = parseInput(listContractsInput, input)
  const access = await loadCrmAccess(ctx)
  const conds: SQL[] = [visibleContracts(ctx, access)]
  if (data.status && data.status !== 'all') conds.push(eq(contracts.status, data.status))
  if (data.customerId) conds.push(eq(contracts.customerId, data.customerId))
  if (data.ownerId) conds.push(eq(contracts.ownerId, data.ownerId))
  if (data.q) {
    const like = `%${escapeLike(data.q)}%`
    const m = or(ilike(contracts.name, like), ilike(contracts.number, like))
    if (m) conds.push(m)
  }
  return selectContractDtos(ctx, and(...conds) as SQL, [desc(contracts.createdAt), desc(contracts.id)], {
    limit: data.limit ?? 50,
    offset: data.offset ?? 0,
  })
}
