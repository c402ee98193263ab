import { and, desc, eq } from 'drizzle-orm'
import { contracts, paymentRequests } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { ApprovalFinishedEvent } from '../approvals/on-finished'
import { progressRef } from '../approvals/publish'
import { startInstance } from '../approvals/start-instance'
import { loadInstance } from '../approvals/store'
import { loadView } from '../approvals/view'
import {
  type ApprovalOutcomeNote,
  approvalProgressView,
  approvalResultView,
  freezeApprovalView,
} from '../approvals/views'
import { recordAudit } from '../audit/record-audit'
import { notify, updateView } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import type { ContractRow } from '../contracts/access'
import { requireContract } from '../contracts/access'
import { loadCrmAccess } from '../crm/access'
import { loadRules } from '../crm/rules'
import { DomainError, InvalidInputError, InvalidTransitionError, NotFoundError } from '../errors'
import { ensurePaymentTemplate, PAYMENT_TEMPLATE_KEY } from './approval-template'
import {
  type Allocation,
  checkPayment,
  type RecordedPayment,
  recordPayment,
  writePayment,
} from './record-payment'
import { PAYMENT_METHODS, parseInput, type RecordPaymentInput, recordPaymentInput } from './schemas'

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

/** The 回款审批 form of a payment: what finance sees and decides. */
function paymentForm(
  contract: Pick<ContractRow, 'id' | 'number' | 'customerId'>,
  data: { amountCents: number; receivedOn: string; method: string; note?: string | null | undefined },
  allocations: Array<Pick<Allocation, 'seq' | 'amountCents'>>,
): Record<string, unknown> {
  return {
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
  }
}

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
      input: { templateKey: PAYMENT_TEMPLATE_KEY, form: paymentForm(contract, data, allocations) },
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

/** Form fields of a 回款审批 and the payment fields they carry (a check's field named as the form's). */
const FORM_FIELD: Record<string, string> = {
  amountCents: 'form.amount',
  receivedOn: 'form.receivedOn',
  method: 'form.method',
  note: 'form.notes',
  allocations: 'form.instalments',
}
const asFormError = (err: unknown): unknown => {
  if (!(err instanceof InvalidInputError)) return err
  const field = String(err.details.field ?? '')
  const mapped = FORM_FIELD[field.split('.')[0] ?? '']
  return mapped ? new InvalidInputError(mapped, err.message) : err
}

/**
 * A returned 回款审批 resubmitted (the approvals' resubmit hook, in its transaction): the edited amount,
 * date, method and note become the request's, checked against the contract as it is now as a new payment
 * would be (a bad one is a 400 naming the form field, nothing written), so finance approves what will be
 * recorded. The instalments follow the amount: kept when it is unchanged, else the earliest open ones
 * again; the form's 对应期数 text cannot be edited (400 form.instalments), the title is derived again.
 */
export async function resubmitPaymentRequest(
  ctx: ServiceContext,
  input: { instanceId: string; before: Record<string, unknown>; form: Record<string, unknown> },
): Promise<Record<string, unknown> | undefined> {
  const { before, form } = input
  const [req] = await ctx.db
    .select()
    .from(paymentRequests)
    .where(
      and(
        eq(paymentRequests.tenantId, ctx.tenantId),
        eq(paymentRequests.approvalInstanceId, input.instanceId),
      ),
    )
    .for('update')
  if (!req) return undefined
  if (req.state !== 'pending')
    throw new InvalidTransitionError(`回款申请已结束 / the payment request is ${req.state}`, {
      field: 'instanceId',
      state: req.state,
    })
  // Left out: unchanged (it is derived again below).
  if (form.instalments !== undefined && form.instalments !== (before.instalments ?? undefined))
    throw new InvalidInputError(
      'form.instalments',
      'form.instalments: 对应期数按回款金额自动分配，不能在此修改；如需指定期数，请撤回后在合同页重新登记回款 / ' +
        'instalments follow the amount and cannot be edited here; to choose them, withdraw and register the payment again',
    )
  const methodText = String(form.method ?? '').trim()
  const method = PAYMENT_METHODS.find((m) => m === methodText.toLowerCase() || METHOD_ZH[m] === methodText)
  if (!method)
    throw new InvalidInputError(
      'form.method',
      `form.method: 回款方式应为 ${PAYMENT_METHODS.map((m) => METHOD_ZH[m]).join('、')} 之一 / one of ${PAYMENT_METHODS.join(', ')}`,
    )
  const note = typeof form.notes === 'string' && form.notes.trim() ? form.notes.trim() : undefined
  let data: ReturnType<typeof recordPaymentInput.parse>
  try {
    data = parseInput(recordPaymentInput, {
      contractId: req.contractId,
      amountCents: form.amount,
      receivedOn: form.receivedOn,
      method,
      ...(note ? { note } : {}),
      ...(form.amount === req.amountCents && req.allocations ? { allocations: req.allocations } : {}),
    })
  } catch (err) {
    throw asFormError(err)
  }
  const contract = await requireContract(ctx, await loadCrmAccess(ctx), req.contractId, { forUpdate: true })
  let allocations: Allocation[]
  try {
    allocations = await checkPayment(ctx, contract, data)
  } catch (err) {
    throw asFormError(err)
  }
  const after = {
    amountCents: data.amountCents,
    receivedOn: data.receivedOn,
    method: data.method,
    note: data.note ?? null,
    allocations: data.allocations ?? null,
  }
  await ctx.db
    .update(paymentRequests)
    .set(after)
    .where(and(eq(paymentRequests.tenantId, ctx.tenantId), eq(paymentRequests.id, req.id)))
  await recordAudit(ctx, {
    action: 'sales.payment.request.edit',
    targetType: 'contract',
    targetId: req.contractId,
    before: {
      requestId: req.id,
      amountCents: req.amountCents,
      receivedOn: req.receivedOn,
      method: req.method,
      note: req.note,
      allocations: req.allocations,
    },
    after: { requestId: req.id, ...after },
  })
  return paymentForm(contract, data, allocations)
}

/** A bilingual check message `中文 / English` as its two halves. */
const halves = (message: string): { zh: string; en: string } => {
  const at = message.indexOf(' / ')
  return at < 0 ? { zh: message, en: message } : { zh: message.slice(0, at), en: message.slice(at + 3) }
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
        await announceResult(c, event.instanceId)
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
    const reason = halves(failure ?? '')
    const number = contract?.number ?? req.contractId
    await announceResult(c, event.instanceId, {
      title: { zh: '回款审批已通过，但未能入账', en: 'Payment approved but not recorded' },
      text: {
        zh: `合同 ${number} 的回款 ¥${yuan(req.amountCents)} 已审批通过，但未能入账：${reason.zh}`,
        en: `Payment of ¥${yuan(req.amountCents)} on ${number} was approved but could not be recorded: ${reason.en}`,
      },
    })
    return 'failed'
  })
}

/**
 * The applicant's result card of an approved 回款审批, sent once the payment was written or failed (the
 * template `announcesApproval`, so the engine sent none): 已通过, or in red why it was not recorded. The
 * template's result chat gets the same card.
 */
async function announceResult(
  ctx: ServiceContext,
  instanceId: string,
  failed?: ApprovalOutcomeNote,
): Promise<void> {
  const ins = await loadInstance(ctx, instanceId)
  const view = await loadView(ctx, ins)
  const snapshot = freezeApprovalView(view)
  const card = approvalResultView({ view: snapshot, ...(failed ? { failed } : {}) })
  await notify(ctx, { to: { userId: ins.initiatorId }, view: card })
  // The applicant's progress card ends on 未能入账 too, not on 已通过: one version past the instance's last
  // (a finished instance changes no more), so the approval's own update at that version never wins over it.
  if (failed)
    await updateView(ctx, {
      ref: progressRef(ins.id),
      view: approvalProgressView({ view: snapshot, failed }),
      version: ins.version + 1,
    })
  const chatId = view.template.settings.resultChatId
  if (chatId) await notify(ctx, { to: { chatId }, view: card })
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
