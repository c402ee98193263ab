import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, id, tenantId, updatedAt } from './_columns'
import { platformEnum } from './org'

/**
 * Every message the bot sent or received, on every platform (devchat included). Cards keep their neutral
 * form and a `ref` (e.g. `approval:ins_…`) so later state changes can find and update every copy.
 */
export const messages = pgTable(
  'messages',
  {
    id: id(),
    tenantId: tenantId(),
    platform: platformEnum().notNull(),
    direction: text({ enum: ['in', 'out'] }).notNull(),
    /** The platform's message id (Feishu om_…); null until sent. */
    platformMessageId: text(),
    chatId: text(),
    /** For DMs: the user the message went to or came from. */
    userId: text(),
    kind: text({ enum: ['text', 'card'] }).notNull(),
    text: text(),
    card: jsonb().$type<Record<string, unknown>>(),
    ref: text(),
    /** Version of the state the card shows; an older update never overwrites a newer card. */
    cardVersion: integer().notNull().default(0),
    status: text({ enum: ['pending', 'sent', 'failed', 'recalled'] })
      .notNull()
      .default('sent'),
    error: text(),
    /** Sender-side idempotency key (outbox job id): a retried send finds its first attempt. */
    idempotencyKey: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('messages_idem_uq').on(t.tenantId, t.idempotencyKey),
    index('messages_ref_idx').on(t.tenantId, t.ref),
    index('messages_chat_idx').on(t.tenantId, t.chatId, t.createdAt),
    index('messages_user_idx').on(t.tenantId, t.userId, t.createdAt),
    index('messages_platform_id_idx').on(t.platformMessageId),
  ],
)

/** Group chats the bot is in (and devchat's simulated groups). A chat may be bound to a CRM customer. */
export const chats = pgTable(
  'chats',
  {
    id: id(),
    tenantId: tenantId(),
    platform: platformEnum().notNull(),
    platformChatId: text().notNull(),
    name: text().notNull(),
    memberUserIds: jsonb().$type<string[]>().notNull().default([]),
    boundCustomerId: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('chats_platform_uq').on(t.tenantId, t.platform, t.platformChatId)],
)

/**
 * The newest state of every card ref. A card update records it before updating delivered copies, and a send
 * re-applies it after writing its copy, so an update that overtakes the first send of its card is not lost.
 */
export const cardStates = pgTable(
  'card_states',
  {
    tenantId: tenantId(),
    ref: text().notNull(),
    version: integer().notNull(),
    card: jsonb().$type<Record<string, unknown>>().notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.ref] })],
)
