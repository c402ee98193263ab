import { relations, sql } from 'drizzle-orm'
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
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
    /** Set when an external system registered the template for its own requests (not started from chat). */
    externalSystemId: text(),
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

/** Where an externally started request came from, copied onto the instance so cards need no join. */
export interface ExternalOrigin {
  systemId: string
  systemName: string
  externalId: string
  /** Link back to the record in the external system. */
  link: string | null
}

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
    /** Set when an external system (ERP, HR) started the request: shown on cards, drives its webhook. */
    external: jsonb().$type<ExternalOrigin>(),
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

/**
 * Records a form field points at (CRM customer, opportunity, contract), so the customer card can list the
 * approvals about it without scanning form JSON.
 */
export const approvalReferences = pgTable(
  'approval_references',
  {
    tenantId: tenantId(),
    instanceId: text().notNull(),
    kind: text({ enum: ['customer', 'opportunity', 'contract'] }).notNull(),
    refId: text().notNull(),
    field: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.instanceId, t.kind, t.refId, t.field] }),
    index('approval_references_ref_idx').on(t.tenantId, t.kind, t.refId),
  ],
)

/**
 * Files uploaded for attachment/image fields. The blob lives in the storage port under `key`; the row
 * says who uploaded it (only they may put it in a form) and, once submitted, which request holds it (whose
 * participants may download it).
 */
export const approvalFiles = pgTable(
  'approval_files',
  {
    key: text().primaryKey(),
    tenantId: tenantId(),
    uploaderId: text().notNull(),
    name: text().notNull(),
    contentType: text().notNull(),
    size: integer().notNull(),
    instanceId: text(),
    createdAt: createdAt(),
  },
  (t) => [
    index('approval_files_uploader_idx').on(t.tenantId, t.uploaderId, t.createdAt),
    index('approval_files_instance_idx').on(t.tenantId, t.instanceId),
  ],
)

/**
 * An external system (ERP, HR, finance) allowed to start approvals through the signed API and told of
 * their outcome by a signed webhook. The secret signs both directions; after a rotation the previous one
 * still verifies inbound calls for a grace period.
 */
export const approvalExternalSystems = pgTable(
  'approval_external_systems',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    webhookUrl: text().notNull(),
    secret: text().notNull(),
    previousSecret: text(),
    previousSecretUntil: at(),
    active: boolean().notNull().default(true),
    createdBy: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    rotatedAt: at(),
  },
  (t) => [uniqueIndex('approval_external_systems_name_uq').on(t.tenantId, t.name)],
)

/** Signature nonces seen inside the replay window; the primary key makes a replay fail atomically. */
export const approvalExternalNonces = pgTable(
  'approval_external_nonces',
  {
    systemId: text().notNull(),
    nonce: text().notNull(),
    at: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.systemId, t.nonce] }), index('approval_external_nonces_at_idx').on(t.at)],
)

/**
 * One start call of an external system. The idempotency key (default: the external id) makes a retried
 * start return the instance it already created; the body hash tells a retry from a conflicting reuse.
 */
export const approvalExternalRequests = pgTable(
  'approval_external_requests',
  {
    id: id(),
    tenantId: tenantId(),
    systemId: text().notNull(),
    externalId: text().notNull(),
    idempotencyKey: text().notNull(),
    requestHash: text().notNull(),
    instanceId: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('approval_external_requests_idem_uq').on(t.systemId, t.idempotencyKey),
    index('approval_external_requests_ext_idx').on(t.tenantId, t.systemId, t.externalId, t.createdAt),
    index('approval_external_requests_instance_idx').on(t.tenantId, t.instanceId),
  ],
)

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed'

/**
 * One event for an external system (`approval.finished`), delivered by a signed POST and retried with
 * exponential backoff until a 2xx or the last attempt. The id is the event id the receiver dedupes on.
 */
export const approvalWebhookDeliveries = pgTable(
  'approval_webhook_deliveries',
  {
    id: id(),
    tenantId: tenantId(),
    systemId: text().notNull(),
    instanceId: text().notNull(),
    event: text().notNull(),
    /** The exact JSON body sent on every attempt. */
    body: text().notNull(),
    status: text({ enum: ['pending', 'delivered', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer().notNull().default(0),
    lastStatusCode: integer(),
    lastError: text(),
    nextAttemptAt: at(),
    deliveredAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('approval_webhook_deliveries_system_idx').on(t.tenantId, t.systemId, t.createdAt),
    index('approval_webhook_deliveries_instance_idx').on(t.tenantId, t.instanceId),
  ],
)

/** Every delivery attempt: when, the HTTP status (null when none came back) and the error. */
export const approvalWebhookAttempts = pgTable(
  'approval_webhook_attempts',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    deliveryId: text().notNull(),
    attempt: integer().notNull(),
    statusCode: integer(),
    error: text(),
    durationMs: integer().notNull(),
    at: createdAt(),
  },
  (t) => [uniqueIndex('approval_webhook_attempts_uq').on(t.deliveryId, t.attempt)],
)
