import { and, eq, inArray, type SQL } from 'drizzle-orm'
import { contracts, customers, users } from '../../../db/schema'
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
  return rows.map((r) => dtoOf(r, cust.get(r.customerId) ?? '', labels.get(r.ownerId)?.name ?? ''))
}

/** Contracts as DTOs in one statement (customer and owner names joined in). `where` scopes by tenant. */
export async function selectContractDtos(
  ctx: ServiceContext,
  where: SQL,
  order: SQL[],
  page: { limit: number; offset?: number },
): Promise<ContractDto[]> {
  return contractDtosOf(await contractDtoQuery(ctx, where, order, page))
}

/** The statement of `selectContractDtos`, to run (or prepare once and reuse, `cachedStatement`). */
export function contractDtoQuery(
  ctx: ServiceContext,
  where: SQL,
  order: SQL[],
  page: { limit: number; offset?: number },
) {
  const t = ctx.tenantId
  return ctx.db
    .select({ c: contracts, customerName: customers.name, ownerName: users.name })
    .from(contracts)
    .leftJoin(customers, and(eq(customers.tenantId, t), eq(customers.id, contracts.customerId)))
    .leftJoin(users, and(eq(users.tenantId, t), eq(users.id, contracts.ownerId)))
    .where(where)
    .orderBy(...order)
    .limit(page.limit)
    .offset(page.offset ?? 0)
}

export type ContractDtoRow = Awaited<ReturnType<typeof contractDtoQuery>>[number]

export const contractDtosOf = (rows: ContractDtoRow[]): ContractDto[] =>
  rows.map((r) => dtoOf(r.c, r.customerName ?? '', r.ownerName ?? ''))

function dtoOf(r: ContractRow, customerName: string, ownerName: string): ContractDto {
  return {
    id: r.id,
    number: r.number,
    name: r.name,
    customer: { id: r.customerId, name: customerName },
    opportunityId: r.opportunityId,
    owner: { id: r.ownerId, name: ownerName },
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
  }
}

export async function toContractDto(ctx: ServiceContext, row: ContractRow): Promise<ContractDto> {
  const [dto] = await toContractDtos(ctx, [row])
  if (!dto) throw new Error('contract dto')
  return dto
}
