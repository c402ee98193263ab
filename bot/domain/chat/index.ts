/** The chat area's public surface: what code outside bot/domain/chat/ may import. */
export { type DeliveryPorts, deliverMessage, updateCardCopies } from './deliver-message'
export { recordCardCopy } from './record-card-copy'
export { recordChat } from './record-chat'
export { claimJobEffect, claimMessageHandling, recordInbound } from './record-inbound'
export { SEND_CARD_UPDATE, SEND_MESSAGE, sendCard, sendText } from './send'
export type { View, ViewKind } from './view'
