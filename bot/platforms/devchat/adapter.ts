import type { Card, OutboundMessage } from '../../chat/model'
import type { ChatPlatform, SendRate, TenantRef } from '../../chat/port'
import type { Locale } from '../../domain/locale'
import { newId } from '../../lib/ids'

/** The devchat p2p chat between the bot and a user. */
export const devchatP2pChatId = (openId: string): string => `p2p:${openId}`

/** devchat has no platform limits; this keeps a 10,000-person fan-out to seconds. */
export const DEVCHAT_SEND_RATE: SendRate = { perSecond: 1000, perMinute: 60_000 }

/**
 * devchat's outbound side. There is no remote server: the message row the send processor writes is the
 * delivery, and the processors wake open simulator pages with PostgreSQL NOTIFY (works across processes).
 */
export function createDevchatPlatform(): ChatPlatform {
  return {
    name: 'devchat',
    sendRate: DEVCHAT_SEND_RATE,
    async send(_tenant: TenantRef, message: OutboundMessage) {
      const chatId = message.to.kind === 'user' ? devchatP2pChatId(message.to.openId) : message.to.chatId
      return { platformMessageId: newId('dcm'), chatId }
    },
    async updateCard(_tenant: TenantRef, _platformMessageId: string, _card: Card, _locale: Locale) {
      // The stored copy is the card; the processor wakes open pages after its transaction (onDelivered).
      // Notifying here would run a query inside the copy's row-lock transaction: on PGlite's single
      // connection that waits for itself forever.
    },
  }
}
