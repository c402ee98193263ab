import { and, eq, isNull } from 'drizzle-orm'
import { customers, followUps } from '../../../db/schema'
import { notify } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { followUpReminderView } from './views'

/**
 * Sends the reminder of one follow-up (the outbox job at its next-follow-up time), once. It goes to the
 * customer's current owner, or the author when the customer went to the pool; skipped if nobody is left.
 */
export async function sendFollowUpReminder({
  ctx,
  followUpId,
}: {
  ctx: ServiceContext
  followUpId: string
}): Promise<boolean> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [row] = await txCtx.db
      .select({ f: followUps, customerName: customers.name, ownerId: customers.ownerId })
      .from(followUps)
      .innerJoin(customers, eq(customers.id, followUps.customerId))
      .where(
        and(
          eq(followUps.tenantId, txCtx.tenantId),
          eq(followUps.id, followUpId),
          isNull(followUps.reminderSentAt),
        ),
      )
      .for('update', { of: followUps })
    if (!row?.f.nextFollowUpAt) return false
    const to = row.ownerId ?? row.f.authorId
    await txCtx.db
      .update(followUps)
      .set({ reminderSentAt: txCtx.clock.now() })
      .where(eq(followUps.id, followUpId))
    if (!to) return false
    await notify(txCtx, {
      to: { userId: to },
      ref: `crm:reminder:${followUpId}`,
      version: 1,
      view: followUpReminderView({
        customerId: row.f.customerId,
        customerName: row.customerName,
        lastContent: row.f.content,
        dueAt: row.f.nextFollowUpAt.toISOString(),
      }),
    })
    return true
  })
}
