import { and, asc, eq } from 'drizzle-orm'
import type { Database } from '../../../db/client'
import { serviceTicketEvents, serviceTickets } from '../../../db/schema'
import type { Clock } from '../../lib/clock'
import type { Logger } from '../../lib/logger'
import { actorId, type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidTransitionError, NotFoundError } from '../errors'
import type { TicketRow } from './access'
import { escalationTargets, moveStatus, recordEvent, tell } from './lifecycle'
import { parseInput, ratingInput } from './schemas'
import { loadServiceSettings } from './settings'

/** What the customer's status link shows: this ticket only, its public timeline, nobody's contact data. */
export interface PublicTicketView {
  number: string
  subject: string
  type: string
  status: string
  createdAt: string
  resolvedAt: string | null
  resolutionNote: string | null
  rating: number | null
  canRate: boolean
  timeline: Array<{ kind: string; at: string; body: string | null; status: string | null }>
}

const systemCtx = (database: Pick<Database, 'db'>, clock: Clock, logger: Logger, tenantId: string) =>
  ({
    tenantId,
    actor: { kind: 'system', reason: 'service:status-link' },
    db: database.db,
    clock,
    logger,
  }) satisfies ServiceContext

async function byToken(db: Pick<Database, 'db'>['db'], token: string): Promise<TicketRow> {
  const [t] =
    token.length >= 20 && token.length <= 80
      ? await db.select().from(serviceTickets).where(eq(serviceTickets.statusToken, token))
      : []
  if (!t) throw new NotFoundError('ticket')
  return t
}

/** The status page of the token's ticket (404 for any other token). */
export async function getPublicTicket({
  database,
  token,
}: {
  database: Pick<Database, 'db'>
  token: string
}): Promise<PublicTicketView> {
  const t = await byToken(database.db, token)
  const events = await database.db
    .select()
    .from(serviceTicketEvents)
    .where(
      and(
        eq(serviceTicketEvents.tenantId, t.tenantId),
        eq(serviceTicketEvents.ticketId, t.id),
        eq(serviceTicketEvents.internal, false),
      ),
    )
    .orderBy(asc(serviceTicketEvents.id))
  return {
    number: t.number,
    subject: t.subject,
    type: t.type,
    status: t.status,
    createdAt: t.createdAt.toISOString(),
    resolvedAt: t.resolvedAt?.toISOString() ?? null,
    resolutionNote: t.resolutionNote,
    rating: t.rating,
    canRate: t.status === 'resolved' && t.rating === null,
    timeline: events
      .filter(
        (e) =>
          e.kind === 'created' ||
          e.kind === 'status' ||
          e.kind === 'reopened' ||
          e.kind === 'comment' ||
          e.kind === 'rated',
      )
      .map((e) => ({
        kind: e.kind,
        at: e.at.toISOString(),
        body: e.kind === 'comment' || e.kind === 'rated' ? e.body : null,
        status: typeof e.data.to === 'string' ? e.data.to : null,
      })),
  }
}

/**
 * Records the satisfaction rating of a resolved ticket (once). A rating at or below the tenant's threshold
 * reopens the ticket and alerts the owner's manager; a good one closes it.
 */
export async function applyRating(
  ctx: ServiceContext,
  t: TicketRow,
  input: { rating: number; comment?: string | null },
  by: string,
): Promise<TicketRow> {
  const data = parseInput(ratingInput, input)
  if (t.status !== 'resolved' || t.rating !== null)
    throw new InvalidTransitionError('only a resolved ticket is rated, once', { status: t.status })
  const now = ctx.clock.now()
  const settings = await loadServiceSettings(ctx.db, ctx.tenantId)
  const [rated] = await ctx.db
    .update(serviceTickets)
    .set({ rating: data.rating, ratingComment: data.comment ?? null, ratedAt: now, updatedAt: now })
    .where(eq(serviceTickets.id, t.id))
    .returning()
  if (!rated) throw new Error('ticket update returned nothing')
  await recordEvent(ctx, t.id, 'rated', {
    body: data.comment ?? null,
    data: { rating: data.rating, by },
  })
  if (data.rating <= settings.lowRating) {
    const reopened = await moveStatus(ctx, rated, 'in_progress', {
      note: `满意度 ${data.rating}/5`,
      patch: { rating: data.rating, ratingComment: data.comment ?? null, ratedAt: now },
    })
    for (const u of await escalationTargets(ctx, reopened))
      await tell(ctx, reopened, u, 'low_rating', { rating: data.rating, ratingComment: data.comment ?? null })
    if (reopened.ownerId)
      await tell(ctx, reopened, reopened.ownerId, 'low_rating', {
        rating: data.rating,
        ratingComment: data.comment ?? null,
      })
    return reopened
  }
  return moveStatus(ctx, rated, 'closed')
}

/** The customer rates through the status link (no session: the unguessable token is the key). */
export async function rateByToken({
  database,
  clock,
  logger,
  token,
  input,
}: {
  database: Pick<Database, 'db'>
  clock: Clock
  logger: Logger
  token: string
  input: { rating: number; comment?: string | null }
}): Promise<PublicTicketView> {
  const found = await byToken(database.db, token)
  const ctx = systemCtx(database, clock, logger, found.tenantId)
  await withTransaction(ctx, async (_tx, txCtx) => {
    const [t] = await txCtx.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.id, found.id))
      .for('update')
    if (!t) throw new NotFoundError('ticket')
    await applyRating(txCtx, t, input, 'customer')
  })
  return getPublicTicket({ database, token })
}

/** The internal requester rates from the card they got on resolution. */
export async function rateTicket({
  ctx,
  ticketId,
  input,
}: {
  ctx: ServiceContext
  ticketId: string
  input: { rating: number; comment?: string | null }
}): Promise<TicketRow> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [t] = await txCtx.db
      .select()
      .from(serviceTickets)
      .where(and(eq(serviceTickets.tenantId, txCtx.tenantId), eq(serviceTickets.id, ticketId)))
      .for('update')
    if (!t) throw new NotFoundError('ticket', ticketId)
    const me = actorId(txCtx.actor)
    if (!me || t.requesterId !== me) throw new ForbiddenError('only the requester rates the ticket')
    return applyRating(txCtx, t, input, 'requester')
  })
}
