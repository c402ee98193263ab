import { and, eq } from 'drizzle-orm'
import { customers, serviceTickets } from '../../../db/schema'
import { groupCommitPer } from '../../lib/group-commit'
import { type ServiceContext, withTransaction } from '../context'
import { InvalidInputError } from '../errors'
import type { TicketRow } from './access'
import { type OpenTicketOptions, type openTicket, openTickets } from './create-ticket'
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
 * may be named by id or exact name; the dispatch rules pick the engineer. Deliveries of one tenant arriving
 * together share a transaction, like the public intake's (one rule lock, one number draw, one write).
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
  let customerId = data.customerId ?? null
  if (!customerId && data.customerName) {
    // Read ahead of the batch; the batch checks the customer again inside its transaction.
    const [c] = await ctx.db
      .select({ id: customers.id })
      .from(customers)
      .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.name, data.customerName)))
      .limit(1)
    if (!c) throw new InvalidInputError('customerName', 'customerName: no customer of this name')
    customerId = c.id
  }
  try {
    return await externalBatcher(ctx.db, `${ctx.tenantId}:${systemId}`).submit({
      ctx,
      fields: { ...data, customerId },
      opts: {
        channel: 'api',
        owner: 'rules',
        requesterId: null,
        external: { system: systemId, id: externalId },
      },
    })
  } catch (err) {
    // A concurrent redelivery won the unique (system, external id): answer with its ticket.
    const raced = await findExisting(ctx, systemId, externalId)
    if (raced) return { outcome: 'replay', ticket: raced }
    throw err
  }
}

/**
 * External deliveries of one tenant and system arriving together share a transaction (group commit, as the public
 * intake): a delivery repeated inside one batch is opened once and answered `replay` for the repeats. A
 * failing batch is retried one by one, so a bad delivery (or one a concurrent batch already opened) fails
 * alone.
 */
const externalBatcher = groupCommitPer<
  { ctx: ServiceContext; fields: Parameters<typeof openTicket>[1]; opts: OpenTicketOptions },
  { outcome: 'created' | 'replay'; ticket: TicketRow }
>((items) => {
  const first = items[0]
  if (!first) return Promise.resolve([])
  const keyOf = (i: (typeof items)[number]) => `${i.opts.external?.system}\n${i.opts.external?.id}`
  const firstOf = new Map<string, number>()
  for (const [n, i] of items.entries()) if (!firstOf.has(keyOf(i))) firstOf.set(keyOf(i), n)
  const distinct = [...firstOf.values()].map((n) => items[n] as (typeof items)[number])
  return withTransaction(first.ctx, async (_tx, txCtx) => {
    const opened = await openTickets(
      txCtx,
      distinct.map(({ fields, opts }) => ({ fields, opts })),
    )
    const byKey = new Map(distinct.map((i, n) => [keyOf(i), opened[n]]))
    return items.map((i, n) => {
      const ticket = byKey.get(keyOf(i))
      if (!ticket) throw new Error('ticket insert returned nothing')
      return { outcome: firstOf.get(keyOf(i)) === n ? 'created' : 'replay', ticket }
    })
  })
})
