import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { z } from 'zod'
import { contracts, instalments, paymentAllocations, payments } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { type ContractRow, requireContract } from '../contracts/access'
import { loadCrmAccess } from '../crm/access'
import { InvalidInputError, InvalidTransitionError } from '../errors'
import { emit } from '../outbox'
import { loadReceivables, type Receivables, receivedOf } from './receivables'
import { parseInput, type RecordPaymentInput, recordPaymentInput } from './schemas'

/** Job: recompute the customer's value tier after money arrived. */
export const CUSTOMER_VALUE_REFRESH = 'sales.customer_value.refresh'

export interface PaymentDto {
  id: string
  contractId: string
  customerId: string
  amountCents: number
  receivedOn: string
  method: string
  note: string | null
  externalId: string | null
  allocations: Array<{ instalmentId: string; seq: number; amountCents: number }>
  createdAt: string
}

export interface RecordedPayment {
  payment: PaymentDto
  receivables: Receivables
  /** False when an external system repeated a post (same external id): nothing was written. */
  created: boolean
}

/**
 * Records money received (回款) on an active contract and allocates it to instalments — the ones named, or
 * the earliest open ones in order. More than the contract's outstanding amount, or more than an
 * instalment's open amount, is a 400 naming the field and nothing is written. An external system's post
 * carries its id (`externalId`): repeating it answers with the first record.
 */
export async function recordPayment({
  ctx,
  input,
  systemId,
}: {
  ctx: ServiceContext
  input: RecordPaymentInput
  systemId?: string
}): Promise<RecordedPayment> {
  const data = parseInput(recordPaymentInput, input)
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const contract = await requireContract(c, access, data.contractId, { forUpdate: true })
    if (data.externalId) {
      const existing = await findExternal(c, systemId ?? null, data.externalId)
      if (existing) return { ...(await finish(c, existing, contract.id)), created: false }
    }
    return {
      ...(await writePayment(c, contract, data, {
        systemId: systemId ?? null,
        createdById: actorId(c.actor),
      })),
      created: true,
    }
  })
}

export type RecordPaymentData = z.output<typeof recordPaymentInput>
export type Allocation = { instalmentId: string; seq: number; amountCents: number }

/**
 * What a payment would be on this (locked) contract now: its allocations to instalments. Throws the 4xx
 * naming the field when it cannot be recorded (contract not active, more than outstanding, an allocation
 * over an instalment's open amount or not adding up); writes nothing. Locks the contract's open instalments.
 */
export async function checkPayment(
  c: ServiceContext,
  contract: ContractRow,
  data: Pick<RecordPaymentData, 'amountCents' | 'allocations'>,
): Promise<Allocation[]> {
  if (contract.status !== 'active' && contract.status !== 'completed')
    throw new InvalidTransitionError(`回款只能登记在已生效的合同上 / the contract is ${contract.status}`, {
      field: 'contractId',
    })
  const received = await receivedOf(c, contract.id)
  const outstanding = contract.amountCents - received
  if (data.amountCents > outstanding)
    throw new InvalidInputError(
      'amountCents',
      `amountCents: 回款 ${data.amountCents / 100} 元超过欠款 ${outstanding / 100} 元 / more than the outstanding ${outstanding} cents`,
    )
  const open = await c.db
    .select()
    .from(instalments)
    .where(
      and(
        eq(instalments.tenantId, c.tenantId),
        eq(instalments.contractId, contract.id),
        sql`${instalments.receivedCents} < ${instalments.amountCents}`,
      ),
    )
    .orderBy(asc(instalments.seq))
    .for('update')
  const allocations: Allocation[] = []
  if (data.allocations) {
    const byId = new Map(open.map((i) => [i.id, i]))
    data.allocations.forEach((a, n) => {
      const ins = byId.get(a.instalmentId)
      if (!ins)
        throw new InvalidInputError(
          `allocations.${n}.instalmentId`,
          `no open instalment ${a.instalmentId} on this contract`,
        )
      if (a.amountCents > ins.amountCents - ins.receivedCents)
        throw new InvalidInputError(
          `allocations.${n}.amountCents`,
          `allocations.${n}.amountCents: 超过第 ${ins.seq} 期未收金额 / more than instalment ${ins.seq} has open`,
        )
      allocations.push({ instalmentId: ins.id, seq: ins.seq, amountCents: a.amountCents })
    })
    if (new Set(data.allocations.map((a) => a.instalmentId)).size !== data.allocations.length)
      throw new InvalidInputError('allocations', 'allocations: 同一期出现两次 / an instalment appears twice')
    const sum = allocations.reduce((s, a) => s + a.amountCents, 0)
    if (sum !== data.amountCents)
      throw new InvalidInputError(
        'allocations',
        `allocations: 分配合计 ${sum} 与回款金额不一致 / allocations total ${sum}, payment ${data.amountCents}`,
      )
  } else {
    let left = data.amountCents
    for (const ins of open) {
      if (left <= 0) break
      const take = Math.min(left, ins.amountCents - ins.receivedCents)
      allocations.push({ instalmentId: ins.id, seq: ins.seq, amountCents: take })
      left -= take
    }
  }
  return allocations
}

/**
 * Writes the payment on a contract the caller locked (in its transaction): checks it (`checkPayment`),
 * inserts the payment and its allocations, moves the instalments' received amounts, audits, and queues the
 * customer's value refresh. The one path every recorded payment takes (direct, ERP, approved request).
 */
export async function writePayment(
  c: ServiceContext,
  contract: ContractRow,
  data: Omit<RecordPaymentData, 'contractId'>,
  options: { systemId: string | null; createdById: string | null; requestId?: string },
): Promise<Omit<RecordedPayment, 'created'>> {
  const allocations = await checkPayment(c, contract, data)
  const now = c.clock.now()
  const id = newId('pay')
  const [row] = await c.db
    .insert(payments)
    .values({
      id,
      tenantId: c.tenantId,
      contractId: contract.id,
      customerId: contract.customerId,
      amountCents: data.amountCents,
      receivedOn: data.receivedOn,
      method: data.method,
      note: data.note ?? null,
      externalSystemId: data.externalId ? options.systemId : null,
      externalId: data.externalId ?? null,
      createdById: options.createdById,
      createdAt: now,
    })
    .returning()
  if (!row) throw new Error('payment insert returned nothing')
  if (allocations.length) {
    await c.db.insert(paymentAllocations).values(
      allocations.map((a) => ({
        tenantId: c.tenantId,
        paymentId: id,
        instalmentId: a.instalmentId,
        amountCents: a.amountCents,
      })),
    )
    for (const a of allocations) {
      await c.db
        .update(instalments)
        .set({ receivedCents: sql`${instalments.receivedCents} + ${a.amountCents}` })
        .where(and(eq(instalments.tenantId, c.tenantId), eq(instalments.id, a.instalmentId)))
    }
  }
  await c.db
    .update(contracts)
    .set({ updatedAt: now })
    .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, contract.id)))
  await recordAudit(c, {
    action: 'sales.payment.record',
    targetType: 'contract',
    targetId: contract.id,
    after: {
      paymentId: id,
      amountCents: data.amountCents,
      allocations,
      externalId: data.externalId ?? null,
      ...(options.requestId ? { requestId: options.requestId } : {}),
    },
  })
  await emit(c, {
    topic: CUSTOMER_VALUE_REFRESH,
    payload: { tenantId: c.tenantId, customerId: contract.customerId },
  })
  return finish(c, row, contract.id)
}

type PaymentRow = typeof payments.$inferSelect

async function findExternal(
  ctx: ServiceContext,
  systemId: string | null,
  externalId: string,
): Promise<PaymentRow | undefined> {
  const [row] = await ctx.db
    .select()
    .from(payments)
    .where(
      and(
        eq(payments.tenantId, ctx.tenantId),
        systemId ? eq(payments.externalSystemId, systemId) : sql`${payments.externalSystemId} is null`,
        eq(payments.externalId, externalId),
      ),
    )
  return row
}

async function finish(
  ctx: ServiceContext,
  row: PaymentRow,
  contractId: string,
): Promise<Omit<RecordedPayment, 'created'>> {
  const [dto] = await toPaymentDtos(ctx, [row])
  const r = (await loadReceivables(ctx, [contractId])).get(contractId)
  if (!dto || !r) throw new Error('payment vanished')
  return { payment: dto, receivables: r }
}

export async function toPaymentDtos(ctx: ServiceContext, rows: PaymentRow[]): Promise<PaymentDto[]> {
  if (rows.length === 0) return []
  const allocs = await ctx.db
    .select({
      paymentId: paymentAllocations.paymentId,
      instalmentId: paymentAllocations.instalmentId,
      amountCents: paymentAllocations.amountCents,
      seq: instalments.seq,
    })
    .from(paymentAllocations)
    .innerJoin(instalments, eq(instalments.id, paymentAllocations.instalmentId))
    .where(
      and(
        eq(paymentAllocations.tenantId, ctx.tenantId),
        inArray(
          paymentAllocations.paymentId,
          rows.map((r) => r.id),
        ),
      ),
    )
    .orderBy(asc(instalments.seq))
  return rows.map((r) => ({
    id: r.id,
    contractId: r.contractId,
    customerId: r.customerId,
    amountCents: r.amountCents,
    receivedOn: r.receivedOn,
    method: r.method,
    note: r.note,
    externalId: r.externalId,
    allocations: allocs
      .filter((a) => a.paymentId === r.id)
      .map((a) => ({ instalmentId: a.instalmentId, seq: a.seq, amountCents: a.amountCents })),
    createdAt: r.createdAt.toISOString(),
  }))
}

/**
 * Payments as DTOs in one statement, newest first: their allocations (with the instalment's 期数) are
 * aggregated by a correlated subquery instead of a second round. Joined to contracts, so `where` may use
 * the contracts' visibility filter; it must scope by tenant.
 */
export async function selectPaymentDtos(
  ctx: ServiceContext,
  where: SQL,
  limit: number,
): Promise<PaymentDto[]> {
  return paymentDtosOf(await paymentDtoQuery(ctx, where, limit))
}

/** The statement of `selectPaymentDtos`, to run (or prepare once and reuse, `cachedStatement`). */
export function paymentDtoQuery(ctx: ServiceContext, where: SQL, limit: number) {
  return ctx.db
    .select({
      p: payments,
      allocations: sql<Array<{ instalmentId: string; seq: number; amountCents: number }>>`coalesce((
        select json_agg(json_build_object('instalmentId', a.instalment_id, 'seq', i.seq,
          'amountCents', a.amount_cents) order by i.seq)
        from ${paymentAllocations} a join ${instalments} i on i.id = a.instalment_id
        where a.tenant_id = ${payments.tenantId} and a.payment_id = ${payments.id}), '[]'::json)`,
    })
    .from(payments)
    .innerJoin(contracts, eq(contracts.id, payments.contractId))
    .where(where)
    .orderBy(desc(payments.receivedOn), desc(payments.createdAt))
    .limit(limit)
}

export type PaymentDtoRow = Awaited<ReturnType<typeof paymentDtoQuery>>[number]

export function paymentDtosOf(rows: PaymentDtoRow[]): PaymentDto[] {
  return rows.map(({ p, allocations }) => ({
    id: p.id,
    contractId: p.contractId,
    customerId: p.customerId,
    amountCents: p.amountCents,
    receivedOn: p.receivedOn,
    method: p.method,
    note: p.note,
    externalId: p.externalId,
    allocations: allocations.map((a) => ({ ...a, amountCents: Number(a.amountCents) })),
    createdAt: p.createdAt.toISOString(),
  }))
}
