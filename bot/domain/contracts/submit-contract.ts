import { and, eq, sql } from 'drizzle-orm'
import { contracts, fieldHistory } from '../../../db/schema'
import { startInstance } from '../approvals/start-instance'
import { loadTemplateVersion } from '../approvals/store'
import type { ApprovalView } from '../approvals/view'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess } from '../crm/access'
import { ConflictError, ForbiddenError, InvalidInputError } from '../errors'
import { requireContract } from './access'
import { CONTRACT_TEMPLATE_KEY, ensureContractTemplate } from './approval-template'
import { type ContractDto, toContractDto } from './dto'
import { parseInput, type SubmitContractInput, submitContractInput } from './schemas'

/**
 * Sends a draft contract to approval through the approvals engine (the tenant's 合同审批 template, created
 * on first use): the request references the contract, its customer, amount and discount, so the template's
 * conditions apply. The contract is `in_approval` until the request ends; its outcome decides the state.
 * A 合同审批 an admin changed so that it shows no contract is refused (409 `templateKey`), see below.
 */
export async function submitContract({
  ctx,
  contractId,
  input = {},
}: {
  ctx: ServiceContext
  contractId: string
  input?: SubmitContractInput
}): Promise<{ contract: ContractDto; approval: ApprovalView }> {
  const data = parseInput(submitContractInput, input)
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('only a person can submit a contract')
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadCrmAccess(c)
    const current = await requireContract(c, access, contractId, { forUpdate: true })
    if (current.status !== 'draft')
      throw new ConflictError(
        `合同状态为 ${current.status}，不能提交审批 / a ${current.status} contract cannot be submitted`,
        {
          field: 'status',
          status: current.status,
        },
      )
    await ensureContractTemplate(c)
    const refField = await contractRefField(c)
    const approval = await startInstance({
      ctx: c,
      forRecord: true,
      businessRefField: refField,
      input: {
        templateKey: CONTRACT_TEMPLATE_KEY,
        form: {
          contract: current.id,
          [refField]: current.id,
          title: `${current.number} ${current.name}`,
          customer: current.customerId,
          amount: current.amountCents,
          discount: current.discountBp / 100,
          ...(data.notes ? { notes: data.notes } : {}),
        },
      },
    })
    const now = c.clock.now()
    const [row] = await c.db
      .update(contracts)
      .set({
        status: 'in_approval',
        approvalInstanceId: approval.instance.id,
        version: sql`${contracts.version} + 1`,
        updatedAt: now,
      })
      .where(and(eq(contracts.tenantId, c.tenantId), eq(contracts.id, current.id)))
      .returning()
    if (!row) throw new Error('contract update returned nothing')
    await c.db.insert(fieldHistory).values({
      tenantId: c.tenantId,
      entityType: 'contract',
      entityId: current.id,
      field: 'status',
      oldValue: 'draft',
      newValue: 'in_approval',
      actorId: actorId(c.actor),
      at: now,
    })
    await recordAudit(c, {
      action: 'sales.contract.submit',
      targetType: 'contract',
      targetId: current.id,
      meta: { instanceId: approval.instance.id },
    })
    return { contract: await toContractDto(c, row), approval }
  })
}

/**
 * The field of the tenant's 合同审批 (its current version) that references the contract: the request's
 * outcome decides the contract's state only through it. The template's business reference when it names a
 * contract field; else the form's one contract field, if it has exactly one (an admin's own 合同审批 with a
 * 「合同」 field but not the setting: the approvers see the contract they decide, so the reference is
 * attached safely). A template without a contract field is refused (409 naming `templateKey`, saying what
 * to fix) rather than started: its request would leave the contract in approval forever, and attaching a
 * reference to a form that does not show the contract would let approvers decide one they never saw.
 */
async function contractRefField(ctx: ServiceContext): Promise<string> {
  const tv = await loadTemplateVersion(ctx, { key: CONTRACT_TEMPLATE_KEY })
  const named = tv.settings.businessRefField
  const byRef = named ? tv.form.find((f) => f.key === named) : undefined
  if (byRef?.type === 'contract') return byRef.key
  const fields = tv.form.filter((f) => f.type === 'contract')
  if (!named && fields.length === 1 && fields[0]) return fields[0].key
  throw new ConflictError(
    `「${tv.name}」审批模板没有关联合同，审批结果无法决定合同状态：请管理员在该模板中添加一个「合同」字段后再提交 / ` +
      `the ${tv.key} approval template does not reference the contract, so its outcome could not decide the ` +
      `contract's state: an admin must add one Contract field to the template`,
    { field: 'templateKey', templateKey: tv.key, templateVersion: tv.version },
  )
}

/** The 合同审批 fields that mirror the contract: the approvers decide the contract as it is. */
const MIRRORED = ['contract', 'title', 'customer', 'amount', 'discount'] as const

/**
 * A returned 合同审批 resubmitted (the approvals' resubmit hook): its amount, discount, customer and title
 * are the contract's, so they cannot be edited on the request (400 naming the field): the contract is
 * changed by withdrawing the request (it is a draft again), editing it and submitting it again. Notes and
 * an admin's own fields may change.
 */
export async function resubmitContractRequest(
  _ctx: ServiceContext,
  input: { before: Record<string, unknown>; form: Record<string, unknown> },
): Promise<undefined> {
  for (const key of MIRRORED) {
    if (JSON.stringify(input.form[key] ?? null) === JSON.stringify(input.before[key] ?? null)) continue
    throw new InvalidInputError(
      `form.${key}`,
      `form.${key}: 该项取自合同，不能在申请中修改；请撤回申请，修改合同后重新提交 / ` +
        `this field is the contract's: withdraw the request, edit the contract and submit it again`,
    )
  }
  return undefined
}
