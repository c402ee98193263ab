import type { Card } from '../../chat/model'
import type { ServiceContext } from '../context'
import type { Locale } from '../locale'
import { emit, type OutboxMessage } from '../outbox'
import type { View } from './view'

export const SEND_MESSAGE = 'send.message'
export const SEND_CARD_UPDATE = 'send.card_update'

/** Who receives a message: a user of the tenant (DM), or a chat (the platform's chat id). */
export type Destination = { userId: string } | { chatId: string }

export interface SendMessagePayload {
  tenantId: string
  to: Destination
  /** A card as it is, a view rendered at send time in the recipient's language, or text. */
  content: { kind: 'card'; card: Card } | { kind: 'view'; view: View } | { kind: 'text'; text: string }
  ref?: string
  version?: number
  replyTo?: string
  locale?: Locale
}

/** A card update carries the new card, or the new view (each copy renders it in its reader's language). */
export type CardUpdatePayload = {
  tenantId: string
  ref: string
  version: number
} & ({ card: Card; view?: undefined } | { view: View; card?: undefined })

/**
 * Sends a card after the current transaction commits. `ref` names what the card shows (e.g.
 * `approval:ins_1:task:tsk_2`) so later changes can update every copy; `version` orders those updates.
 */
export async function sendCard(
  ctx: ServiceContext,
  input: {
    to: Destination
    card: Card
    ref?: string
    version?: number
    replyTo?: string
    locale?: Locale
    availableAt?: Date
  },
): Promise<void> {
  const payload: SendMessagePayload = {
    tenantId: ctx.tenantId,
    to: input.to,
    content: { kind: 'card', card: input.card },
    ...(input.ref ? { ref: input.ref } : {}),
    ...(input.version !== undefined ? { version: input.version } : {}),
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
  }
  await emit(ctx, {
    topic: SEND_MESSAGE,
    payload: payload as unknown as Record<string, unknown>,
    ...(input.availableAt ? { availableAt: input.availableAt } : {}),
  })
}

export async function sendText(
  ctx: ServiceContext,
  input: { to: Destination; text: string; replyTo?: string; locale?: Locale },
): Promise<void> {
  const payload: SendMessagePayload = {
    tenantId: ctx.tenantId,
    to: input.to,
    content: { kind: 'text', text: input.text },
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
  }
  await emit(ctx, { topic: SEND_MESSAGE, payload: payload as unknown as Record<string, unknown> })
}

/**
 * Replaces every delivered copy of the card `ref` with `card`, unless a copy already shows a newer
 * `version` (updates may be processed out of order; the newest state wins).
 */
export async function updateCards(
  ctx: ServiceContext,
  input: { ref: string; card: Card; version: number },
): Promise<void> {
  const payload: CardUpdatePayload = {
    tenantId: ctx.tenantId,
    ref: input.ref,
    card: input.card,
    version: input.version,
  }
  await emit(ctx, { topic: SEND_CARD_UPDATE, payload: payload as unknown as Record<string, unknown> })
}

/**
 * Tells someone what happened: the view (a kind and its frozen snapshot) goes into the outbox with the
 * current transaction and is rendered when sent, in the recipient's language. `ref` names what the card
 * shows so `updateView` can replace every copy later; `version` orders those updates (a copy never goes
 * back to an older version); `availableAt` delays the message (reminders).
 */
export async function notify(
  ctx: ServiceContext,
  input: {
    to: Destination
    view: View
    ref?: string
    version?: number
    replyTo?: string
    availableAt?: Date
  },
): Promise<void> {
  await emit(ctx, notifyMessage(ctx, input))
}

/** The outbox row `notify` writes, for callers that batch their rows (one insert per transaction). */
export function notifyMessage(
  ctx: ServiceContext,
  input: {
    to: Destination
    view: View
    ref?: string
    version?: number
    replyTo?: string
    availableAt?: Date
  },
): OutboxMessage {
  const payload: SendMessagePayload = {
    tenantId: ctx.tenantId,
    to: input.to,
    content: { kind: 'view', view: input.view },
    ...(input.ref ? { ref: input.ref } : {}),
    ...(input.version !== undefined ? { version: input.version } : {}),
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
  }
  return {
    topic: SEND_MESSAGE,
    payload: payload as unknown as Record<string, unknown>,
    ...(input.availableAt ? { availableAt: input.availableAt } : {}),
  }
}

/**
 * Replaces every delivered copy of the card `ref` with `view` at `version`, unless a copy already shows a
 * newer version (updates may run out of order; the newest state wins). Each copy is rendered in its
 * reader's language.
 */
export async function updateView(
  ctx: ServiceContext,
  input: { ref: string; view: View; version: number },
): Promise<void> {
  await emit(ctx, updateViewMessage(ctx, input))
}

/** The outbox row `updateView` writes, for callers that batch their rows. */
export function updateViewMessage(
  ctx: ServiceContext,
  input: { ref: string; view: View; version: number },
): OutboxMessage {
  const payload: CardUpdatePayload = {
    tenantId: ctx.tenantId,
    ref: input.ref,
    view: input.view,
    version: input.version,
  }
  return { topic: SEND_CARD_UPDATE, payload: payload as unknown as Record<string, unknown> }
}
