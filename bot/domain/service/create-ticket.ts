import { type AnyColumn, and, eq, inArray } from 'drizzle-orm'
import type { z } from 'zod'
import {
  contacts,
  contracts,
  customers,
  products,
  type TicketChannel,
  type TicketPriority,
} from '../../../db/schema'
import { newId } from '../../lib/ids'
import { notifyMessage } from '../chat/send'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { drawNumbers, giveBackNumbersSql } from '../contracts/number-series'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError } from '../errors'
import { publicKey } from '../leads/ensure-default-channels'
import { tenantTimeZone } from '../org/time-zone'
import type { OutboxMessage } from '../outbox'
import { loadServiceAccess, type TicketRow } from './access'
import { loadDispatchFacts, lockDispatchRules, preloadedDispatcher } from './internal/dispatch'
import { type TicketEventRow, writeTickets } from './internal/write-tickets'
import { ticketCard, timerMessages } from './lifecycle'
import { claimTicketPhotos, photoUploader } from './photos'
import { type CreateTicketInput, createTicketInput, parseInput, type ticketFields } from './schemas'
import { loadServiceSettings, planSla, type ServiceSettings } from './settings'

type Fields = z.output<z.ZodObject<typeof ticketFields>>

/** Ticket numbers: `GD-2026-0001` (工单), per tenant and China-time year. */
export const TICKET_PREFIX = 'GD'

export interface OpenTicketOptions {
  channel: TicketChannel
  owner?: string | 'rules' | null
  requesterId?: string | null
  external?: { system: string; id: string } | null
  deviceLabel?: string | null
  settings?: ServiceSettings
  reporterLabel?: string
  /** The photo keys were just stored by this intake (the public form): new, written with the ticket. */
  freshPhotos?: boolean
}

/** The rows of `table` among `ids` in the tenant, with the extra columns `pick` (one statement). */
async function linked(
  ctx: ServiceContext,
  table: typeof customers | typeof contacts | typeof contracts | typeof products,
  ids: Array<string | null | undefined>,
  pick: Record<string, AnyColumn>,
): Promise<Map<string, Record<string, unknown>>> {
  const uniq = [...new Set(ids.filter((x): x is string => !!x))]
  if (uniq.length === 0) return new Map()
  const rows: Array<Record<string, unknown>> = await ctx.db
    .select({ id: table.id, ...pick })
    .from(table)
    .where(and(eq(table.tenantId, ctx.tenantId), inArray(table.id, uniq)))
  return new Map(rows.map((r) => [String(r.id), r]))
}

/**
 * Opens a ticket in the caller's transaction — the one path of every channel: the links are checked
 * against the tenant, the type against the tenant's list, the number drawn, the SLA deadlines set in
 * working time, the timeline started, and the owner given (a person, the dispatch rules, or the queue).
 */
export async function openTicket(
  ctx: ServiceContext,
  fields: Fields,
  opts: OpenTicketOptions,
): Promise<TicketRow> {
  const [row] = await openTickets(ctx, [{ fields, opts }])
  if (!row) throw new Error('ticket insert returned nothing')
  return row
}

/**
 * {@link openTicket} for a batch in the caller's transaction, with the same outcome as opening them one
 * after another, in two round trips whatever the batch size: (1) the reads — settings, the links of every
 * kind, the tenant's active dispatch rules locked and, sent after the lock, the people and counts the rules
 * choose by, then a number drawn for every request — together with `keep` (the caller's own statement, e.g.
 * the public form's rate count: a request it answers false for is not opened, null in the answer, and its
 * number goes back); (2) one statement writing the tickets (already with their owners), timeline, audit,
 * outbox (SLA timers and the owners' cards), the rules' cursors and the unused numbers. A bad
 * link or type fails the whole batch, naming the field.
 */
export async function openTickets(
  ctx: ServiceContext,
  reqs: Array<{ fields: Fields; opts: OpenTicketOptions }>,
  keep?: Promise<boolean[]>,
): Promise<Array<TicketRow | null>> {
  if (reqs.length === 0) return []
  // Everything that only reads goes out at once (postgres.js pipelines a transaction's concurrent queries).
  const ids = (k: 'customerId' | 'contactId' | 'contractId' | 'productId') => reqs.map((r) => r.fields[k])
  const byRules = reqs.some((r) => r.opts.owner === 'rules' || r.opts.owner === undefined)
  const named = reqs.flatMap((r) => (r.opts.owner && r.opts.owner !== 'rules' ? [r.opts.owner] : []))
  const reads = Promise.all([
    keep ?? reqs.map(() => true),
    reqs[0]?.opts.settings ?? loadServiceSettings(ctx.db, ctx.tenantId),
    tenantTimeZone(ctx),
    linked(ctx, customers, ids('customerId'), { name: customers.name, address: customers.address }),
    linked(ctx, contacts, ids('contactId'), { customerId: contacts.customerId }),
    linked(ctx, contracts, ids('contractId'), {}),
    linked(ctx, products, ids('productId'), { category: products.category }),
    byRules ? lockDispatchRules(ctx) : [],
  ])
  // The statements above reach the connection within this turn of the event loop; the ones below are sent
  // after them in the same pipeline (no round trip between), so they run once the rules' lock is held.
  await new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  )
  const [
    [kept, settings, zone, customerRows, contactRows, contractRows, productRows, rules],
    ,
    facts,
    drawn,
  ] = await Promise.all([
    reads,
    // After the rules' lock (every batch takes the locks in this order).
    claimTicketPhotos(
      ctx,
      reqs.map(({ fields, opts }) => ({
        photos: fields.photos ?? [],
        uploader: photoUploader(ctx, opts.external?.system),
        fresh: opts.freshPhotos === true,
      })),
    ),
    // The members' counts as the batch before this one (which held the lock) left them.
    loadDispatchFacts(ctx, named, byRules),
    // The series row last: a number for every request; the ones not opened are handed back by the write.
    drawNumbers(ctx, TICKET_PREFIX, reqs.length),
  ])
  const open = reqs.filter((_, i) => kept[i])
  for (const { fields } of open) {
    const type = fields.type ?? settings.types[0] ?? '咨询'
    if (!settings.types.includes(type))
      throw new InvalidInputError('type', `type: one of ${settings.types.join(' / ')}`)
    if (fields.contactId && !fields.customerId)
      throw new InvalidInputError('contactId', 'contactId: needs the customerId')
  }
  const need = (map: Map<string, unknown>, id: string | null | undefined, field: string): void => {
    if (id && !map.has(id)) throw new InvalidInputError(field, `${field}: no such record in this tenant`)
  }
  for (const { fields } of open) {
    need(customerRows, fields.customerId, 'customerId')
    if (fields.contactId && contactRows.get(fields.contactId)?.customerId !== fields.customerId)
      throw new InvalidInputError('contactId', 'contactId: not a contact of this customer')
    need(contractRows, fields.contractId, 'contractId')
    need(productRows, fields.productId, 'productId')
  }
  const unusedNumbers = { key: drawn.key, n: reqs.length - open.length }
  if (open.length === 0) {
    await ctx.db.execute(giveBackNumbersSql(ctx, unusedNumbers.key, unusedNumbers.n))
    return reqs.map(() => null)
  }
  // The opened requests take the first numbers drawn, in order; the tail goes back with the write.
  const numbers = drawn.numbers
  const now = ctx.clock.now()
  const me = actorId(ctx.actor)
  const dispatcher = preloadedDispatcher(ctx, rules, facts)
  const planned: Array<{ owner: string | null; how: 'rule' | 'manual' | 'self' }> = []
  for (const { fields, opts } of open) {
    if (opts.owner === 'rules' || opts.owner === undefined) {
      const customer = fields.customerId ? customerRows.get(fields.customerId) : undefined
      const product = fields.productId ? productRows.get(fields.productId) : undefined
      const picked = await dispatcher.pick({
        type: fields.type ?? settings.types[0] ?? '咨询',
        priority: fields.priority ?? 'normal',
        region: (customer?.address as string | null | undefined) ?? null,
        productCategory: (product?.category as string | null | undefined) ?? null,
      })
      planned.push({ owner: picked?.userId ?? null, how: 'rule' })
    } else planned.push({ owner: opts.owner, how: opts.owner === me ? 'self' : 'manual' })
  }
  const drafts: TicketRow[] = open.map(({ fields, opts }, i) => {
    const priority: TicketPriority = fields.priority ?? 'normal'
    const plan = planSla(settings, priority, now, zone)
    const { owner, how } = planned[i] ?? { owner: null, how: 'rule' }
    return {
      id: newId('tkt'),
      tenantId: ctx.tenantId,
      number: numbers[i] ?? '',
      customerId: fields.customerId ?? null,
      contactId: fields.contactId ?? null,
      reporterName: fields.reporterName ?? null,
      reporterPhone: fields.reporterPhone ?? null,
      contractId: fields.contractId ?? null,
      productId: fields.productId ?? null,
      deviceLabel: opts.deviceLabel ?? null,
      channel: opts.channel,
      type: fields.type ?? settings.types[0] ?? '咨询',
      priority,
      subject: fields.subject,
      description: fields.description ?? null,
      photos: fields.photos ?? [],
      status: owner ? (how === 'self' ? 'in_progress' : 'assigned') : 'new',
      ownerId: owner,
      // Set by a trigger from the customer.
      customerOwnerId: null,
      departmentId: owner ? (facts.people.get(owner)?.departmentId ?? null) : null,
      // Given at once: as if created and then assigned (setOwner bumps both).
      assignedAt: owner ? now : null,
      assignmentSeq: owner ? 1 : 0,
      requesterId: opts.requesterId ?? me,
      firstResponseDueAt: plan.responseDueAt,
      firstRespondedAt: null,
      responseSla: 'pending',
      resolutionDueAt: plan.resolutionDueAt,
      resolvedAt: null,
      resolutionSla: 'pending',
      resolutionNote: null,
      closedAt: null,
      duplicateOfId: null,
      statusToken: publicKey('st') + publicKey('').slice(1),
      rating: null,
      ratingComment: null,
      ratedAt: null,
      reopenCount: 0,
      externalSystem: opts.external?.system ?? null,
      externalId: opts.external?.id ?? null,
      visitId: null,
      version: owner ? 2 : 1,
      createdById: me,
      createdAt: now,
      updatedAt: now,
    }
  })
  const events: TicketEventRow[] = []
  const messages: OutboxMessage[] = []
  for (const [i, t] of drafts.entries()) {
    const opts: OpenTicketOptions = open[i]?.opts ?? { channel: t.channel }
    const { how } = planned[i] ?? { how: 'rule' }
    const event = (kind: 'created' | 'assigned', data: Record<string, unknown>) => ({
      ticketId: t.id,
      kind,
      actorId: me,
      data,
      at: now,
    })
    events.push(
      event('created', { channel: opts.channel, ...(opts.reporterLabel ? { by: opts.reporterLabel } : {}) }),
    )
    messages.push(...timerMessages(ctx, t, settings, zone))
    if (!t.ownerId) continue
    events.push(event('assigned', { from: null, to: t.ownerId, how }))
    if (t.ownerId !== me) {
      const customerName = t.customerId ? (customerRows.get(t.customerId)?.name as string | undefined) : null
      messages.push(
        notifyMessage(ctx, {
          to: { userId: t.ownerId },
          view: ticketCard(t, 'assigned', customerName ?? null, facts.people.get(t.ownerId)?.name ?? null),
          ref: `service:${t.id}:assigned:${t.ownerId}`,
          version: t.version,
        }),
      )
    }
  }
  const tickets = await writeTickets(ctx, {
    tickets: drafts,
    events,
    audit: drafts.map((t) => ({
      action: 'service.ticket.create',
      targetType: 'service_ticket',
      targetId: t.id,
      after: { number: t.number, channel: t.channel, customerId: t.customerId, priority: t.priority },
    })),
    outbox: messages,
    cursors: await dispatcher.cursors(),
    unusedNumbers,
  })
  const byReq = new Map(open.map((r, i) => [r, tickets[i] ?? null]))
  return reqs.map((r) => byReq.get(r) ?? null)
}

/**
 * A ticket entered by a person (mini-app, chat, API). Without `ownerId` the dispatch rules decide;
 * giving it to a named person (other than oneself) needs `service.manage`.
 */
export async function createTicket({
  ctx,
  input,
  channel,
}: {
  ctx: ServiceContext
  input: CreateTicketInput
  channel?: TicketChannel
}): Promise<TicketRow> {
  const data = parseInput(createTicketInput, input)
  return withTransaction(ctx, async (_tx, txCtx) => {
    const me = actorId(txCtx.actor)
    const owner = data.ownerId === undefined ? 'rules' : data.ownerId
    if (owner && owner !== 'rules' && owner !== me) {
      const access = await loadServiceAccess(txCtx)
      if (!access.canManage) throw new ForbiddenError('only service managers may dispatch tickets to others')
      await requireTenantUsers(txCtx, [owner], 'ownerId')
    }
    return openTicket(txCtx, data, { channel: data.channel ?? channel ?? 'miniapp', owner })
  })
}
