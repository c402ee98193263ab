import type { TemplateDefinitionInput } from '../../bot/domain/approvals'
import {
  defaultApprovalTemplates,
  departmentHeadStep,
  expenseTemplate,
  installTemplates,
  leaveTemplate,
  managerStep,
} from '../../bot/domain/approvals'
import type { DbOrTx } from '../client'
import type { SeededOrg } from './org'

const need = (map: Record<string, string>, key: string): string => {
  const v = map[key]
  if (!v) throw new Error(`demo org has no ${key}`)
  return v
}

/**
 * The demo tenant's templates: the eight every new tenant gets (请假, 加班, 出差, 报销 with detail rows, 采购,
 * 用印, 付款申请, 合同审批), with two shaped around the demo's people to show richer flows — 采购 (department
 * head, then admin and finance in turn, CC the cashier) and 合同审批 (manager, then a 会签 of sales, finance
 * and the general manager; decides a CRM contract).
 */
export function demoApprovalTemplates(org: SeededOrg): TemplateDefinitionInput[] {
  const demo = new Map(demoFlows(org).map((t) => [t.key, t]))
  return defaultApprovalTemplates().map((t) => demo.get(t.key) ?? t)
}

/** The demo's own versions of default templates, by key. */
function demoFlows(org: SeededOrg): TemplateDefinitionInput[] {
  const u = (k: string) => need(org.users, k)
  return [
    {
      key: 'purchase',
      name: '采购',
      nameEn: 'Purchase',
      description: '采购申请：部门负责人审批后由行政与财务依次审批',
      aliases: ['采购', 'purchase'],
      form: [
        { key: 'items', label: '采购物品', labelEn: 'Items', type: 'textarea', required: true },
        { key: 'amount', label: '预计金额', labelEn: 'Amount', type: 'money', required: true },
        { key: 'vendor', label: '供应商', labelEn: 'Vendor', type: 'text' },
        { key: 'needBy', label: '期望到货', labelEn: 'Needed by', type: 'date' },
      ],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'head' },
          departmentHeadStep('head', 0, 'admin_finance'),
          {
            id: 'admin_finance',
            type: 'approval',
            name: '行政与财务',
            nameEn: 'Admin and finance',
            approvers: { kind: 'users', userIds: [u('hefang'), u('zhuhong')] },
            mode: 'sequential',
            emptyPolicy: 'admin',
            next: 'cashier',
          },
          {
            id: 'cashier',
            type: 'cc',
            name: '抄送出纳',
            nameEn: 'CC cashier',
            approvers: { kind: 'users', userIds: [u('guoting')] },
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ],
      },
      settings: {
        dedupe: 'consecutive',
        initiatorAutoPass: true,
        escalateAction: 'to_manager',
        titleField: 'items',
      },
    },
    {
      key: 'contract',
      name: '合同审批',
      nameEn: 'Contract',
      description: '销售合同审批：直属上级审批后，销售、财务与总经理会签',
      aliases: ['合同', '合同审批', 'contract'],
      form: [
        { key: 'contract', label: '合同', labelEn: 'Contract', type: 'contract', required: true },
        { key: 'customer', label: '客户', labelEn: 'Customer', type: 'customer' },
        { key: 'amount', label: '合同金额', labelEn: 'Amount', type: 'money', required: true },
        { key: 'notes', label: '说明', labelEn: 'Notes', type: 'textarea' },
        { key: 'files', label: '合同附件', labelEn: 'Files', type: 'attachment' },
      ],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'manager' },
          managerStep('countersign', 'skip'),
          {
            id: 'countersign',
            type: 'approval',
            name: '会签',
            nameEn: 'Joint sign-off',
            approvers: { kind: 'users', userIds: [u('liming'), u('zhuhong'), u('wangjianguo')] },
            mode: 'all',
            emptyPolicy: 'admin',
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ],
      },
      settings: {
        dedupe: 'none',
        initiatorAutoPass: true,
        escalateAction: 'to_manager',
        businessRefField: 'contract',
      },
    },
  ]
}

export { expenseTemplate, leaveTemplate }

/** Seeds the demo templates into a freshly seeded tenant (a `DemoSeeder`). */
export async function seedApprovalTemplates(db: DbOrTx, org: SeededOrg): Promise<void> {
  await installTemplates(db, org.tenantId, demoApprovalTemplates(org))
}
