import { and, asc, desc, eq, ilike, inArray, isNull, lt, or, type SQL } from 'drizzle-orm'
import {
  customers,
  serviceTicketEvents,
  serviceTickets,
  type TicketChannel,
  type TicketPriority,
  type TicketSlaState,
  type TicketStatus,
  users,
} from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import { actorId, type ServiceContext } from '../context'
import { InvalidInputError } from '../errors'
import {
  loadServiceAccess,
  requireTicket,
  type ServiceAccess,
  type TicketRow,
  visibleTickets,
} from './access'
import { OPEN_STATUSES } from './lifecycle'
import { parseInput, ticketListInput } from './schemas'
import { visitTimeline } from './visit'

/** A ticket as lists and the detail show it (times ISO; the status token only to those who see the ticket). */
export interface TicketDto {
  id: string
  number: string
  subject: string
  description: string | null
  type: string
  priority: TicketPriority
  status: TicketStatus
  channel: TicketChannel
  customerId: string | null
  customerName: string | null
  contactId: string | null
  contractId: string | null
  productId: string | null
  deviceLabel: string | null
  /** The on-site visit linked by 上门. */
  visitId: string | null
  reporterName: string | null
  reporterPhone: string | null
  ownerId: string | null
  ownerName: string | null
  photos: string[]
  firstResponseDueAt: string | null
  firstRespondedAt: string | null
  responseSla: TicketSlaState
  resolutionDueAt: string | null
  resolvedAt: string | null
  resolutionSla: TicketSlaState
  resolutionNote: string | null
  rating: number | null
  ratingComment: string | null
  statusPath: string
  createdAt: string
  updatedAt: string
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/** The names of the tickets' customers and owners (two statements sent together). */
export async function labels(ctx: ServiceContext, rows: Array<Pick<TicketRow, 'customerId' | 'ownerId'>>) {
  const customerIds = [...new Set(rows.map((r) => r.customerId).filter((x): x is string => !!x))]
  const ownerIds = [...new Set(rows.map((r) => r.ownerId).filter((x): x is string => !!x))]
  const [cs, us] = await Promise.all([
    customerIds.length
      ? ctx.db
          .select({ id: customers.id, name: customers.name })
          .from(customers)
          .where(and(eq(customers.tenantId, ctx.tenantId), inArray(customers.id, customerIds)))
      : [],
    ownerIds.length
      ? ctx.db
          .select({ id: users.id, name: users.name })
          .from(users)
          .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ownerIds)))
      : [],
  ])
  return { customers: new Map(cs.map((c) => [c.id, c.name])), users: new Map(us.map((u) => [u.id, u.name])) }
}

function toDto(t: TicketRow, l: Awaited<ReturnType<typeof labels>>): TicketDto {
  return {
    id: t.id,
    number: t.number,
    subject: t.subject,
    description: t.description,
    type: t.type,
    priority: t.priority,
    status: t.status,
    channel: t.channel,
    customerId: t.customerId,
    customerName: t.customerId ? (l.customers.get(t.customerId) ?? null) : null,
    contactId: t.contactId,
    contractId: t.contractId,
    productId: t.productId,
    deviceLabel: t.deviceLabel,
    visitId: t.visitId,
    reporterName: t.reporterName,
    reporterPhone: t.reporterPhone,
    ownerId: t.ownerId,
    ownerName: t.ownerId ? (l.users.get(t.ownerId) ?? null) : null,
    photos: t.photos,
    firstResponseDueAt: iso(t.firstResponseDueAt),
    firstRespondedAt: iso(t.firstRespondedAt),
    responseSla: t.responseSla,
    resolutionDueAt: iso(t.resolutionDueAt),
    resolvedAt: iso(t.resolvedAt),
    resolutionSla: t.resolutionSla,
    resolutionNote: t.resolutionNote,
    rating: t.rating,
    ratingComment: t.ratingComment,
    statusPath: `/s/t/${t.statusToken}`,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  }
}

export async function ticketDtos(ctx: ServiceContext, rows: TicketRow[]): Promise<TicketDto[]> {
  const l = await labels(ctx, rows)
  return rows.map((r) => toDto(r, l))
}

const encodeCursor = (t: TicketRow) => `${t.createdAt.toISOString()}|${t.id}`
function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = c.split('|')
  const d = new Date(at ?? '')
  if (!id || Number.isNaN(d.getTime()))
    throw new InvalidInputError('cursor', 'cursor: not a cursor of this list')
  return { at: d, id }
}

export function ticketFilter(
  ctx: ServiceContext,
  access: ServiceAccess,
  input: ReturnType<typeof ticketListInput.parse>,
): SQL {
  const me = actorId(ctx.actor)
  const conds: Array<SQL | undefined> = [visibleTickets(ctx, access)]
  if (input.status === 'open') conds.push(inArray(serviceTickets.status, OPEN_STATUSES))
  else if (input.status) conds.push(eq(serviceTickets.status, input.status))
  if (input.priority) conds.push(eq(serviceTickets.priority, input.priority))
  if (input.type) conds.push(eq(serviceTickets.type, input.type))
  if (input.ownerId === 'me') conds.push(me ? eq(serviceTickets.ownerId, me) : isNull(serviceTickets.id))
  else if (input.ownerId === 'none') conds.push(isNull(serviceTickets.ownerId))
  else if (input.ownerId) conds.push(eq(serviceTickets.ownerId, input.ownerId))
  if (input.customerId) conds.push(eq(serviceTickets.customerId, input.customerId))
  if (input.breached === 'true')
    conds.push(or(eq(serviceTickets.responseSla, 'breached'), eq(serviceTickets.resolutionSla, 'breached')))
  if (input.q) {
    const like = `%${escapeLike(input.q)}%`
    conds.push(or(ilike(serviceTickets.subject, like), eq(serviceTickets.number, input.q)))
  }
  if (input.cursor) {
    const c = decodeCursor(input.cursor)
    conds.push(
      or(
        lt(serviceTickets.createdAt, c.at),
        and(eq(serviceTickets.createdAt, c.at), lt(serviceTickets.id, c.id)),
      ),
    )
  }
  return and(...conds) as SQL
}

/** A page of the tickets the caller may see, newest first, with the cursor of the next page. */
export async function listTickets({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: unknown
}): Promise<{ items: TicketDto[]; nextCursor: string | null }> {
  const data = parseInput(ticketListInput, input ?? {})
  const limit = data.limit ?? 20
  const access = await loadServiceAccess(ctx)
  // The page with its customers' and owners' names in one round trip (left joins by primary key).
  const found = await ctx.db
    .select({ t: serviceTickets, customerName: customers.name, ownerName: users.name })
    .from(serviceTickets)
    .leftJoin(
      customers,
      and(eq(customers.id, serviceTickets.customerId), eq(customers.tenantId, serviceTickets.tenantId)),
    )
    .leftJoin(users, and(eq(users.id, serviceTickets.ownerId), eq(users.tenantId, serviceTickets.tenantId)))
    .where(ticketFilter(ctx, access, data))
    .orderBy(desc(serviceTickets.createdAt), desc(serviceTickets.id))
    .limit(limit + 1)
  const page = found.slice(0, limit)
  const last = page.at(-1)?.t
  const l = {
    customers: new Map(
      page.flatMap((r) => (r.t.customerId && r.customerName ? [[r.t.customerId, r.customerName]] : [])),
    ),
    users: new Map(page.flatMap((r) => (r.t.ownerId && r.ownerName ? [[r.t.ownerId, r.ownerName]] : []))),
  }
  return {
    items: page.map((r) => toDto(r.t, l)),
    nextCursor: found.length > limit && last ? encodeCursor(last) : null,
  }
}

export interface TicketEventDto {
  id: number
  kind: string
  actorId: string | null
  actorName: string | null
  body: string | null
  data: Record<string, unknown>
  internal: boolean
  at: string
}

/** One ticket with its whole timeline (404 outside the caller's scope). */
export async function getTicket({
  ctx,
  ticketId,
}: {
  ctx: ServiceContext
  ticketId: string
}): Promise<{ ticket: TicketDto; timeline: TicketEventDto[]; canWork: boolean; canDispatch: boolean }> {
  const access = await loadServiceAccess(ctx)
  const t = await requireTicket(ctx, access, ticketId)
  const events = await ctx.db
    .select({ e: serviceTicketEvents, name: users.name })
    .from(serviceTicketEvents)
    .leftJoin(users, eq(users.id, serviceTicketEvents.actorId))
    .where(and(eq(serviceTicketEvents.tenantId, ctx.tenantId), eq(serviceTicketEvents.ticketId, t.id)))
    .orderBy(asc(serviceTicketEvents.id))
  const [ticket] = await ticketDtos(ctx, [t])
  if (!ticket) throw new Error('dto')
  const me = actorId(ctx.actor)
  const onSite = await visitTimeline(ctx, t)
  return {
    ticket,
    timeline: [
      ...events.map(({ e, name }) => ({
        id: e.id,
        kind: e.kind,
        actorId: e.actorId,
        actorName: name,
        body: e.body,
        data: e.data,
        internal: e.internal,
        at: e.at.toISOString(),
      })),
      ...onSite,
    ].sort((a, b) => a.at.localeCompare(b.at)),
    canWork: !me || t.ownerId === me || access.canManage,
    canDispatch: access.canManage,
  }
}
