import type { Card } from '../../chat/model'
import type { ServiceContext } from '../context'
import type { Locale } from '../locale'
import { emit } from '../outbox'

export const SEND_MESSAGE = 'send.message'
export const SEND_CARD_UPDATE = 'send.card_update'

/** Who receives a message: a user of the tenant (DM), or a chat (the platform's chat id). */
export type Destination = { userId: string } | { chatId: string }

export interface SendMessagePayload {
  tenantId: string
  to: Destination
  content: { kind: 'card'; card: Card } | { kind: 'text'; text: string }
  ref?: string
  version?: number
  replyTo?: string
  locale?: Locale
}

export interface CardUpdatePayload {
  tenantId: string
  ref: string
  card: Card
  version: number
}

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
