import { z } from 'zod'
import type { Card, InboundEvent } from '../chat/model'
import { APPROVAL_WEBHOOK } from './approvals/external/webhooks'
import { ApprovalFinishedEvent } from './approvals/on-finished'
import { APPROVAL_ESCALATE, APPROVAL_FINISHED, APPROVAL_REMIND } from './approvals/publish'
import { SEND_CARD_UPDATE, SEND_MESSAGE } from './chat/send'
import { FOLLOW_UP_REMINDER } from './crm/create-follow-up'
import { IMPORT_RUN } from './crm/start-import'
import { LEAD_NOTIFY, LEAD_TIMER } from './leads/lifecycle'
import { NOTICE_TOPICS } from './notices/schemas'
import { OPPORTUNITY_ASSIGNED, OPPORTUNITY_SLIPPED } from './opportunities/events'
import { OPPORTUNITY_STALLED } from './opportunities/scan-stalled'
import { APPLY_CONTACT_CHANGE, SYNC_DIRECTORY } from './org/topics'
import { CUSTOMER_VALUE_REFRESH } from './payments/record-payment'
import { PAYMENT_OVERDUE } from './payments/scan-overdue'
import { SERVICE_TIMER } from './service/lifecycle'

/**
 * The job catalogue: each job name the domain writes to the outbox, with the zod schema of its payload.
 * Processors parse a payload with it before acting (jobs/catalogue.ts), so a malformed row is logged and
 * failed instead of crashing a worker. Every job name is declared here once: the worker refuses to start with
 * a processor whose name is missing (jobs/catalogue.ts).
 */
const tenantId = z.string().min(1)
const id = z.string().min(1)
const card = z.custom<Card>((v) => typeof v === 'object' && v !== null && 'elements' in v, 'a card')
const view = z.object({ kind: z.string().min(1), data: z.unknown() })

export const sendMessagePayload = z.object({
  tenantId,
  to: z.union([z.object({ userId: id }), z.object({ chatId: id })]),
  content: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('card'), card }),
    z.object({ kind: z.literal('view'), view }),
    z.object({ kind: z.literal('text'), text: z.string() }),
  ]),
  ref: z.string().optional(),
  version: z.number().int().optional(),
  replyTo: z.string().optional(),
  locale: z.enum(['zh-CN', 'en']).optional(),
})

export const cardUpdatePayload = z.union([
  z.object({
    tenantId,
    ref: z.string().min(1),
    version: z.number().int(),
    card,
    view: z.undefined().optional(),
  }),
  z.object({
    tenantId,
    ref: z.string().min(1),
    version: z.number().int(),
    view,
    card: z.undefined().optional(),
  }),
])

const noticeStep = z.object({ tenantId, noticeId: id, seq: z.number().int() })
/** A repeatable scan: every tenant with work, or the one named. */
const scan = z.object({ tenantId: tenantId.optional() })
const inboundEvent = z.custom<InboundEvent>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string',
  'an inbound event',
)
const approvalTask = z.object({ tenantId, taskId: id, taskVersion: z.number().int() })
const opportunity = z.object({ tenantId, opportunityId: id })

export const leadNotifyPayload = z.object({
  tenantId,
  leadId: id,
  kind: z.enum(['assigned', 'sla_reminder', 'sla_escalation', 'recycled', 'claimed_back']),
  to: id,
  seq: z.number().int(),
})

export const leadTimerPayload = z.object({
  tenantId,
  leadId: id,
  step: z.enum(['sla_reminder', 'sla_escalation', 'recycle']),
  seq: z.number().int(),
})

export const serviceTimerPayload = z.object({
  tenantId,
  ticketId: id,
  step: z.enum(['response_reminder', 'response_escalation', 'resolution_reminder', 'resolution_escalation']),
  seq: z.number().int(),
})

export const jobCatalogue = {
  [SEND_MESSAGE]: sendMessagePayload,
  [SEND_CARD_UPDATE]: cardUpdatePayload,
  [NOTICE_TOPICS.publishScheduled]: z.object({ tenantId, noticeId: id, scheduledAt: z.string() }),
  [NOTICE_TOPICS.fanout]: noticeStep,
  [NOTICE_TOPICS.fanoutWatch]: noticeStep,
  [NOTICE_TOPICS.refreshCards]: z.object({ tenantId, noticeId: id, version: z.number().int() }),
  [NOTICE_TOPICS.remindStep]: z.object({
    tenantId,
    noticeId: id,
    step: z.union([z.literal(1), z.literal(2)]),
    manual: z.boolean().optional(),
  }),
  [NOTICE_TOPICS.urgent]: z.object({ tenantId, noticeId: id, userId: id, platformMessageId: id }),
  [NOTICE_TOPICS.pollReads]: z.object({ tenantId, noticeId: id, seq: z.number().int().optional() }),
  [APPROVAL_REMIND]: approvalTask,
  [APPROVAL_ESCALATE]: approvalTask,
  [APPROVAL_FINISHED]: ApprovalFinishedEvent.extend({ tenantId }),
  [APPROVAL_WEBHOOK]: z.object({ tenantId, deliveryId: id, attempt: z.number().int().min(1) }),
  'crm.pool.scan': scan,
  [FOLLOW_UP_REMINDER]: z.object({ tenantId, followUpId: id }),
  [IMPORT_RUN]: z.object({ tenantId, jobId: id, userId: id }),
  'sales.payments.overdue_scan': scan,
  'sales.customer_value.assess': scan,
  'sales.opportunities.stall_scan': scan,
  'sales.opportunities.win_refresh': scan,
  [PAYMENT_OVERDUE]: z.object({ tenantId, instalmentId: id }),
  [CUSTOMER_VALUE_REFRESH]: z.object({ tenantId, customerId: id }),
  [OPPORTUNITY_STALLED]: opportunity,
  [OPPORTUNITY_ASSIGNED]: opportunity,
  [OPPORTUNITY_SLIPPED]: opportunity.extend({ from: z.string().min(1), to: z.string().min(1) }),
  [LEAD_NOTIFY]: leadNotifyPayload,
  [LEAD_TIMER]: leadTimerPayload,
  [SERVICE_TIMER]: serviceTimerPayload,
  'service.sla.scan': z.object({}).strict(),
  'reports.digests.scan': scan,
  [SYNC_DIRECTORY]: z.object({ tenantId }),
  'org.sync_all_directories': z.object({}).strict(),
  [APPLY_CONTACT_CHANGE]: z.object({
    tenantId,
    entity: z.enum(['user', 'department']),
    externalId: z.string(),
    change: z.enum(['created', 'updated', 'deleted']).optional(),
    firstContact: z.boolean().optional(),
  }),
  'inbound.event': z.object({ event: inboundEvent, deferrals: z.number().int().min(0).optional() }),
  'system.housekeeping': z.object({}).strict(),
} as const

export type CataloguedJob = keyof typeof jobCatalogue
export type JobPayloadOf<N extends CataloguedJob> = z.infer<(typeof jobCatalogue)[N]>
