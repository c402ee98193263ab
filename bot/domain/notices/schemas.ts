import { z } from 'zod'
import { webUrl } from '../../lib/web-url'

export type { NoticeAttachment, NoticeImage } from '../../../db/schema'

/** Markdown body limit (Feishu caps a card at 30 KB; the card shows a preview, the app the whole text). */
export const MAX_BODY_BYTES = 30 * 1024
export const MAX_TITLE_CHARS = 100
export const MAX_IMAGES = 9
export const MAX_ATTACHMENTS = 10
/** Feishu's file upload limit. */
export const MAX_ATTACHMENT_BYTES = 30 * 1024 * 1024
/** How much of the body a card shows before "查看全文". */
export const CARD_PREVIEW_CHARS = 600

export const NOTICE_CATEGORIES = ['general', 'hr', 'admin', 'it', 'finance', 'sales', 'event'] as const
export const NEWS_CATEGORIES = ['company', 'industry', 'product', 'culture', 'event'] as const

export const AudienceSchema = z.object({
  everyone: z.boolean().optional(),
  departments: z
    .array(z.object({ id: z.string().min(1).max(64), includeSubDepartments: z.boolean().default(true) }))
    .max(500)
    .optional(),
  users: z.array(z.string().min(1).max(64)).max(20_000).optional(),
  chats: z.array(z.string().min(1).max(128)).max(200).optional(),
})
export type AudienceInput = z.infer<typeof AudienceSchema>

export const NoticeImageSchema = z
  .object({
    url: webUrl().optional(),
    imageKey: z.string().min(1).max(200).optional(),
    alt: z.string().max(200).default(''),
  })
  .refine((i) => i.url || i.imageKey, { message: 'an image needs a url or an imageKey' })

export const NoticeAttachmentSchema = z.object({
  name: z.string().min(1).max(200),
  url: webUrl(),
  size: z.number().int().min(0),
})

export const ReminderPolicySchema = z.object({
  afterMinutes: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 60),
  urgentAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 60)
    .nullable()
    .optional(),
})

const noticeFields = {
  title: z.string().trim().min(1).max(MAX_TITLE_CHARS),
  body: z.string().max(MAX_BODY_BYTES * 4),
  images: z.array(NoticeImageSchema).max(50).default([]),
  attachments: z.array(NoticeAttachmentSchema).max(100).default([]),
  category: z.enum(NOTICE_CATEGORIES).default('general'),
  audience: AudienceSchema,
  requireAck: z.boolean().default(false),
  reminder: ReminderPolicySchema.nullable().default(null),
}

export const CreateNoticeSchema = z.object({
  ...noticeFields,
  /** Publish at once (`now`), at a time (`scheduledAt`), or keep a draft (default). */
  publish: z.enum(['draft', 'now']).default('draft'),
  scheduledAt: z.coerce.date().optional(),
})
export type CreateNoticeInput = z.input<typeof CreateNoticeSchema>

export const EditNoticeSchema = z.object({
  id: z.string().min(1),
  title: noticeFields.title.optional(),
  body: noticeFields.body.optional(),
  images: z.array(NoticeImageSchema).max(50).optional(),
  attachments: z.array(NoticeAttachmentSchema).max(100).optional(),
  category: z.enum(NOTICE_CATEGORIES).optional(),
  /** Only before publishing: a published notice's audience is frozen. */
  audience: AudienceSchema.optional(),
  requireAck: z.boolean().optional(),
  reminder: ReminderPolicySchema.nullable().optional(),
})
export type EditNoticeInput = z.input<typeof EditNoticeSchema>

export const NoticeIdSchema = z.object({ id: z.string().min(1) })
export const ScheduleNoticeSchema = z.object({ id: z.string().min(1), scheduledAt: z.coerce.date() })

export const ListNoticesSchema = z.object({
  /** `inbox`: notices sent to me; `published`: notices I may manage. */
  box: z.enum(['inbox', 'published']).default('inbox'),
  status: z.enum(['draft', 'scheduled', 'published', 'retracted']).optional(),
  category: z.enum(NOTICE_CATEGORIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** `publishedAt|id` of the last row of the previous page. */
  cursor: z.string().max(200).optional(),
})
export type ListNoticesInput = z.input<typeof ListNoticesSchema>

export const DashboardSchema = z.object({
  id: z.string().min(1),
  /** Include the people lists per department (unread, read, acknowledged, failed). */
  withPeople: z.coerce.boolean().default(true),
})

export const CreateNewsSchema = z.object({
  title: z.string().trim().min(1).max(MAX_TITLE_CHARS),
  summary: z.string().max(500).default(''),
  body: z.string().max(MAX_BODY_BYTES * 4),
  coverUrl: webUrl().nullable().default(null),
  category: z.enum(NEWS_CATEGORIES).default('company'),
})
export type CreateNewsInput = z.input<typeof CreateNewsSchema>

export const ListNewsSchema = z.object({
  category: z.enum(NEWS_CATEGORIES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
})

/** Outbox topics of this domain. */
export const NOTICE_TOPICS = {
  publishScheduled: 'notice.publish_scheduled',
  fanout: 'notice.fanout',
  fanoutWatch: 'notice.fanout_watch',
  refreshCards: 'notice.refresh_cards',
  remindStep: 'notice.remind_step',
  urgent: 'notice.urgent',
  pollReads: 'notice.poll_reads',
} as const

/** The ref of one recipient's card: later edits and the retraction update it. */
export const noticeCardRef = (noticeId: string, target: string): string => `notice:${noticeId}:${target}`
export const noticeSummaryRef = (noticeId: string): string => `notice:${noticeId}:summary`
export const noticeReminderRef = (noticeId: string, target: string): string =>
  `notice:${noticeId}:${target}:reminder`
