import { and, eq } from 'drizzle-orm'
import { contacts } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { loadCrmAccess, requireCustomer } from './access'
import { refreshSearch } from './internal/refresh-search'
import { type ContactInput, contactInput, parseInput } from './schemas'
import { normalisePhone } from './search-text'

export type ContactRow = typeof contacts.$inferSelect

/** Adds a contact (with their role in decisions) to a customer the caller may work on. */
export async function addContact({
  ctx,
  customerId,
  input,
}: {
  ctx: ServiceContext
  customerId: string
  input: ContactInput
}): Promise<ContactRow> {
  const data = parseInput(contactInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const access = await loadCrmAccess(txCtx)
    await requireCustomer(txCtx, access, customerId, 'write')
    if (data.isPrimary) {
      await txCtx.db
        .update(contacts)
        .set({ isPrimary: false })
        .where(and(eq(contacts.tenantId, txCtx.tenantId), eq(contacts.customerId, customerId)))
    }
    const [row] = await txCtx.db
      .insert(contacts)
      .values({
        id: newId('con'),
        tenantId: txCtx.tenantId,
        customerId,
        name: data.name,
        title: data.title ?? null,
        phone: data.phone ? normalisePhone(data.phone) : null,
        email: data.email ?? null,
        wechat: data.wechat ?? null,
        decisionRole: data.decisionRole,
        isPrimary: data.isPrimary,
        notes: data.notes ?? null,
        createdById: actorId(txCtx.actor),
        createdAt: txCtx.clock.now(),
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    await refreshSearch(txCtx, customerId)
    return row
  })
}

export async function listContacts({
  ctx,
  customerId,
}: {
  ctx: ServiceContext
  customerId: string
}): Promise<ContactRow[]> {
  const access = await loadCrmAccess(ctx)
  await requireCustomer(ctx, access, customerId)
  return ctx.db
    .select()
    .from(contacts)
    .where(and(eq(contacts.tenantId, ctx.tenantId), eq(contacts.customerId, customerId)))
    .orderBy(contacts.createdAt)
}
