import { and, eq } from 'drizzle-orm'
import type { z } from 'zod'
import {
  contacts,
  contracts,
  customers,
  products,
  serviceTickets,
  type TicketChannel,
  type TicketPriority,
} from '../../../db/schema'
import { newId } from '../../lib/ids'
import { recordAudit } from '../audit/record-audit'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { nextNumber } from '../contracts/number-series'
import { requireTenantUsers } from '../crm/create-customer'
import { ForbiddenError, InvalidInputError } from '../errors'
import { publicKey } from '../leads/ensure-default-channels'
import { loadServiceAccess, type TicketRow } from './access'
import { dispatchFacts, pickEngineer } from './dispatch'
import { recordEvent, scheduleTimers, setOwner } from './lifecycle'
import { type CreateTicketInput, createTicketInput, parseInput, type ticketFields } from './schemas'
import { loadServiceSettings, planSla, type ServiceSettings } from './settings'

type Fields = z.output<z.ZodObject<typeof ticketFields>>

/** Ticket numbers: `GD-2026-0001` (工单), per tenant and China-time year. */
export const TICKET_PREFIX = 'GD'

async function requireInTenant(
  ctx: ServiceContext,
  table: typeof customers | typeof contacts | typeof contracts | typeof products,
  id: string,
  field: string,
): Promise<void> {
  const [row] = await ctx.db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.tenantId, ctx.tenantId), eq(table.id, id)))
  if (!row) throw new InvalidInputError(field, `${field}: no such record in this tenant`)
}

/**
 * Opens a ticket in the caller's transaction — the one path of every channel: the links are checked
 * against the tenant, the type against the tenant's list, the number drawn, the SLA deadlines set in
 * working time, the timeline started, and the owner given (a person, the dispatch rules, or the queue).
 */
export async function openTicket(
  ctx: ServiceContext,
  fields: Fields,
  opts: {
    channel: TicketChannel
    owner?: string | 'rules' | null
    requesterId?: string | null
    external?: { system: string; id: string } | null
    deviceLabel?: string | null
    settings?: ServiceSettings
    reporterLabel?: string
  },
): Promise<TicketRow> {
  const settings = opts.settings ?? (await loadServiceSettings(ctx.db, ctx.tenantId))
  const type = fields.type ?? settings.types[0] ?? '咨询'
  if (!settings.types.includes(type))
    throw new InvalidInputError('type', `type: one of ${settings.types.join(' / ')}`)
  if (fields.customerId) await requireInTenant(ctx, customers, fields.customerId, 'customerId')
  if (fields.contactId) {
    if (!fields.customerId) throw new InvalidInputError('contactId', 'contactId: needs the customerId')
    const [c] = await ctx.db
      .select({ customerId: contacts.customerId })
      .from(contacts)
      .where(and(eq(contacts.tenantId, ctx.tenantId), eq(contacts.id, fields.contactId)))
    if (c?.customerId !== fields.customerId)
      throw new InvalidInputError('contactId', 'contactId: not a contact of this customer')
  }
  if (fields.contractId) await requireInTenant(ctx, contracts, fields.contractId, 'contractId')
  if (fields.productId) await requireInTenant(ctx, products, fields.productId, 'productId')
  const priority: TicketPriority = fields.priority ?? 'normal'
  const now = ctx.clock.now()
  const plan = planSla(settings, priority, now)
  const me = actorId(ctx.actor)
  const [row] = await ctx.db
    .insert(serviceTickets)
    .values({
      id: newId('tkt'),
      tenantId: ctx.tenantId,
      number: await nextNumber(ctx, TICKET_PREFIX),
      customerId: fields.customerId ?? null,
      contactId: fields.contactId ?? null,
      reporterName: fields.reporterName ?? null,
      reporterPhone: fields.reporterPhone ?? null,
      contractId: fields.contractId ?? null,
      productId: fields.productId ?? null,
      deviceLabel: opts.deviceLabel ?? null,
      channel: opts.channel,
      type,
      priority,
      subject: fields.subject,
      description: fields.description ?? null,
      photos: fields.photos ?? [],
      status: 'new',
      requesterId: opts.requesterId ?? me,
      firstResponseDueAt: plan.responseDueAt,
      resolutionDueAt: plan.resolutionDueAt,
      statusToken: publicKey('st') + publicKey('').slice(1),
      externalSystem: opts.external?.system ?? null,
      externalId: opts.external?.id ?? null,
      createdById: me,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
  if (!row) throw new Error('ticket insert returned nothing')
  await recordEvent(ctx, row.id, 'created', {
    data: { channel: opts.channel, ...(opts.reporterLabel ? { by: opts.reporterLabel } : {}) },
  })
  await recordAudit(ctx, {
    action: 'service.ticket.create',
    targetType: 'service_ticket',
    targetId: row.id,
    after: { number: row.number, channel: row.channel, customerId: row.customerId, priority },
  })
  let owner = opts.owner
  let how: 'rule' | 'manual' | 'self' = owner === me ? 'self' : 'manual'
  if (owner === 'rules' || owner === undefined) {
    const picked = await pickEngineer(ctx, await dispatchFacts(ctx, row))
    owner = picked?.userId ?? null
    how = 'rule'
  }
  if (owner) return setOwner(ctx, row, owner, how, { settings })
  await scheduleTimers(ctx, row, settings)
  return row
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
