import { z } from 'zod'

// ---------------------------------------------------------------------------------------------------------
// Template definition: form, flow, settings

export const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'money',
  'date',
  'dateRange',
  'select',
  'multiselect',
  'user',
  'department',
  'attachment',
  'image',
  'customer',
  'opportunity',
  'contract',
  'table',
] as const
export type FieldType = (typeof FIELD_TYPES)[number]

/** Column types a `table` (detail rows, 明细) field may hold: simple values only. */
export const TABLE_COLUMN_TYPES = ['text', 'number', 'money', 'date', 'select'] as const
export type TableColumnType = (typeof TABLE_COLUMN_TYPES)[number]

const fieldKey = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/, 'a key is a letter then letters, digits or _ (max 40)')

const optionList = z
  .array(
    z.object({
      value: z.string().min(1).max(60),
      label: z.string().min(1).max(60),
      labelEn: z.string().max(60).optional(),
    }),
  )
  .optional()

/** One column of a `table` field. */
export const TableColumnSchema = z.object({
  key: fieldKey,
  label: z.string().min(1).max(60),
  labelEn: z.string().max(60).optional(),
  type: z.enum(TABLE_COLUMN_TYPES),
  required: z.boolean().optional(),
  options: optionList,
  min: z.number().optional(),
  max: z.number().optional(),
  maxLength: z.number().int().positive().optional(),
})
export type TableColumn = z.infer<typeof TableColumnSchema>

export const FormFieldSchema = z.object({
  key: fieldKey,
  label: z.string().min(1).max(60),
  labelEn: z.string().max(60).optional(),
  type: z.enum(FIELD_TYPES),
  required: z.boolean().optional(),
  /** Options of select / multiselect. */
  options: optionList,
  min: z.number().optional(),
  max: z.number().optional(),
  maxLength: z.number().int().positive().optional(),
  placeholder: z.string().max(120).optional(),
  /** Shown on approvers' cards (the first four fields when none is marked). */
  showOnCard: z.boolean().optional(),
  /** Columns of a `table` field (detail rows). */
  columns: z.array(TableColumnSchema).min(1).max(12).optional(),
  /** Most rows a `table` field takes (default 50, at most 200). */
  maxRows: z.number().int().min(1).max(200).optional(),
  /**
   * A `table` field's sum check: the rows' `column` (number or money) must add up to the form's `field`
   * (number or money) — 报销 detail rows against the amount.
   */
  sumCheck: z.object({ column: fieldKey, field: fieldKey }).optional(),
})
export type FormField = z.infer<typeof FormFieldSchema>

/** Who approves a node. Resolved from the synced org when the request is submitted. */
export const ApproverSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('users'), userIds: z.array(z.string()).min(1).max(50) }),
  z.object({ kind: z.literal('role'), roleKey: z.string().min(1) }),
  /** The initiator's manager; level 1 is the direct manager, 2 the manager's manager, … */
  z.object({ kind: z.literal('manager'), level: z.number().int().min(1).max(10).default(1) }),
  /** A department's head: a given department, or the initiator's department `level` steps up (0 = own). */
  z.object({
    kind: z.literal('department_head'),
    departmentId: z.string().optional(),
    level: z.number().int().min(0).max(10).default(0),
  }),
  /** The initiator picks the approvers when submitting. */
  z.object({ kind: z.literal('initiator_chooses'), multiple: z.boolean().default(false) }),
])
export type ApproverSpec = z.infer<typeof ApproverSpecSchema>

export const ConditionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('form'),
    field: fieldKey,
    op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'in']),
    value: z.union([z.number(), z.string(), z.array(z.union([z.string(), z.number()]))]),
  }),
  /** The initiator belongs to one of these departments or one below them. */
  z.object({ kind: z.literal('department'), departmentIds: z.array(z.string()).min(1) }),
  z.object({ kind: z.literal('role'), roleKeys: z.array(z.string()).min(1) }),
])
export type Condition = z.infer<typeof ConditionSchema>

const nodeId = z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'node ids are 1-40 letters, digits, _ or -')

export const FlowNodeSchema = z.discriminatedUnion('type', [
  z.object({ id: nodeId, type: z.literal('start'), next: nodeId }),
  z.object({ id: nodeId, type: z.literal('end') }),
  z.object({
    id: nodeId,
    type: z.literal('approval'),
    name: z.string().min(1).max(40),
    nameEn: z.string().max(60).optional(),
    approvers: ApproverSpecSchema,
    mode: z.enum(['sequential', 'all', 'any']).default('any'),
    /** When nobody resolves: pass the node, or hand it to the template admin. */
    emptyPolicy: z.enum(['skip', 'admin']).default('admin'),
    next: nodeId,
  }),
  z.object({
    id: nodeId,
    type: z.literal('cc'),
    name: z.string().min(1).max(40),
    nameEn: z.string().max(60).optional(),
    approvers: ApproverSpecSchema,
    next: nodeId,
  }),
  z.object({
    id: nodeId,
    type: z.literal('condition'),
    name: z.string().min(1).max(40),
    /** Checked in order; all conditions of a branch must hold. */
    branches: z
      .array(z.object({ name: z.string().max(40), when: z.array(ConditionSchema).min(1), next: nodeId }))
      .min(1),
    /** The branch taken when no other holds. Required. */
    defaultNext: nodeId.optional(),
  }),
])
export type FlowNode = z.infer<typeof FlowNodeSchema>
export type ApprovalNode = Extract<FlowNode, { type: 'approval' }>
export type CcNode = Extract<FlowNode, { type: 'cc' }>

export const FlowGraphSchema = z.object({ nodes: z.array(FlowNodeSchema).min(2).max(200) })
export type FlowGraph = z.infer<typeof FlowGraphSchema>

export const TemplateSettingsSchema = z.object({
  /** 去重: an approver who already approved (the step before, or anywhere earlier) passes automatically. */
  dedupe: z.enum(['none', 'consecutive', 'any_previous']).default('none'),
  /** The initiator is an approver of a step → that task passes automatically. */
  initiatorAutoPass: z.boolean().default(false),
  /** Remind the approver after this many hours. */
  remindAfterHours: z.number().positive().max(720).optional(),
  /** After this many hours, act automatically. */
  escalateAfterHours: z.number().positive().max(2160).optional(),
  escalateAction: z.enum(['auto_approve', 'auto_reject', 'to_manager']).default('to_manager'),
  /** Approvers used by the empty-approver policy `admin` (default: the tenant's admins). */
  adminUserIds: z.array(z.string()).max(20).optional(),
  /** Announce the result in this group chat as well. */
  resultChatId: z.string().optional(),
  /** A field whose value names the business record (a CRM contract), for the `approval.finished` hook. */
  businessRefField: z.string().optional(),
  /** Field shown as the title suffix (e.g. the reason). */
  titleField: z.string().optional(),
})
export type TemplateSettings = z.infer<typeof TemplateSettingsSchema>

export const TemplateDefinitionSchema = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/, 'a template key is lower-case letters, digits, _ or -'),
  name: z.string().min(1).max(40),
  nameEn: z.string().max(60).optional(),
  description: z.string().max(500).optional(),
  aliases: z.array(z.string().min(1).max(20)).max(10).default([]),
  form: z.array(FormFieldSchema).min(1).max(60),
  flow: FlowGraphSchema,
  settings: TemplateSettingsSchema.default({
    dedupe: 'none',
    initiatorAutoPass: false,
    escalateAction: 'to_manager',
  }),
})
export type TemplateDefinition = z.infer<typeof TemplateDefinitionSchema>
export type TemplateDefinitionInput = z.input<typeof TemplateDefinitionSchema>

// ---------------------------------------------------------------------------------------------------------
// The plan: the flow resolved for one submission

export interface PlanStep {
  nodeId: string
  type: 'approval' | 'cc'
  name: string
  /** The node's English name, when the template gives one. */
  nameEn?: string
  mode: 'sequential' | 'all' | 'any'
  approverIds: string[]
  /** Nobody resolved and the policy is skip. */
  skipped?: boolean
  /** Nobody resolved and the node went to the admin. */
  toAdmin?: boolean
}

// ---------------------------------------------------------------------------------------------------------
// Verb inputs

const comment = z.string().trim().max(1000).optional()

export const StartInstanceInput = z.object({
  templateKey: z.string().min(1),
  form: z.record(z.string(), z.unknown()),
  /** Approvers chosen by the initiator, by node id. */
  approvers: z.record(z.string(), z.array(z.string()).min(1).max(20)).optional(),
})
export type StartInstanceInput = z.infer<typeof StartInstanceInput>

export const DecideTaskInput = z.object({
  taskId: z.string().min(1),
  comment,
  /** The task version the card showed; a stale card is refused. */
  version: z.number().int().positive().optional(),
})
export type DecideTaskInput = z.infer<typeof DecideTaskInput>

export const ReturnTaskInput = DecideTaskInput.extend({
  /** An earlier approval node to send the request back to; absent → back to the initiator. */
  toNodeId: z.string().optional(),
})
export type ReturnTaskInput = z.infer<typeof ReturnTaskInput>

export const TransferTaskInput = DecideTaskInput.extend({ toUserId: z.string().min(1) })
export type TransferTaskInput = z.infer<typeof TransferTaskInput>

export const AddSignerInput = DecideTaskInput.extend({
  userId: z.string().min(1),
  position: z.enum(['before', 'after']),
})
export type AddSignerInput = z.infer<typeof AddSignerInput>

export const InstanceActionInput = z.object({ instanceId: z.string().min(1), comment })
export type InstanceActionInput = z.infer<typeof InstanceActionInput>

export const ResubmitInput = z.object({
  instanceId: z.string().min(1),
  form: z.record(z.string(), z.unknown()).optional(),
  approvers: z.record(z.string(), z.array(z.string()).min(1).max(20)).optional(),
  comment,
})
export type ResubmitInput = z.infer<typeof ResubmitInput>

export const ListInstancesInput = z.object({
  box: z.enum(['mine', 'todo', 'done', 'cc']).default('mine'),
  status: z.enum(['pending', 'approved', 'rejected', 'returned', 'withdrawn', 'cancelled']).optional(),
  templateKey: z.string().optional(),
  q: z.string().max(60).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
})
export type ListInstancesInput = z.infer<typeof ListInstancesInput>

export const StatisticsInput = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  /** A pending task older than this many hours is overdue. */
  overdueHours: z.coerce.number().positive().max(2160).default(24),
})
export type StatisticsInput = z.infer<typeof StatisticsInput>
