import { viewKind } from '../chat/view'

/** Why a ticket card is sent: each shows the ticket and the buttons that fit. */
export type TicketCardKind =
  | 'assigned'
  | 'response_reminder'
  | 'resolution_reminder'
  | 'escalation'
  | 'help'
  | 'resolved'
  | 'low_rating'

/** A ticket card as sent (a frozen snapshot; ISO times). */
export interface TicketCardData {
  kind: TicketCardKind
  ticketId: string
  number: string
  subject: string
  type: string
  priority: string
  status: string
  customerName: string | null
  ownerName: string | null
  /** The due time the card is about (reminders, escalation). */
  dueAt: string | null
  /** Which clock an escalation or reminder is about. */
  clock?: 'response' | 'resolution'
  rating?: number | null
  ratingComment?: string | null
  /** Who asks for help (the `help` card). */
  fromName?: string | null
  note?: string | null
}
export const ticketCardView = viewKind<TicketCardData>('service.ticket')
