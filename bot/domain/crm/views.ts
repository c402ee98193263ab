import { viewKind } from '../chat/view'

/** The owner's card before, and after, the pool takes a customer back (one card per customer, updated in place). */
export interface PoolWarningData {
  customerId: string
  customerName: string
  /** ISO time the customer returns to the pool. */
  dueAt: string
  extendDays: number
  state: 'warning' | 'extended' | 'followed_up' | 'reclaimed'
}
export const poolWarningView = viewKind<PoolWarningData>('crm.pool_warning')

/** The reminder at a follow-up's "next follow-up" time. */
export interface FollowUpReminderData {
  customerId: string
  customerName: string
  lastContent: string
  /** ISO time of the planned follow-up. */
  dueAt: string
}
export const followUpReminderView = viewKind<FollowUpReminderData>('crm.followup_reminder')
