import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { at, createdAt, id, tenantId, updatedAt } from './_columns'

/** Who a notice goes to, as the publisher chose it; resolved against the synced org at publish time. */
export interface NoticeAudienceSpec {
  everyone?: boolean
  departments?: Array<{ id: string; includeSubDepartments: boolean }>
  users?: string[]
  /** Group chats (`chats.id` or the platform chat id). */
  chats?: string[]
}

export interface NoticeImage {
  url?: string
  imageKey?: string
  alt: string
}

export interface NoticeAttachment {
  name: string
  url: string
  size: number
}

/** Reminder ladder: a reminder card after `afterMinutes`, then the platform's urgent/buzz. */
export interface NoticeReminderPolicy {
  afterMinutes: number
  urgentAfterMinutes?: number | null
}

export type NoticeStatus = 'draft' | 'scheduled' | 'published' | 'retracted'
export type NoticeDeliveryStatus = 'pending' | 'queued' | 'sent' | 'failed' | 'cancelled'

/**
 * A notice (公告/通知). `version` rises with every state change its cards show (publish, edit, retract), so
 * card updates never roll a card back. `fanoutSeq` names the one live fan-out chain (a redelivered old
 * fan-out job sees a stale number and stops).
 */
export const notices = pgTable(
  'notices',
  {
    id: id(),
    tenantId: tenantId(),
    title: text().notNull(),
    body: text().notNull(),
    images: jsonb().$type<NoticeImage[]>().notNull().default([]),
    attachments: jsonb().$type<NoticeAttachment[]>().notNull().default([]),
    category: text().notNull().default('general'),
    audience: jsonb().$type<NoticeAudienceSpec>().notNull(),
    requireAck: boolean().notNull().default(false),
    reminder: jsonb().$type<NoticeReminderPolicy | null>(),
    status: text({ enum: ['draft', 'scheduled', 'published', 'retracted'] })
      .notNull()
      .default('draft'),
    scheduledAt: at(),
    publishedAt: at(),
    retractedAt: at(),
    publisherId: text().notNull(),
    version: integer().notNull().default(1),
    recipientCount: integer().notNull().default(0),
    fanoutSeq: integer().notNull().default(0),
    /** Same for the read-status poll chain. */
    pollSeq: integer().notNull().default(0),
    /** Last time the publisher's summary card was refreshed (refreshes are throttled). */
    summaryAt: at(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('notices_tenant_status_idx').on(t.tenantId, t.status, t.publishedAt),
    index('notices_tenant_publisher_idx').on(t.tenantId, t.publisherId),
  ],
)

/**
 * The frozen audience of a published notice: one row per user (or group chat) with its delivery state.
 * `target` is the user id, or `chat:<platform chat id>` for a group. The department is frozen too, so the
 * dashboard groups by the department the person was in when the notice went out.
 */
export const noticeRecipients = pgTable(
  'notice_recipients',
  {
    tenantId: tenantId(),
    noticeId: text().notNull(),
    target: text().notNull(),
    kind: text({ enum: ['user', 'chat'] }).notNull(),
    userId: text(),
    chatId: text(),
    departmentId: text(),
    status: text({ enum: ['pending', 'queued', 'sent', 'failed', 'cancelled'] })
      .notNull()
      .default('pending'),
    error: text(),
    platformMessageId: text(),
    queuedAt: at(),
    sentAt: at(),
    readAt: at(),
    readVia: text({ enum: ['card', 'platform', 'app'] }),
    ackAt: at(),
    /** Highest reminder step done (0 none, 1 reminder card, 2 urgent). */
    reminderStep: integer().notNull().default(0),
    remindedAt: at(),
    readPolledAt: at(),
  },
  (t) => [
    // Few indexes on purpose: publishing inserts every recipient row at once (10,000 in one statement). The
    // inbox ("notices sent to me") walks the tenant's recent notices and probes this key.
    primaryKey({ columns: [t.noticeId, t.target] }),
    index('notice_recipients_inflight_idx').on(t.tenantId, t.queuedAt).where(sql`status = 'queued'`),
    index('notice_recipients_sent_at_idx').on(t.tenantId, t.sentAt).where(sql`sent_at is not null`),
  ],
)

/** News (新闻) for the mini-app feed. */
export const newsArticles = pgTable(
  'news_articles',
  {
    id: id(),
    tenantId: tenantId(),
    title: text().notNull(),
    summary: text().notNull().default(''),
    body: text().notNull(),
    coverUrl: text(),
    category: text().notNull().default('company'),
    status: text({ enum: ['draft', 'published', 'retracted'] })
      .notNull()
      .default('published'),
    authorId: text().notNull(),
    publishedAt: at(),
    readCount: integer().notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('news_tenant_feed_idx').on(t.tenantId, t.status, t.category, t.publishedAt)],
)

/** Who read which article (read counts are distinct readers). */
export const newsReads = pgTable(
  'news_reads',
  {
    tenantId: tenantId(),
    articleId: text().notNull(),
    userId: text().notNull(),
    readAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.articleId, t.userId] })],
)
