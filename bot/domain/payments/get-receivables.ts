import { and, desc, eq, inArray } from 'drizzle-orm'
import { contracts, payments } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { requireContract, visibleContracts } from '../contracts/access'
import { loadCrmAccess, requireCustomer } from '../crm/access'
import { chinaDay, loadReceivables, type Receivables } from './receivables'
import { type PaymentDto, toPaymentDtos } from './record-payment'

export interface ContractReceivables extends Receivables {
  payments: PaymentDto[]
}

/** 应收/实收/欠款 of one contract with its instalments ("3/5 期") and payments; 404 outside the scope. */
export async function getContractReceivables({
  ctx,
  contractId,
}: {
  ctx: ServiceContext
  contractId: string
}): Promise<ContractReceivables> {
  const access = await loadCrmAccess(ctx)
  const contract = await requireContract(ctx, access, contractId)
  const [map, rows] = await Promise.all([
    loadReceivables(ctx, [contract.id]),
    ctx.db
      .select()
      .from(payments)
      .where(and(eq(payments.tenantId, ctx.tenantId), eq(payments.contractId, contract.id)))
      .orderBy(desc(payments.receivedOn), desc(payments.createdAt)),
  ])
  const r = map.get(contract.id)
  if (!r) throw new Error('receivables vanished')
  return { ...r, payments: await toPaymentDtos(ctx, rows) }
}

export interface CustomerReceivables {
  customerId: string
  receivableCents: number
  receivedCents: number
  outstandingCents: number
  overdueCents: number
  paidInstalments: number
  totalInstalments: number
  label: string
  contracts: Array<Receivables & { number: string; name: string; status: string }>
}

/** The customer's 应收/实收/欠款 over its active and completed contracts the caller may see. */
export async function getCustomerReceivables({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<CustomerReceivables> {
  const access = await loadCrmAccess(ctx)
  await requireCustomer(ctx, access, customerId)
  const rows = await ctx.db
    .select({ id: contracts.id, number: contracts.number, name: contracts.name, status: contracts.status })
    .from(contracts)
    .where(
      and(
        visibleContracts(ctx, access),
        eq(contracts.customerId, customerId),
        inArray(contracts.status, ['active', 'completed']),
      ),
    )
    .orderBy(desc(contracts.createdAt))
    .limit(100)
  const map = await loadReceivables(
    ctx,
    rows.map((r) => r.id),
  )
  const list = rows.flatMap((r) => {
    const rec = map.get(r.id)
    return rec ? [{ ...rec, number: r.number, name: r.name, status: r.status }] : []
  })
  const sum = (
    k:
      | 'receivableCents'
      | 'receivedCents'
      | 'outstandingCents'
      | 'overdueCents'
      | 'paidInstalments'
      | 'totalInstalments',
  ) => list.reduce((s, r) => s + r[k], 0)
  return {
    customerId,
    receivableCents: sum('receivableCents'),
    receivedCents: sum('receivedCents'),
    outstandingCents: sum('outstandingCents'),
    overdueCents: sum('overdueCents'),
    paidInstalments: sum('paidInstalments'),
    totalInstalments: sum('totalInstalments'),
    label: `${sum('paidInstalments')}/${sum('totalInstalments')} 期`,
    contracts: list,
  }
}

/** Today's China calendar day for the context's clock (exported for the overdue scan and tests). */
export const todayOf = (ctx: ServiceContext): string => chinaDay(ctx.clock.now())
