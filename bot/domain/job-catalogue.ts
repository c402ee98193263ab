import { z } from 'zod'
import type { Card } from '../chat/model'
import { SEND_CARD_UPDATE, SEND_MESSAGE } from './chat/send'
import { NOTICE_TOPICS } from './notices/schemas'

/**
 * The job catalogue: each job name the domain writes to the outbox, with the zod schema of its payload.
 * Processors parse a payload with it before acting (jobs/catalogue.ts), so a malformed row is logged and
 * failed instead of crashing a worker. A new job name is declared here once.
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
} as const

export type CataloguedJob = keyof typeof jobCatalogue
export type JobPayloadOf<N extends CataloguedJob> = z.infer<(typeof jobCatalogue)[N]>
