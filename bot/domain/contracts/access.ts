import { and, eq, type SQL } from 'drizzle-orm'
import { contracts } from '../../../db/schema'
import type { ServiceContext } from '../context'
import type { CrmAccess } from '../crm/access'
import { NotFoundError } from '../errors'
import { scopeFilter } from '../org/data-scope'

export type ContractRow = typeof contracts.$inferSelect

/** Contracts the actor may see: owner within their data scope. */
export function visibleContracts(ctx: ServiceContext, access: CrmAccess): SQL {
  return and(eq(contracts.tenantId, ctx.tenantId), scopeFilter(access, contracts.ownerId)) as SQL
}

/** The contract if the actor may see it; otherwise 404. */
export async function requireContract(
  ctx: ServiceContext,
  access: CrmAccess,
  contractId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ContractRow> {
  const q = ctx.db
    .select()
    .from(contracts)
    .where(and(eq(contracts.id, contractId), visibleContracts(ctx, access)))
  const [row] = options.forUpdate ? await q.for('update', { of: contracts }) : await q
  if (!row) throw new NotFoundError('contract', contractId)
  return row
}
