import type { DbOrTx } from '../../../db/client'
import { approvalTemplates, approvalTemplateVersions } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { contractApprovalTemplate } from '../contracts/approval-template'
import { paymentApprovalTemplate } from '../payments/approval-template'
import { checkDefinition } from './create-template'
import {
  ccRoleStep,
  departmentHeadStep as departmentHead,
  financeStep as finance,
  managerStep as manager,
} from './flow-builder'
import type { TemplateDefinitionInput } from './schemas'

/*
 * The approval templates every tenant starts with, so 「发起 请假」 works on day one with nobody configuring
 * anything. Approvers come from the synced org (direct manager, department heads) and from the default
 * roles 人事 (hr) and 财务 (finance); a step nobody resolves to goes to the tenant's admins, or is skipped
 * where that is the sensible thing (a CEO has no manager). Admins edit or disable them like any template.
 */

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
          { value: 'annual', label: '年假', labelEn: 'Annual leave' },
          { value: 'personal', label: '事假', labelEn: 'Personal leave' },
          { value: 'sick', label: '病假', labelEn: 'Sick leave' },
          { value: 'compensatory', label: '调休', labelEn: 'Time off in lieu' },
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
        manager('days'),
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
          nameEn: 'Department head',
          approvers: { kind: 'department_head', level: 1 },
          mode: 'any',
          emptyPolicy: 'skip',
          next: 'hr',
        },
        ccRoleStep('hr', 'hr', '抄送人事', 'CC HR', 'end'),
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
          { value: 'travel', label: '差旅', labelEn: 'Travel' },
          { value: 'entertainment', label: '招待', labelEn: 'Entertainment' },
          { value: 'office', label: '办公', labelEn: 'Office' },
          { value: 'other', label: '其他', labelEn: 'Other' },
        ],
      },
      { key: 'amount', label: '报销金额', labelEn: 'Amount', type: 'money', required: true, min: 1 },
      { key: 'date', label: '发生日期', labelEn: 'Date', type: 'date', required: true },
      { key: 'description', label: '费用说明', labelEn: 'Description', type: 'textarea', required: true },
      {
        key: 'items',
        label: '费用明细',
        labelEn: 'Items',
        type: 'table',
        maxRows: 50,
        columns: [
          { key: 'date', label: '日期', labelEn: 'Date', type: 'date' },
          { key: 'item', label: '项目', labelEn: 'Item', type: 'text', required: true, maxLength: 100 },
          { key: 'amount', label: '金额', labelEn: 'Amount', type: 'money', required: true, min: 1 },
        ],
        // The rows must add up to the amount claimed: a bad sum is refused naming this field.
        sumCheck: { column: 'amount', field: 'amount' },
      },
      { key: 'receipts', label: '发票', labelEn: 'Receipts', type: 'attachment' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        manager('amount'),
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
        finance('end'),
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

/** 加班: direct manager, then the department head; CC HR. */
export function overtimeTemplate(): TemplateDefinitionInput {
  return {
    key: 'overtime',
    name: '加班',
    nameEn: 'Overtime',
    description: '加班申请：直属上级审批后部门负责人审批，抄送人事',
    aliases: ['加班', 'overtime'],
    form: [
      { key: 'dates', label: '加班时间', labelEn: 'When', type: 'dateRange', required: true },
      {
        key: 'hours',
        label: '加班时长（小时）',
        labelEn: 'Hours',
        type: 'number',
        required: true,
        min: 0.5,
        max: 24,
      },
      {
        key: 'compensation',
        label: '补偿方式',
        labelEn: 'Compensation',
        type: 'select',
        required: true,
        options: [
          { value: 'time_off', label: '调休', labelEn: 'Time off in lieu' },
          { value: 'pay', label: '加班费', labelEn: 'Overtime pay' },
        ],
      },
      {
        key: 'reason',
        label: '加班事由',
        labelEn: 'Reason',
        type: 'textarea',
        required: true,
        maxLength: 500,
      },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        manager('head'),
        departmentHead('head', 0, 'hr'),
        ccRoleStep('hr', 'hr', '抄送人事', 'CC HR', 'end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      titleField: 'reason',
    },
  }
}

/** 出差: direct manager; trips over 5 days also the head of the department above; CC HR. */
export function tripTemplate(): TemplateDefinitionInput {
  return {
    key: 'trip',
    name: '出差',
    nameEn: 'Business trip',
    description: '出差申请：超过 5 天需上级部门负责人审批，抄送人事',
    aliases: ['出差', 'trip'],
    form: [
      {
        key: 'destination',
        label: '目的地',
        labelEn: 'Destination',
        type: 'text',
        required: true,
        maxLength: 100,
      },
      { key: 'dates', label: '出差时间', labelEn: 'Dates', type: 'dateRange', required: true },
      {
        key: 'transport',
        label: '交通方式',
        labelEn: 'Transport',
        type: 'select',
        options: [
          { value: 'train', label: '火车', labelEn: 'Train' },
          { value: 'plane', label: '飞机', labelEn: 'Plane' },
          { value: 'car', label: '汽车', labelEn: 'Car' },
          { value: 'other', label: '其他', labelEn: 'Other' },
        ],
      },
      { key: 'budget', label: '预计费用', labelEn: 'Budget', type: 'money', min: 0 },
      {
        key: 'purpose',
        label: '出差事由',
        labelEn: 'Purpose',
        type: 'textarea',
        required: true,
        maxLength: 500,
      },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        manager('days'),
        {
          id: 'days',
          type: 'condition',
          name: '出差天数',
          branches: [
            { name: '超过 5 天', when: [{ kind: 'form', field: 'dates', op: 'gt', value: 5 }], next: 'head' },
          ],
          defaultNext: 'hr',
        },
        departmentHead('head', 1, 'hr'),
        ccRoleStep('hr', 'hr', '抄送人事', 'CC HR', 'end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      titleField: 'purpose',
    },
  }
}

/** 采购: department head; over ¥10,000 also finance; CC finance. */
export function purchaseTemplate(): TemplateDefinitionInput {
  return {
    key: 'purchase',
    name: '采购',
    nameEn: 'Purchase',
    description: '采购申请：部门负责人审批，超过 10000 元需财务审批',
    aliases: ['采购', 'purchase'],
    form: [
      { key: 'items', label: '采购物品', labelEn: 'Items', type: 'textarea', required: true },
      { key: 'amount', label: '预计金额', labelEn: 'Amount', type: 'money', required: true, min: 1 },
      { key: 'vendor', label: '供应商', labelEn: 'Vendor', type: 'text' },
      { key: 'needBy', label: '期望到货', labelEn: 'Needed by', type: 'date' },
      { key: 'quotes', label: '报价单', labelEn: 'Quotes', type: 'attachment' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'head' },
        { ...departmentHead('head', 0, 'amount'), emptyPolicy: 'admin' },
        {
          id: 'amount',
          type: 'condition',
          name: '采购金额',
          branches: [
            {
              name: '超过 10000 元',
              when: [{ kind: 'form', field: 'amount', op: 'gt', value: 1_000_000 }],
              next: 'finance',
            },
          ],
          defaultNext: 'cc_finance',
        },
        finance('end'),
        ccRoleStep('cc_finance', 'finance', '抄送财务', 'CC finance', 'end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      titleField: 'items',
    },
  }
}

/** 用印: direct manager, then the department head; CC HR (who keep the seals). */
export function sealTemplate(): TemplateDefinitionInput {
  return {
    key: 'seal',
    name: '用印',
    nameEn: 'Company seal',
    description: '用印申请：直属上级与部门负责人审批，抄送人事行政',
    aliases: ['用印', 'seal'],
    form: [
      {
        key: 'seal',
        label: '印章类型',
        labelEn: 'Seal',
        type: 'select',
        required: true,
        options: [
          { value: 'company', label: '公章', labelEn: 'Company seal' },
          { value: 'contract', label: '合同章', labelEn: 'Contract seal' },
          { value: 'finance', label: '财务章', labelEn: 'Finance seal' },
          { value: 'legal', label: '法人章', labelEn: 'Legal representative seal' },
        ],
      },
      {
        key: 'document',
        label: '文件名称',
        labelEn: 'Document',
        type: 'text',
        required: true,
        maxLength: 100,
      },
      { key: 'copies', label: '份数', labelEn: 'Copies', type: 'number', required: true, min: 1, max: 100 },
      {
        key: 'reason',
        label: '用印事由',
        labelEn: 'Reason',
        type: 'textarea',
        required: true,
        maxLength: 500,
      },
      { key: 'files', label: '文件附件', labelEn: 'Files', type: 'attachment' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        manager('head'),
        departmentHead('head', 0, 'hr'),
        ccRoleStep('hr', 'hr', '抄送人事行政', 'CC HR and admin', 'end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'consecutive',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      titleField: 'document',
    },
  }
}

/** 付款申请: direct manager, finance; over ¥50,000 first the head of the department above. */
export function paymentTemplate(): TemplateDefinitionInput {
  return {
    key: 'payment',
    name: '付款申请',
    nameEn: 'Payment request',
    description: '付款申请：直属上级审批后财务审批，超过 50000 元需上级部门负责人审批',
    aliases: ['付款', '付款申请', 'payment'],
    form: [
      { key: 'payee', label: '收款单位', labelEn: 'Payee', type: 'text', required: true, maxLength: 100 },
      { key: 'account', label: '收款账号', labelEn: 'Account', type: 'text', required: true, maxLength: 60 },
      { key: 'bank', label: '开户行', labelEn: 'Bank', type: 'text', maxLength: 100 },
      { key: 'amount', label: '付款金额', labelEn: 'Amount', type: 'money', required: true, min: 1 },
      { key: 'dueDate', label: '付款日期', labelEn: 'Pay by', type: 'date' },
      {
        key: 'purpose',
        label: '付款事由',
        labelEn: 'Purpose',
        type: 'textarea',
        required: true,
        maxLength: 500,
      },
      { key: 'files', label: '附件', labelEn: 'Files', type: 'attachment' },
    ],
    flow: {
      nodes: [
        { id: 'start', type: 'start', next: 'manager' },
        manager('amount'),
        {
          id: 'amount',
          type: 'condition',
          name: '付款金额',
          branches: [
            {
              name: '超过 50000 元',
              when: [{ kind: 'form', field: 'amount', op: 'gt', value: 5_000_000 }],
              next: 'head',
            },
          ],
          defaultNext: 'finance',
        },
        departmentHead('head', 1, 'finance'),
        finance('end'),
        { id: 'end', type: 'end' },
      ],
    },
    settings: {
      dedupe: 'any_previous',
      initiatorAutoPass: true,
      escalateAction: 'to_manager',
      titleField: 'purpose',
    },
  }
}

/** Every default template, in the order the help and the mini-app list them. */
export function defaultApprovalTemplates(): TemplateDefinitionInput[] {
  return [
    leaveTemplate(),
    overtimeTemplate(),
    tripTemplate(),
    expenseTemplate(),
    purchaseTemplate(),
    sealTemplate(),
    paymentTemplate(),
    // 合同审批 is the contracts' own: it references the contract, whose state follows the outcome.
    contractApprovalTemplate(),
    paymentApprovalTemplate(),
  ]
}

/**
 * Writes templates at version 1 into a tenant, skipping any key the tenant already has (an admin's edit
 * or a template disabled on purpose stays as it is). Used for new tenants and by the demo seed.
 */
export async function installTemplates(
  db: DbOrTx,
  tenantId: string,
  inputs: readonly TemplateDefinitionInput[],
): Promise<number> {
  // Two statements whatever the count (a new tenant's first login waits for this): every template row at
  // once, then the first version of each one that was new (a key already there keeps its own).
  const defs = inputs.map((input) => ({ def: checkDefinition(input), id: newId('apt') }))
  if (defs.length === 0) return 0
  const inserted = await db
    .insert(approvalTemplates)
    .values(
      defs.map(({ def, id }) => ({
        id,
        tenantId,
        key: def.key,
        name: def.name,
        nameEn: def.nameEn ?? null,
        description: def.description ?? null,
        aliases: def.aliases,
        currentVersion: 1,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: approvalTemplates.id })
  const fresh = new Set(inserted.map((r) => r.id))
  const versions = defs
    .filter(({ id }) => fresh.has(id))
    .map(({ def, id }) => ({
      id: newId('apv'),
      tenantId,
      templateId: id,
      version: 1,
      form: def.form,
      flow: def.flow,
      settings: def.settings,
    }))
  if (versions.length > 0) await db.insert(approvalTemplateVersions).values(versions)
  return versions.length
}
