import { checkDefinition } from '../../bot/domain/approvals/create-template'
import type { TemplateDefinitionInput } from '../../bot/domain/approvals/schemas'
import { newId } from '../../bot/lib/ids'
import type { DbOrTx } from '../client'
import { approvalTemplates, approvalTemplateVersions } from '../schema'
import type { SeededOrg } from './org'

const need = (map: Record<string, string>, key: string): string => {
  const v = map[key]
  if (!v) throw new Error(`demo org has no ${key}`)
  return v
}

/**
 * The demo tenant's ready templates: 请假 (over 3 days also goes to the head of the department above),
 * 报销 (over ¥5,000 also to finance), 采购 (department head, then admin and finance in turn), 合同审批
 * (manager, then a 会签 of sales, finance and the general manager; decides a CRM contract).
 */
export function demoApprovalTemplates(org: SeededOrg): TemplateDefinitionInput[] {
  const u = (k: string) => need(org.users, k)
  return [
    leaveTemplate(),
    expenseTemplate(),
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
          {
            id: 'head',
            type: 'approval',
            name: '部门负责人',
            approvers: { kind: 'department_head', level: 0 },
            mode: 'any',
            emptyPolicy: 'skip',
            next: 'admin_finance',
          },
          {
            id: 'admin_finance',
            type: 'approval',
            name: '行政与财务',
            approvers: { kind: 'users', userIds: [u('hefang'), u('zhuhong')] },
            mode: 'sequential',
            emptyPolicy: 'admin',
            next: 'cashier',
          },
          {
            id: 'cashier',
            type: 'cc',
            name: '抄送出纳',
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
          {
            id: 'manager',
            type: 'approval',
            name: '直属上级',
            approvers: { kind: 'manager', level: 1 },
            mode: 'any',
            emptyPolicy: 'skip',
            next: 'countersign',
          },
          {
            id: 'countersign',
            type: 'approval',
            name: '会签',
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

/** 请假: direct manager; over 3 days also the head of the department above; CC HR. */
export function leaveTemplate(): TemplateDefinitionInput {
  return {
    key: 'leave',
    name: '请假',
    nameEn: 'Leave',
    description: '请假申请：超过 3 天需上级部门负责人审批',
    aliases: ['请假', 'leave'],
    form: [
      {
        key: 'kind',
        label: '请假类型',
        labelEn: 'Type',
        type: 'select',
        required: true,
        options: [
          { value: 'annual', label: '年假' },
          { value: 'personal', label: '事假' },
          { value: 'sick', label: '病假' },
          { value: 'compensatory', label: '调休' },
        ],
      },
      { key: 'dates', label: '请假时间', labelEn: 'Dates', type: 'dateRange', required: true },
      {
        key: 'reason',
        label: '请假事由',
        labelEn: 'Reason',
        type: 'textarea',
        required: true,
        maxLength: 500,
      },
      { key: 'handover', label: '工作交接人', labelEn: 'Cover', type: 'user' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        {
          id: 'manager',
          type: 'approval',
          name: '直属上级',
          approvers: { kind: 'manager', level: 1 },
          mode: 'any',
          emptyPolicy: 'admin',
          next: 'days',
        },
        {
          id: 'days',
          type: 'condition',
          name: '请假天数',
          branches: [
            {
              name: '超过 3 天',
              when: [{ kind: 'form', field: 'dates', op: 'gt', value: 3 }],
              next: 'head',
            },
          ],
          defaultNext: 'hr',
        },
        {
          id: 'head',
          type: 'approval',
          name: '部门负责人',
          approvers: { kind: 'department_head', level: 1 },
          mode: 'any',
          emptyPolicy: 'skip',
          next: 'hr',
        },
        { id: 'hr', type: 'cc', name: '抄送人事', approvers: { kind: 'role', roleKey: 'hr' }, next: 'end' },
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      remindAfterHours: 4,
      escalateAfterHours: 24,
      escalateAction: 'to_manager',
      titleField: 'reason',
    },
  }
}

/** 报销: direct manager; over ¥5,000 also finance. */
export function expenseTemplate(): TemplateDefinitionInput {
  return {
    key: 'expense',
    name: '报销',
    nameEn: 'Expense',
    description: '费用报销：超过 5000 元需财务审批',
    aliases: ['报销', 'expense'],
    form: [
      {
        key: 'category',
        label: '费用类型',
        labelEn: 'Category',
        type: 'select',
        required: true,
        options: [
          { value: 'travel', label: '差旅' },
          { value: 'entertainment', label: '招待' },
          { value: 'office', label: '办公' },
          { value: 'other', label: '其他' },
        ],
      },
      { key: 'amount', label: '报销金额', labelEn: 'Amount', type: 'money', required: true, min: 1 },
      { key: 'date', label: '发生日期', labelEn: 'Date', type: 'date', required: true },
      { key: 'description', label: '费用说明', labelEn: 'Description', type: 'textarea', required: true },
      { key: 'receipts', label: '发票', labelEn: 'Receipts', type: 'attachment' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        {
          id: 'manager',
          type: 'approval',
          name: '直属上级',
          approvers: { kind: 'manager', level: 1 },
          mode: 'any',
          emptyPolicy: 'admin',
          next: 'amount',
        },
        {
          id: 'amount',
          type: 'condition',
          name: '报销金额',
          branches: [
            {
              name: '超过 5000 元',
              when: [{ kind: 'form', field: 'amount', op: 'gt', value: 500_000 }],
              next: 'finance',
            },
          ],
          defaultNext: 'end',
        },
        {
          id: 'finance',
          type: 'approval',
          name: '财务审批',
          approvers: { kind: 'role', roleKey: 'finance' },
          mode: 'any',
          emptyPolicy: 'admin',
          next: 'end',
        },
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'any_previous',
      initiatorAutoPass: true,
      remindAfterHours: 8,
      escalateAction: 'to_manager',
      titleField: 'description',
    },
  }
}

/** Seeds the demo templates into a freshly seeded tenant (a `DemoSeeder`). */
export async function seedApprovalTemplates(db: DbOrTx, org: SeededOrg): Promise<void> {
  for (const input of demoApprovalTemplates(org)) {
    const def = checkDefinition(input)
    const id = newId('apt')
    await db.insert(approvalTemplates).values({
      id,
      tenantId: org.tenantId,
      key: def.key,
      name: def.name,
      nameEn: def.nameEn ?? null,
      description: def.description ?? null,
      aliases: def.aliases,
      currentVersion: 1,
    })
    await db.insert(approvalTemplateVersions).values({
      id: newId('apv'),
      tenantId: org.tenantId,
      templateId: id,
      version: 1,
      form: def.form,
      flow: def.flow,
      settings: def.settings,
    })
  }
}
