import { type AnyColumn, and, eq, inArray } from 'drizzle-orm'
import type { z } from 'zod'
import {
  contacts,
  contracts,
  customers,
  products,
  serviceTicketEvents,
  serviceTickets,
  type TicketChannel,
  type TicketPriority,
  users,
} from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudits } from '../audit/record-audit'
import { notifyMessage } from '../chat/send'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { nextNumbers } from '../contracts/number-series'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError } from '../errors'
import { publicKey } from '../leads/ensure-default-channels'
import { emit, type OutboxMessage } from '../outbox'
import { loadServiceAccess, type TicketRow } from './access'
import { createDispatcher } from './internal/dispatch'
import { ticketCard, timerMessages } from './lifecycle'
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
 * after another and a fixed number of statements whatever the batch size: one lookup per kind of link, the
 * dispatch rules read and locked once, the numbers drawn in one statement as late as possible (the series
 * row stays locked only for the inserts that follow), then one insert each for the tickets (already with
 * their owners), timeline, audit and outbox (SLA timers and the owners' cards). A bad link or type fails
 * the whole batch, naming the field.
 */
export async function openTickets(
  ctx: ServiceContext,
  reqs: Array<{ fields: Fields; opts: OpenTicketOptions }>,
): Promise<TicketRow[]> {
  if (reqs.length === 0) return []
  // Everything that only reads goes out at once (postgres.js pipelines a transaction's concurrent queries).
  const ids = (k: 'customerId' | 'contactId' | 'contractId' | 'productId') => reqs.map((r) => r.fields[k])
  const byRules = reqs.some((r) => r.opts.owner === 'rules' || r.opts.owner === undefined)
  const [settings, customerRows, contactRows, contractRows, productRows, dispatcher] = await Promise.all([
    reqs[0]?.opts.settings ?? loadServiceSettings(ctx.db, ctx.tenantId),
    linked(ctx, customers, ids('customerId'), { name: customers.name, address: customers.address }),
    linked(ctx, contacts, ids('contactId'), { customerId: contacts.customerId }),
    linked(ctx, contracts, ids('contractId'), {}),
    linked(ctx, products, ids('productId'), { category: products.category }),
    byRules ? createDispatcher(ctx) : null,
  ])
  for (const { fields } of reqs) {
    const type = fields.type ?? settings.types[0] ?? '咨询'
    if (!settings.types.includes(type))
      throw new InvalidInputError('type', `type: one of ${settings.types.join(' / ')}`)
    if (fields.contactId && !fields.customerId)
      throw new InvalidInputError('contactId', 'contactId: needs the customerId')
  }
  const need = (map: Map<string, unknown>, id: string | null | undefined, field: string): void => {
    if (id && !map.has(id)) throw new InvalidInputError(field, `${field}: no such record in this tenant`)
  }
  for (const { fields } of reqs) {
    need(customerRows, fields.customerId, 'customerId')
    if (fields.contactId && contactRows.get(fields.contactId)?.customerId !== fields.customerId)
      throw new InvalidInputError('contactId', 'contactId: not a contact of this customer')
    need(contractRows, fields.contractId, 'contractId')
    need(productRows, fields.productId, 'productId')
  }
  const now = ctx.clock.now()
  const me = actorId(ctx.actor)
  const planned: Array<{ owner: string | null; how: 'rule' | 'manual' | 'self' }> = []
  for (const { fields, opts } of reqs) {
    if (opts.owner === 'rules' || opts.owner === undefined) {
      const customer = fields.customerId ? customerRows.get(fields.customerId) : undefined
      const product = fields.productId ? productRows.get(fields.productId) : undefined
      const picked = await dispatcher?.pick({
        type: fields.type ?? settings.types[0] ?? '咨询',
        priority: fields.priority ?? 'normal',
        region: (customer?.address as string | null | undefined) ?? null,
        productCategory: (product?.category as string | null | undefined) ?? null,
      })
      planned.push({ owner: picked?.userId ?? null, how: 'rule' })
    } else planned.push({ owner: opts.owner, how: opts.owner === me ? 'self' : 'manual' })
  }
  const owners = [...new Set(planned.flatMap((p) => (p.owner ? [p.owner] : [])))]
  // The series row is taken last of the reads, so it stays locked only for the inserts that follow.
  const [ownerRows, , numbers] = await Promise.all([
    owners.length
      ? ctx.db
          .select({ id: users.id, name: users.name, departmentId: users.departmentId })
          .from(users)
          .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, owners)))
      : [],
    dispatcher?.finish(),
    nextNumbers(ctx, TICKET_PREFIX, reqs.length),
  ])
  const ownerOf = new Map(ownerRows.map((u) => [u.id, u]))
  const rows = await ctx.db
    .insert(serviceTickets)
    .values(
      reqs.map(({ fields, opts }, i) => {
        const priority: TicketPriority = fields.priority ?? 'normal'
        const plan = planSla(settings, priority, now)
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
          status: owner
            ? how === 'self'
              ? ('in_progress' as const)
              : ('assigned' as const)
            : ('new' as const),
          // Given at once: as if created and then assigned (setOwner bumps both).
          ...(owner
            ? {
                ownerId: owner,
                departmentId: ownerOf.get(owner)?.departmentId ?? null,
                assignedAt: now,
                assignmentSeq: 1,
                version: 2,
              }
            : {}),
          requesterId: opts.requesterId ?? me,
          firstResponseDueAt: plan.responseDueAt,
          resolutionDueAt: plan.resolutionDueAt,
          statusToken: publicKey('st') + publicKey('').slice(1),
          externalSystem: opts.external?.system ?? null,
          externalId: opts.external?.id ?? null,
          createdById: me,
          createdAt: now,
          updatedAt: now,
        }
      }),
    )
    .returning()
  const byNumber = new Map(rows.map((r) => [r.number, r]))
  const tickets = numbers.map((n) => {
    const r = byNumber.get(n)
    if (!r) throw new Error('ticket insert returned nothing')
    return r
  })
  const events: Array<typeof serviceTicketEvents.$inferInsert> = []
  const messages: OutboxMessage[] = []
  for (const [i, t] of tickets.entries()) {
    const opts: OpenTicketOptions = reqs[i]?.opts ?? { channel: t.channel }
    const { how } = planned[i] ?? { how: 'rule' }
    const event = (kind: 'created' | 'assigned', data: Record<string, unknown>) => ({
      tenantId: ctx.tenantId,
      ticketId: t.id,
      kind,
      actorId: me,
      body: null,
      data,
      internal: false,
      at: now,
    })
    events.push(
      event('created', { channel: opts.channel, ...(opts.reporterLabel ? { by: opts.reporterLabel } : {}) }),
    )
    messages.push(...timerMessages(ctx, t, settings))
    if (!t.ownerId) continue
    events.push(event('assigned', { from: null, to: t.ownerId, how }))
    if (t.ownerId !== me) {
      const customerName = t.customerId ? (customerRows.get(t.customerId)?.name as string | undefined) : null
      messages.push(
        notifyMessage(ctx, {
          to: { userId: t.ownerId },
          view: ticketCard(t, 'assigned', customerName ?? null, ownerOf.get(t.ownerId)?.name ?? null),
          ref: `service:${t.id}:assigned:${t.ownerId}`,
          version: t.version,
        }),
      )
    }
  }
  await Promise.all([
    ctx.db.insert(serviceTicketEvents).values(events),
    recordAudits(
      ctx,
      tickets.map((t) => ({
        action: 'service.ticket.create',
        targetType: 'service_ticket',
        targetId: t.id,
        after: { number: t.number, channel: t.channel, customerId: t.customerId, priority: t.priority },
      })),
    ),
    emit(ctx, messages),
  ])
  return tickets
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
