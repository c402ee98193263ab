import { and, eq } from 'drizzle-orm'
import { serviceTickets, users, visits } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { toVisitDto, type VisitDto } from '../crm/visits'
import { ForbiddenError, InvalidInputError } from '../errors'
import { loadServiceAccess, mayWork, requireTicket, type TicketRow } from './access'
import { recordEvent } from './lifecycle'
import { onSiteInput, parseInput } from './schemas'

/**
 * 上门: an on-site job for a ticket. Plans a visit to the ticket's customer for its engineer (the owner, or
 * the caller when nobody owns it yet) and links it to the ticket; the engineer checks in and out with GPS
 * and adds photos through the visits feature, and the ticket's timeline shows it. A ticket with a visit that
 * is still open answers that visit (a second tap plans nothing).
 */
export async function planTicketVisit({
  ctx,
  ticketId,
  input,
}: {
  ctx: ServiceContext
  ticketId: string
  input: unknown
}): Promise<{ visit: VisitDto; created: boolean }> {
  const data = parseInput(onSiteInput, input ?? {})
  const me = actorId(ctx.actor)
  if (!me) throw new ForbiddenError('only people plan on-site visits')
  return withTransaction(ctx, async (_tx, c) => {
    const access = await loadServiceAccess(c)
    const t = await requireTicket(c, access, ticketId, { forUpdate: true })
    if (!mayWork(access, t))
      throw new ForbiddenError('only the ticket’s owner or a service manager may do this')
    if (!t.customerId)
      throw new InvalidInputError(
        'customerId',
        '工单没有客户，无法上门 / the ticket has no customer to visit',
      )
    if (['resolved', 'closed', 'rejected', 'duplicate'].includes(t.status))
      throw new InvalidInputError('status', '工单已结束 / the ticket is finished')
    const linked = await linkedVisit(c, t)
    if (linked && linked.status !== 'checked_out') return { visit: toVisitDto(linked), created: false }
    const now = c.clock.now()
    const engineer = t.ownerId ?? me
    const [row] = await c.db
      .insert(visits)
      .values({
        id: newId('vis'),
        tenantId: c.tenantId,
        customerId: t.customerId,
        userId: engineer,
        status: 'planned',
        plannedAt: data.plannedAt ?? now,
        purpose: data.purpose ?? `${t.number} ${t.subject}`.slice(0, 500),
        createdAt: now,
      })
      .returning()
    if (!row) throw new Error('insert returned nothing')
    await c.db
      .update(serviceTickets)
      .set({ visitId: row.id, updatedAt: now, version: t.version + 1 })
      .where(and(eq(serviceTickets.tenantId, c.tenantId), eq(serviceTickets.id, t.id)))
    await recordEvent(c, t.id, 'visit', {
      data: {
        visitId: row.id,
        action: 'planned',
        engineerId: engineer,
        plannedAt: row.plannedAt?.toISOString() ?? null,
      },
      internal: true,
    })
    return { visit: toVisitDto(row), created: true }
  })
}

async function linkedVisit(ctx: ServiceContext, t: TicketRow) {
  if (!t.visitId) return undefined
  const [v] = await ctx.db
    .select()
    .from(visits)
    .where(and(eq(visits.tenantId, ctx.tenantId), eq(visits.id, t.visitId)))
  return v
}

/** A timeline entry drawn from the linked visit (check-in, check-out), shaped like the ticket's own events. */
export interface VisitTimelineEntry {
  id: number
  kind: 'visit_check_in' | 'visit_check_out'
  actorId: string | null
  actorName: string | null
  body: string | null
  data: Record<string, unknown>
  internal: boolean
  at: string
}

/**
 * The linked visit's check-in and check-out as timeline entries (where, how far from the customer, flagged,
 * photos), so the ticket shows the on-site work as it happened; ids are negative so they never clash.
 */
export async function visitTimeline(ctx: ServiceContext, t: TicketRow): Promise<VisitTimelineEntry[]> {
  const v = await linkedVisit(ctx, t)
  if (!v?.checkInAt) return []
  const [who] = await ctx.db
    .select({ name: users.name })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, v.userId)))
  const nameOf = () => who?.name ?? null
  const out: VisitTimelineEntry[] = []
  if (v.checkInAt)
    out.push({
      id: -1,
      kind: 'visit_check_in',
      actorId: v.userId,
      actorName: nameOf(),
      body: v.checkInAddress,
      data: {
        visitId: v.id,
        distanceM: v.checkInDistanceM,
        flagged: v.checkInFlagged,
        lat: v.checkInLat,
        lng: v.checkInLng,
      },
      internal: true,
      at: v.checkInAt.toISOString(),
    })
  if (v.checkOutAt)
    out.push({
      id: -2,
      kind: 'visit_check_out',
      actorId: v.userId,
      actorName: nameOf(),
      body: v.summary,
      data: { visitId: v.id, photos: v.photos.length },
      internal: true,
      at: v.checkOutAt.toISOString(),
    })
  return out
}
