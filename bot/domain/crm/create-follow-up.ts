import { and, desc, eq } from 'drizzle-orm'
import { contacts, customers, followUps } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import { emit } from '../outbox'
import { loadCrmAccess, requireCustomer } from './access'
import { settlePoolWarning } from './internal/ownership'
import { loadRules, reclaimDue } from './rules'
import { type FollowUpInput, followUpInput, parseInput } from './schemas'

export type FollowUpRow = typeof followUps.$inferSelect
export const FOLLOW_UP_REMINDER = 'crm.follow_up.remind'

/**
 * Logs a follow-up on a customer the caller may work on. It restarts the pool clock (a pending warning
 * card turns into "followed up"), and a next follow-up time schedules a reminder card through the outbox.
 */
export async function createFollowUp({
  ctx,
  customerId,
  input,
}: {
  ctx: ServiceContext
  customerId: string
  input: FollowUpInput
}): Promise<FollowUpRow> {
  const data = parseInput(followUpInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    const customer = await requireCustomer(txCtx, access, customerId, 'write', { forUpdate: true })
    const now = txCtx.clock.now()
    if (data.nextFollowUpAt && data.nextFollowUpAt.getTime() <= now.getTime())
      throw new InvalidInputError('nextFollowUpAt', 'next follow-up must be in the future')
    if (data.contactId) {
      const [c] = await txCtx.db
        .select({ id: contacts.id })
        .from(contacts)
        .where(
          and(
            eq(contacts.tenantId, txCtx.tenantId),
            eq(contacts.id, data.contactId),
            eq(contacts.customerId, customerId),
          ),
        )
      if (!c) throw new InvalidInputError('contactId', 'no such contact on this customer')
    }
    const [row] = await txCtx.db
      .insert(followUps)
      .values({
        id: newId('fup'),
        tenantId: txCtx.tenantId,
        customerId,
        contactId: data.contactId ?? null,
        authorId: actorId(txCtx.actor),
        kind: data.kind,
        content: data.content,
        nextFollowUpAt: data.nextFollowUpAt ?? null,
        createdAt: now,
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    const rules = await loadRules(txCtx.db, txCtx.tenantId)
    await txCtx.db
      .update(customers)
      .set({
        lastFollowedUpAt: now,
        reclaimDueAt: customer.ownerId ? reclaimDue(rules, now, false) : null,
        reclaimWarnedAt: null,
        reclaimExtendedAt: null,
        updatedAt: now,
      })
      .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.id, customerId)))
    await settlePoolWarning(txCtx, customer, 'followed_up', null)
    if (row.nextFollowUpAt) {
      await emit(txCtx, {
        topic: FOLLOW_UP_REMINDER,
        payload: { tenantId: txCtx.tenantId, followUpId: row.id },
        availableAt: row.nextFollowUpAt,
      })
    }
    return row
  })
}

export async function listFollowUps({
  ctx,
  customerId,
  limit = 50,
}: {
  ctx: ServiceContext
  customerId: string
  limit?: number
}): Promise<FollowUpRow[]> {
  const access = await loadCrmAccess(ctx)
  await requireCustomer(ctx, access, customerId)
  return ctx.db
    .select()
    .from(followUps)
    .where(and(eq(followUps.tenantId, ctx.tenantId), eq(followUps.customerId, customerId)))
    .orderBy(desc(followUps.createdAt))
    .limit(limit)
}
