import { and, desc, eq } from 'drizzle-orm'
import { contracts, paymentRequests, users } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { ApprovalFinishedEvent } from '../approvals/on-finished'
import { startInstance } from '../approvals/start-instance'
import { recordAudit } from '../audit/record-audit'
import { sendText } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { requireContract } from '../contracts/access'
import { loadCrmAccess } from '../crm/access'
import { loadRules } from '../crm/rules'
import { DomainError, InvalidInputError, NotFoundError } from '../errors'
import { ensurePaymentTemplate, PAYMENT_TEMPLATE_KEY } from './approval-template'
import { checkPayment, type RecordedPayment, recordPayment, writePayment } from './record-payment'
import { parseInput, type RecordPaymentInput, recordPaymentInput } from './schemas'

export type PaymentRequestRow = typeof paymentRequests.$inferSelect

export interface PaymentRequestDto {
  id: string
  contractId: string
  customerId: string
  amountCents: number
  receivedOn: string
  method: string
  note: string | null
  allocations: Array<{ instalmentId: string; amountCents: number }> | null
  state: PaymentRequestRow['state']
  approvalInstanceId: string
  paymentId: string | null
  /** Why an approved request could not be recorded (zh-CN / en). */
  failure: string | null
  applicantId: string
  createdAt: string
  decidedAt: string | null
}

export const toPaymentRequestDto = (r: PaymentRequestRow): PaymentRequestDto => ({
  id: r.id,
  contractId: r.contractId,
  customerId: r.customerId,
  amountCents: r.amountCents,
  receivedOn: r.receivedOn,
  method: r.method,
  note: r.note,
  allocations: r.allocations ?? null,
  state: r.state,
  approvalInstanceId: r.approvalInstanceId,
  paymentId: r.paymentId,
  failure: r.failure,
  applicantId: r.applicantId,
  createdAt: r.createdAt.toISOString(),
  decidedAt: r.decidedAt?.toISOString() ?? null,
})

export type RegisteredPayment =
  | ({ kind: 'recorded' } & RecordedPayment)
  | { kind: 'requested'; request: PaymentRequestDto }

const METHOD_ZH: Record<string, string> = {
  bank_transfer: '银行转账',
  cash: '现金',
  cheque: '支票',
  alipay: '支付宝',
  wechat: '微信',
  other: '其他',
}

const yuan = (cents: number): string =>
  (cents / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/**
 * A person registers a payment (mini-app, API session, chat). When the tenant's CRM rules ask for 回款审批,
 * the payment is checked now as it would be recorded (a bad one is a 4xx naming the field, nothing
 * written) and becomes a request with a 回款审批 instance; it is recorded only when finance approves.
 * Otherwise it is recorded directly, as before. External systems post through `recordPayment` and skip this.
 */
export async function registerPayment({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: RecordPaymentInput
}): Promise<RegisteredPayment> {
  const data = parseInput(recordPaymentInput, input)
  if (ctx.actor.kind !== 'user' || !(await loadRules(ctx.db, ctx.tenantId)).paymentApproval)
    return { kind: 'recorded', ...(await recordPayment({ ctx, input: data })) }
  const applicantId = ctx.actor.userId
  if (data.externalId)
    throw new InvalidInputError(
      'externalId',
      'externalId: 回款审批开启时只有外部系统可带外部编号 / only external systems post with an external id while 回款审批 is on',
    )
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const contract = await requireContract(c, access, data.contractId, { forUpdate: true })
    const allocations = await checkPayment(c, contract, data)
    await ensurePaymentTemplate(c)
    const approval = await startInstance({
      ctx: c,
      forRecord: true,
      input: {
        templateKey: PAYMENT_TEMPLATE_KEY,
        form: {
          contract: contract.id,
          title: `${contract.number} 回款 ¥${yuan(data.amountCents)}`,
          customer: contract.customerId,
          amount: data.amountCents,
          receivedOn: data.receivedOn,
          method: METHOD_ZH[data.method] ?? data.method,
          ...(allocations.length
            ? { instalments: allocations.map((a) => `第 ${a.seq} 期 ¥${yuan(a.amountCents)}`).join('，') }
            : {}),
          ...(data.note ? { notes: data.note } : {}),
        },
      },
    })
    const [row] = await c.db
      .insert(paymentRequests)
      .values({
        id: newId('prq'),
        tenantId: c.tenantId,
        contractId: contract.id,
        customerId: contract.customerId,
        amountCents: data.amountCents,
        receivedOn: data.receivedOn,
        method: data.method,
        note: data.note ?? null,
        allocations: data.allocations ?? null,
        state: 'pending',
        approvalInstanceId: approval.instance.id,
        applicantId,
        createdAt: c.clock.now(),
      })
      .returning()
    if (!row) throw new Error('payment request insert returned nothing')
    await recordAudit(c, {
      action: 'sales.payment.request',
      targetType: 'contract',
      targetId: contract.id,
      after: { requestId: row.id, amountCents: row.amountCents, instanceId: approval.instance.id },
    })
    return { kind: 'requested', request: toPaymentRequestDto(row) }
  })
}

/**
 * The 回款审批 outcome (from the approvals' finished hook): approved → the payment is written through the
 * ordinary path, checked again against the contract as it is now; if it no longer fits (more than the
 * outstanding, an instalment paid meanwhile, the contract ended) the request ends `failed` with the reason,
 * nothing is written, and the applicant is told. Rejected, withdrawn or cancelled → the request ends with no
 * payment. Only a pending request changes (locked), so a repeated event writes one payment.
 */
export async function applyPaymentApprovalOutcome({
  ctx,
  event,
}: {
  ctx: ServiceContext
  event: ApprovalFinishedEvent
}): Promise<'recorded' | 'failed' | 'ended' | 'ignored'> {
  return withTransaction(ctx, async (_tx, c) => {
    const [req] = await c.db
      .select()
      .from(paymentRequests)
      .where(
        and(
          eq(paymentRequests.tenantId, c.tenantId),
          eq(paymentRequests.approvalInstanceId, event.instanceId),
        ),
      )
      .for('update')
    if (req?.state !== 'pending') return 'ignored'
    const now = c.clock.now()
    const end = async (patch: Partial<PaymentRequestRow>) => {
      await c.db
        .update(paymentRequests)
        .set({ ...patch, decidedAt: now })
        .where(and(eq(paymentRequests.tenantId, c.tenantId), eq(paymentRequests.id, req.id)))
    }
    if (event.status !== 'approved') {
      await end({ state: event.status === 'rejected' ? 'rejected' : 'withdrawn' })
      await recordAudit(c, {
        action: 'sales.payment.request.end',
        targetType: 'contract',
        targetId: req.contractId,
        meta: { requestId: req.id, outcome: event.status },
      })
      return 'ended'
    }
    const [contract] = await c.db
      .select()
      .from(contracts)
      .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, req.contractId)))
      .for('update')
    let failure: string | null = null
    if (!contract) failure = '合同已不存在 / the contract no longer exists'
    else {
      try {
        // A savepoint: a payment that fails its checks half-way leaves nothing behind.
        const written = await c.db.transaction((sp) =>
          writePayment(
            { ...c, db: sp },
            contract,
            {
              amountCents: req.amountCents,
              receivedOn: req.receivedOn,
              method: req.method as never,
              ...(req.note ? { note: req.note } : {}),
              ...(req.allocations ? { allocations: req.allocations } : {}),
            },
            { systemId: null, createdById: req.applicantId, requestId: req.id },
          ),
        )
        await end({ state: 'approved', paymentId: written.payment.id })
        return 'recorded'
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        failure = err.message
      }
    }
    await end({ state: 'failed', failure })
    await recordAudit(c, {
      action: 'sales.payment.request.fail',
      targetType: 'contract',
      targetId: req.contractId,
      meta: { requestId: req.id, failure },
    })
    const [applicant] = await c.db
      .select({ locale: users.locale })
      .from(users)
      .where(and(eq(users.tenantId, c.tenantId), eq(users.id, req.applicantId)))
    const en = applicant?.locale === 'en'
    const number = contract?.number ?? req.contractId
    await sendText(c, {
      to: { userId: req.applicantId },
      text: en
        ? `Payment of ¥${yuan(req.amountCents)} on ${number} was approved but could not be recorded: ${failure}`
        : `合同 ${number} 的回款 ¥${yuan(req.amountCents)} 已审批通过，但未能入账：${failure}`,
    })
    return 'failed'
  })
}

/** The 回款 requests of a contract the caller may see, newest first. */
export async function listPaymentRequests({
  ctx,
  contractId,
}: {
  ctx: ServiceContext
  contractId: string
}): Promise<PaymentRequestDto[]> {
  const contract = await requireContract(ctx, await loadCrmAccess(ctx), contractId)
  const rows = await ctx.db
    .select()
    .from(paymentRequests)
    .where(and(eq(paymentRequests.tenantId, ctx.tenantId), eq(paymentRequests.contractId, contract.id)))
    .orderBy(desc(paymentRequests.createdAt), desc(paymentRequests.id))
    .limit(200)
  return rows.map(toPaymentRequestDto)
}

/** One 回款 request, if its contract is within the caller's data scope (else 404). */
export async function getPaymentRequest({
  ctx,
  requestId,
}: {
  ctx: ServiceContext
  requestId: string
}): Promise<PaymentRequestDto> {
  const [row] = await ctx.db
    .select()
    .from(paymentRequests)
    .where(and(eq(paymentRequests.tenantId, ctx.tenantId), eq(paymentRequests.id, requestId)))
  if (!row) throw new NotFoundError('payment request', requestId)
  try {
    await requireContract(ctx, await loadCrmAccess(ctx), row.contractId)
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError('payment request', requestId)
    throw err
  }
  return toPaymentRequestDto(row)
}
