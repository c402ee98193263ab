import { and, eq } from 'drizzle-orm'
import { customers, serviceTickets } from '../../../db/schema'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import type { TicketRow } from './access'
import { openTicket } from './create-ticket'
import { externalTicketInput, parseInput } from './schemas'

const findExisting = async (ctx: ServiceContext, systemId: string, externalId: string) =>
  (
    await ctx.db
      .select()
      .from(serviceTickets)
      .where(
        and(
          eq(serviceTickets.tenantId, ctx.tenantId),
          eq(serviceTickets.externalSystem, systemId),
          eq(serviceTickets.externalId, externalId),
        ),
      )
  )[0]

/**
 * A ticket pushed by a signed external system (hotline, ERP). Idempotent by the system's id of it: a
 * redelivery, even a concurrent one, answers with the first ticket (`replay`), never a second. The customer
 * may be named by id or exact name; the dispatch rules pick the engineer.
 */
export async function receiveExternalTicket({
  ctx,
  systemId,
  externalId,
  input,
}: {
  ctx: ServiceContext
  systemId: string
  externalId: string
  input: unknown
}): Promise<{ outcome: 'created' | 'replay'; ticket: TicketRow }> {
  const data = parseInput(externalTicketInput, input)
  const existing = await findExisting(ctx, systemId, externalId)
  if (existing) return { outcome: 'replay', ticket: existing }
  try {
    const ticket = await withTransaction(ctx, async (_tx, txCtx) => {
      let customerId = data.customerId ?? null
      if (!customerId && data.customerName) {
        const [c] = await txCtx.db
          .select({ id: customers.id })
          .from(customers)
          .where(and(eq(customers.tenantId, txCtx.tenantId), eq(customers.name, data.customerName)))
          .limit(1)
        if (!c) throw new InvalidInputError('customerName', 'customerName: no customer of this name')
        customerId = c.id
      }
      return openTicket(
        txCtx,
        { ...data, customerId },
        { channel: 'api', owner: 'rules', requesterId: null, external: { system: systemId, id: externalId } },
      )
    })
    return { outcome: 'created', ticket }
  } catch (err) {
    // A concurrent redelivery won the unique (system, external id): answer with its ticket.
    const raced = await findExisting(ctx, systemId, externalId)
    if (raced) return { outcome: 'replay', ticket: raced }
    throw err
  }
}
