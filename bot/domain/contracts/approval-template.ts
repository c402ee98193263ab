import { and, eq } from 'drizzle-orm'
import { approvalTemplates } from '../../../db/schema'
import { createTemplate } from '../approvals/create-template'
import { departmentHeadStep, managerStep } from '../approvals/flow-builder'
import { registerRecordStartedTemplate } from '../approvals/on-finished'
import type { TemplateDefinitionInput } from '../approvals/schemas'
import type { ServiceContext } from '../context'

export const CONTRACT_TEMPLATE_KEY = 'contract'
// Started from the contract only (submitContract): a request started by hand names no contract the engine
// would change, so its approval would leave the contract a draft while everyone reads 已通过.
registerRecordStartedTemplate(CONTRACT_TEMPLATE_KEY, {
  how: {
    zh: '在合同页点「提交审批」',
    en: 'open the contract and tap Submit for approval',
  },
})
/** Contracts from this amount (cents) or discount (percent) also go to the head of the department above. */
export const BIG_CONTRACT_CENTS = 50_000_000
export const BIG_DISCOUNT_PERCENT = 15

/**
 * The default 合同审批 template: the initiator's manager, then — for ¥500,000 and more or a discount of
 * 15 % and more — the head of the department above. The form references the contract (its outcome
 * decides the contract's state) and the customer.
 */
export function contractApprovalTemplate(): TemplateDefinitionInput {
  return {
    key: CONTRACT_TEMPLATE_KEY,
    name: '合同审批',
    nameEn: 'Contract',
    description: '销售合同审批：直属上级审批；金额 ≥ 50 万或折扣 ≥ 15% 时再由上级部门负责人审批',
    aliases: ['合同', '合同审批', 'contract'],
    form: [
      { key: 'contract', label: '合同', labelEn: 'Contract', type: 'contract', required: true },
      { key: 'title', label: '合同名称', labelEn: 'Title', type: 'text' },
      { key: 'customer', label: '客户', labelEn: 'Customer', type: 'customer' },
      { key: 'amount', label: '合同金额', labelEn: 'Amount', type: 'money', required: true },
      { key: 'discount', label: '折扣 (%)', labelEn: 'Discount (%)', type: 'number' },
      { key: 'notes', label: '说明', labelEn: 'Notes', type: 'textarea' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        managerStep('size'),
        {
          id: 'size',
          type: 'condition',
          name: '金额与折扣',
          branches: [
            {
              name: '金额 ≥ 50 万',
              when: [{ kind: 'form', field: 'amount', op: 'gte', value: BIG_CONTRACT_CENTS }],
              next: 'head',
            },
            {
              name: `折扣 ≥ ${BIG_DISCOUNT_PERCENT}%`,
              when: [{ kind: 'form', field: 'discount', op: 'gte', value: BIG_DISCOUNT_PERCENT }],
              next: 'head',
            },
          ],
          defaultNext: 'end',
        },
        departmentHeadStep('head', 1, 'end', 'admin'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      businessRefField: 'contract',
      titleField: 'title',
    },
  }
}

/** Creates the 合同审批 template for the tenant when it has none (any tenant, new ones included). */
export async function ensureContractTemplate(ctx: ServiceContext): Promise<void> {
  const [existing] = await ctx.db
    .select({ id: approvalTemplates.id })
    .from(approvalTemplates)
    .where(
      and(eq(approvalTemplates.tenantId, ctx.tenantId), eq(approvalTemplates.key, CONTRACT_TEMPLATE_KEY)),
    )
  if (existing) return
  await ctx.db.transaction(async (sp) => {
    try {
      await createTemplate({
        ctx: { ...ctx, db: sp, actor: { kind: 'system', reason: 'default contract template' } },
        input: contractApprovalTemplate(),
      })
    } catch (err) {
      // Created concurrently by another submission: fine.
      if ((err as { code?: string }).code !== 'conflict') throw err
    }
  })
}
