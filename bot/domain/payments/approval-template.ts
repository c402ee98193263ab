import { and, eq } from 'drizzle-orm'
import { approvalTemplates } from '../../../db/schema'
import { createTemplate } from '../approvals/create-template'
import { financeStep } from '../approvals/flow-builder'
import { registerRecordStartedTemplate } from '../approvals/on-finished'
import type { TemplateDefinitionInput } from '../approvals/schemas'
import type { ServiceContext } from '../context'

export const PAYMENT_TEMPLATE_KEY = 'sales_payment'
// Started by registering a payment only: an instance without its request would record nothing.
registerRecordStartedTemplate(PAYMENT_TEMPLATE_KEY, {
  how: {
    zh: '在合同页点「登记回款」',
    en: 'open the contract and tap Register payment',
  },
  // Approved means recorded only once the payment is written (it may no longer fit the contract).
  announcesApproval: true,
})

/**
 * The default 回款审批 template: finance confirms money a rep registered before it counts (when the
 * tenant's CRM rules ask for it). The form references the contract; the request's outcome (approved →
 * the payment is recorded) is applied by the contract hook for this template's key.
 */
export function paymentApprovalTemplate(): TemplateDefinitionInput {
  return {
    key: PAYMENT_TEMPLATE_KEY,
    name: '回款审批',
    nameEn: 'Payment received',
    description: '回款审批：销售登记的回款经财务确认后入账',
    aliases: ['回款', '回款审批', 'receipt'],
    form: [
      { key: 'contract', label: '合同', labelEn: 'Contract', type: 'contract', required: true },
      { key: 'title', label: '摘要', labelEn: 'Summary', type: 'text' },
      { key: 'customer', label: '客户', labelEn: 'Customer', type: 'customer' },
      { key: 'amount', label: '回款金额', labelEn: 'Amount', type: 'money', required: true },
      { key: 'receivedOn', label: '到账日期', labelEn: 'Received on', type: 'date', required: true },
      { key: 'method', label: '回款方式', labelEn: 'Method', type: 'text', required: true },
      { key: 'instalments', label: '对应期数', labelEn: 'Instalments', type: 'text' },
      { key: 'notes', label: '说明', labelEn: 'Notes', type: 'textarea' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'finance' },
        financeStep('end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: false,
      escalateAction: 'to_manager',
      businessRefField: 'contract',
      titleField: 'title',
    },
  }
}

/** Creates the 回款审批 template for the tenant when it has none (a tenant older than the backfill). */
export async function ensurePaymentTemplate(ctx: ServiceContext): Promise<void> {
  const [existing] = await ctx.db
    .select({ id: approvalTemplates.id })
    .from(approvalTemplates)
    .where(and(eq(approvalTemplates.tenantId, ctx.tenantId), eq(approvalTemplates.key, PAYMENT_TEMPLATE_KEY)))
  if (existing) return
  await ctx.db.transaction(async (sp) => {
    try {
      await createTemplate({
        ctx: { ...ctx, db: sp, actor: { kind: 'system', reason: 'default payment template' } },
        input: paymentApprovalTemplate(),
      })
    } catch (err) {
      if ((err as { code?: string }).code !== 'conflict') throw err
    }
  })
}
