import { relations, sql } from 'drizzle-orm'
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { at, createdAt, id, tenantId, updatedAt } from './_columns'

/**
 * Approval templates (审批模板). The template row is the stable identity (`leave`, `expense`); every edit of
 * its form or flow writes a new row in `approval_template_versions`, and running instances keep the version
 * they started with.
 */
export const approvalTemplates = pgTable(
  'approval_templates',
  {
    id: id(),
    tenantId: tenantId(),
    /** Stable key used in commands and links (`leave`, `expense`). */
    key: text().notNull(),
    name: text().notNull(),
    nameEn: text(),
    description: text(),
    /** Chat command words that start this template (`请假`, `leave`). */
    aliases: jsonb().$type<string[]>().notNull().default([]),
    currentVersion: integer().notNull().default(1),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('approval_templates_tenant_key_uq').on(t.tenantId, t.key)],
)

export const approvalTemplateVersions = pgTable(
  'approval_template_versions',
  {
    id: id(),
    tenantId: tenantId(),
    templateId: text().notNull(),
    version: integer().notNull(),
    /** Form fields (see bot/domain/approvals/schemas.ts `FormField`). */
    form: jsonb().$type<unknown[]>().notNull(),
    /** Flow graph (`FlowGraph`). */
    flow: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Automatic rules (`TemplateSettings`): dedupe, auto-pass, reminders, escalation, result chat. */
    settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdBy: text(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('approval_template_versions_uq').on(t.templateId, t.version)],
)

export type ApprovalInstanceStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'returned'
  | 'withdrawn'
  | 'cancelled'

/** One request (审批单). `version` grows with every state change; cards and updates carry it. */
export const approvalInstances = pgTable(
  'approval_instances',
  {
    id: id(),
    tenantId: tenantId(),
    /** Human serial number shown on cards (`202612010001`). */
    serialNo: text().notNull(),
    templateId: text().notNull(),
    templateVersionId: text().notNull(),
    templateVersion: integer().notNull(),
    title: text().notNull(),
    initiatorId: text().notNull(),
    initiatorDepartmentId: text(),
    /** Validated form values. */
    form: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: ['pending', 'approved', 'rejected', 'returned', 'withdrawn', 'cancelled'] })
      .notNull()
      .default('pending'),
    version: integer().notNull().default(1),
    /** The flow resolved for this submission: the ordered approval and CC steps with their approvers. */
    plan: jsonb().$type<unknown[]>().notNull(),
    /** Index into `plan` of the step being decided. */
    stepIndex: integer().notNull().default(0),
    /** Grows at each return or resubmission; tasks of older rounds are history. */
    round: integer().notNull().default(1),
    /** Approvers chosen by the initiator, by node id. */
    chosenApprovers: jsonb().$type<Record<string, string[]>>().notNull().default({}),
    /** The business record this approval decides (`contract:ctr_…`), for the `approval.finished` hook. */
    businessRef: text(),
    lastUrgedAt: at(),
    finishedAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('approval_instances_initiator_idx').on(t.tenantId, t.initiatorId, t.createdAt),
    index('approval_instances_tenant_status_idx').on(t.tenantId, t.status, t.createdAt),
    index('approval_instances_template_idx').on(t.tenantId, t.templateId, t.createdAt),
    uniqueIndex('approval_instances_serial_uq').on(t.tenantId, t.serialNo),
  ],
)

export type ApprovalTaskStatus =
  | 'waiting'
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'returned'
  | 'transferred'
  | 'cancelled'
  | 'cc'

/**
 * One person's piece of work on one step: an approval task (pending until decided) or a CC notice. The
 * status change of a task is a compare-and-set on `status` and `version`.
 */
export const approvalTasks = pgTable(
  'approval_tasks',
  {
    id: id(),
    tenantId: tenantId(),
    instanceId: text().notNull(),
    stepIndex: integer().notNull(),
    nodeId: text().notNull(),
    round: integer().notNull(),
    kind: text({ enum: ['approve', 'cc'] }).notNull(),
    /** Order inside a sequential step (and for add-signs). */
    seq: integer().notNull().default(0),
    assigneeId: text().notNull(),
    status: text({
      enum: ['waiting', 'pending', 'approved', 'rejected', 'returned', 'transferred', 'cancelled', 'cc'],
    }).notNull(),
    version: integer().notNull().default(1),
    /** How the task came to be: the flow, a transfer, or an add-sign before/after another task. */
    origin: text({ enum: ['flow', 'transfer', 'add_before', 'add_after'] })
      .notNull()
      .default('flow'),
    parentTaskId: text(),
    /** Approved without a tap: dedupe, initiator auto-pass, or escalation. */
    auto: text({ enum: ['dedupe', 'initiator', 'escalation'] }),
    /** Who ended the task (the assignee, or the peer/initiator/admin whose action cancelled it). */
    decidedBy: text(),
    decidedAt: at(),
    comment: text(),
    activatedAt: at(),
    createdAt: createdAt(),
  },
  (t) => [
    index('approval_tasks_instance_idx').on(t.instanceId, t.round, t.stepIndex),
    index('approval_tasks_assignee_idx').on(t.tenantId, t.assigneeId, t.status),
  ],
)

/** Append-only history of an instance (a trigger refuses UPDATE and DELETE). */
export const approvalTimeline = pgTable(
  'approval_timeline',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    instanceId: text().notNull(),
    taskId: text(),
    actorId: text(),
    actorKind: text().notNull(),
    action: text().notNull(),
    comment: text(),
    before: jsonb(),
    after: jsonb(),
    at: timestamp({ withTimezone: true, mode: 'date' }).notNull().default(sql`now()`),
  },
  (t) => [index('approval_timeline_instance_idx').on(t.tenantId, t.instanceId, t.id)],
)

export const approvalTemplatesRelations = relations(approvalTemplates, ({ many }) => ({
  versions: many(approvalTemplateVersions),
}))

export const approvalTemplateVersionsRelations = relations(approvalTemplateVersions, ({ one }) => ({
  template: one(approvalTemplates, {
    fields: [approvalTemplateVersions.templateId],
    references: [approvalTemplates.id],
  }),
}))

export const approvalInstancesRelations = relations(approvalInstances, ({ many }) => ({
  tasks: many(approvalTasks),
  timeline: many(approvalTimeline),
}))

export const approvalTasksRelations = relations(approvalTasks, ({ one }) => ({
  instance: one(approvalInstances, {
    fields: [approvalTasks.instanceId],
    references: [approvalInstances.id],
  }),
}))

export const approvalTimelineRelations = relations(approvalTimeline, ({ one }) => ({
  instance: one(approvalInstances, {
    fields: [approvalTimeline.instanceId],
    references: [approvalInstances.id],
  }),
}))
