import { and, eq, inArray } from 'drizzle-orm'
import { customers } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { userLabels } from '../crm/access'
import type { ContractRow } from './access'

export interface ContractDto {
  id: string
  number: string
  name: string
  customer: { id: string; name: string }
  opportunityId: string | null
  owner: { id: string; name: string }
  amountCents: number
  discountBp: number
  status: 'draft' | 'in_approval' | 'active' | 'completed' | 'terminated'
  approvalInstanceId: string | null
  signedDate: string | null
  startDate: string | null
  endDate: string | null
  activatedAt: string | null
  version: number
  createdAt: string
  updatedAt: string
}

export async function toContractDtos(ctx: ServiceContext, rows: ContractRow[]): Promise<ContractDto[]> {
  if (rows.length === 0) return []
  const ids = [...new Set(rows.map((r) => r.customerId))]
  const [custRows, labels] = await Promise.all([
    ctx.db
      .select({ id: customers.id, name: customers.name })
      .from(customers)
      .where(and(eq(customers.tenantId, ctx.tenantId), inArray(customers.id, ids))),
    userLabels(
      ctx,
      rows.map((r) => r.ownerId),
    ),
  ])
  const cust = new Map(custRows.map((c) => [c.id, c.name]))
  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    name: r.name,
    customer: { id: r.customerId, name: cust.get(r.customerId) ?? '' },
    opportunityId: r.opportunityId,
    owner: { id: r.ownerId, name: labels.get(r.ownerId)?.name ?? '' },
    amountCents: r.amountCents,
    discountBp: r.discountBp,
    status: r.status,
    approvalInstanceId: r.approvalInstanceId,
    signedDate: r.signedDate,
    startDate: r.startDate,
    endDate: r.endDate,
    activatedAt: r.activatedAt?.toISOString() ?? null,
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }))
}

export async function toContractDto(ctx: ServiceContext, row: ContractRow): Promise<ContractDto> {
  const [dto] = await toContractDtos(ctx, [row])
  if (!dto) throw new Error('contract dto')
  return dto
}
