import { and, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { serviceTickets, users } from '../../../db/schema'
import { resultRows } from '../../lib/sql-rows'
import { notifyMessage } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { insertOutboxSql, type OutboxMessage } from '../outbox'
import type { TicketRow } from './access'
import { escalationTargets, recordEvent, type ServiceTimerPayload, tell, ticketCard } from './lifecycle'
import { labels } from './list-tickets'

export type ServiceTimerOutcome = 'reminded' | 'escalated' | 'stale'

/**
 * Runs one SLA timer that came due. It checks that the assignment it was set for is current and the clock
 * it is about still runs: the reminder (50 %) goes to the owner; the escalation (100 %) flags the breach
 * on the ticket and its timeline and sends the escalation card to the owner's manager (or the service
 * managers when nobody owns it).
 */
export async function runServiceTimer({
  ctx,
  payload,
}: {
  ctx: ServiceContext
  payload: Omit<ServiceTimerPayload, 'tenantId'>
}): Promise<ServiceTimerOutcome> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    const [t] = await txCtx.db
      .select()
      .from(serviceTickets)
      .where(and(eq(serviceTickets.tenantId, txCtx.tenantId), eq(serviceTickets.id, payload.ticketId)))
      .for('update')
    if (!t || t.assignmentSeq !== payload.seq) return 'stale'
    const clock = payload.step.startsWith('response') ? 'response' : 'resolution'
    const state = clock === 'response' ? t.responseSla : t.resolutionSla
    const dueAt = clock === 'response' ? t.firstResponseDueAt : t.resolutionDueAt
    if (state !== 'pending') return 'stale'
    if (payload.step.endsWith('reminder')) {
      if (!t.ownerId) return 'stale'
      await tell(txCtx, t, t.ownerId, clock === 'response' ? 'response_reminder' : 'resolution_reminder', {
        dueAt: dueAt?.toISOString() ?? null,
        clock,
      })
      return 'reminded'
    }
    const now = txCtx.clock.now()
    const [after] = await txCtx.db
      .update(serviceTickets)
      .set({
        ...(clock === 'response'
          ? { responseSla: 'breached' as const }
          : { resolutionSla: 'breached' as const }),
        version: t.version + 1,
        updatedAt: now,
      })
      .where(eq(serviceTickets.id, t.id))
      .returning()
    if (!after) return 'stale'
    await recordEvent(txCtx, t.id, 'sla_breach', { data: { clock }, internal: true, actorId: null })
    for (const u of await escalationTargets(txCtx, after))
      await tell(txCtx, after, u, 'escalation', { dueAt: dueAt?.toISOString() ?? null, clock })
    return 'escalated'
  })
}

/** Open tickets looked at per statement: each chunk commits on its own and holds its row locks briefly. */
const SCAN_CHUNK = 5000

/**
 * How long past a deadline the scan leaves the ticket to its timer: the timer flags it with the timeline
 * entry and the escalation card, and a flag set first would turn that timer into a no-op.
 */
export const SCAN_GRACE_MS = 15 * 60_000

const OPEN = sql.raw(`('new', 'assigned', 'in_progress', 'waiting_customer')`)
const overdue = (cutoff: Date, t = sql.raw('service_tickets')) => {
  const at = cutoff.toISOString()
  return {
    response: sql`(${t}.response_sla = 'pending' and ${t}.first_response_due_at < ${at}::timestamptz)`,
    resolution: sql`(${t}.resolution_sla = 'pending' and ${t}.resolution_due_at < ${at}::timestamptz)`,
  }
}

/**
 * The safety net behind the timers: flags every open ticket of the tenant whose deadline passed more than
 * {@link SCAN_GRACE_MS} ago while its clock still shows pending. It walks the open tickets (the partial
 * open index) in chunks of {@link SCAN_CHUNK} by (created, id), two at a time; in each chunk one statement locks the
 * overdue ones (rows another transaction holds are left to the next scan) and sets both clocks' flags in
 * one new row version. Only the flags and the version change and no index reads them, so the updates are
 * heap-only. Each chunk is a transaction that also writes the breaches' timeline entries and escalation
 * cards ({@link announceBreaches}). Returns how many clocks were flagged.
 */
export async function scanServiceSla(ctx: ServiceContext): Promise<{ response: number; resolution: number }> {
  const cutoff = new Date(ctx.clock.now().getTime() - SCAN_GRACE_MS)
  const due = overdue(cutoff)
  const locked = overdue(cutoff, sql.raw('l'))
  const total = { response: 0, resolution: 0 }
  // The chunks' upper bounds first (every SCAN_CHUNK-th open ticket by (created, id), one index-only pass), so
  // chunks can run two at a time: one chunk's breaches are announced (Node: names, cards) while the next
  // chunk's statement runs. The first chunk starts below everything and the last one has no upper bound, so
  // a ticket opened meanwhile is still seen.
  const bounds = resultRows<{ at: string; id: string }>(
    await ctx.db.execute(sql`
      select at, id from (
        select created_at::text as at, id, row_number() over (order by created_at, id) as n
        from service_tickets where tenant_id = ${ctx.tenantId} and status in ${OPEN}) o
      where n % ${SCAN_CHUNK} = 0
      order by n`),
  )
  const ranges = [...bounds, null].map((to, i) => ({ from: i > 0 ? bounds[i - 1] : undefined, to }))
  const scanRange = async (range: (typeof ranges)[number]) => {
    const lower: SQL = range.from
      ? sql`and (created_at, id) > (${range.from.at}::timestamptz, ${range.from.id})`
      : sql``
    const upper: SQL = range.to
      ? sql`and (created_at, id) <= (${range.to.at}::timestamptz, ${range.to.id})`
      : sql``
    type Chunk = { response: number; resolution: number; flagged: Flagged[] }
    // Each chunk in its own transaction: the flags, their timeline entries and the notices commit together.
    const r = await withTransaction(ctx, async (_tx, txCtx) => {
      const [chunk] = resultRows<Chunk>(
        await txCtx.db.execute(sql`
        with chunk as (
          select id from service_tickets
          where tenant_id = ${ctx.tenantId} and status in ${OPEN} ${lower} ${upper}
            and (${due.response} or ${due.resolution})
        ), lock as (
          select l.id, ${locked.response} as response, ${locked.resolution} as resolution
          from service_tickets l
          where l.id in (select id from chunk)
            and l.tenant_id = ${ctx.tenantId} and l.status in ${OPEN}
            and (${locked.response} or ${locked.resolution})
          for update skip locked
        ), flagged as (
          update service_tickets t
          set response_sla = case when lock.response then 'breached' else t.response_sla end,
              resolution_sla = case when lock.resolution then 'breached' else t.resolution_sla end,
              version = t.version + 1
          from lock where t.id = lock.id
          returning t.id, t.owner_id, t.customer_id, t.number, t.subject, t.type, t.priority, t.status, t.version,
            t.first_response_due_at, t.resolution_due_at, lock.response, lock.resolution
        )
        select (select count(*) filter (where response) from flagged)::int as response,
               (select count(*) filter (where resolution) from flagged)::int as resolution,
               (select coalesce(json_agg(flagged), '[]') from flagged) as flagged`),
      )
      if (chunk?.flagged.length) await announceBreaches(txCtx, chunk.flagged)
      return chunk
    })
    total.response += r?.response ?? 0
    total.resolution += r?.resolution ?? 0
  }
  let next = 0
  const lane = async () => {
    while (next < ranges.length) {
      const range = ranges[next++]
      if (range) await scanRange(range)
    }
  }
  await Promise.all([lane(), lane()])
  return total
}

/** A ticket the scan flagged, as the flagging statement returns it. */
interface Flagged {
  id: string
  owner_id: string | null
  customer_id: string | null
  number: string
  subject: string
  type: string
  priority: TicketRow['priority']
  status: TicketRow['status']
  version: number
  first_response_due_at: string | null
  resolution_due_at: string | null
  response: boolean
  resolution: boolean
}

/**
 * What the scan's flags leave behind, in the flagging transaction (so exactly once per breach: a later scan
 * or the ticket's own timer finds the clock no longer pending): an internal `sla_breach` timeline entry per
 * clock, and one escalation card per ticket to its owner and to the owner's manager (the service managers
 * when nobody owns it or the owner has no manager), rendered at send time in each reader's language. The
 * reads go out together, then one round trip writes.
 */
async function announceBreaches(ctx: ServiceContext, flagged: Flagged[]): Promise<void> {
  const owners = [...new Set(flagged.flatMap((f) => (f.owner_id ? [f.owner_id] : [])))]
  const [managers, names] = await Promise.all([
    owners.length
      ? ctx.db
          .select({ id: users.id, managerId: users.managerId })
          .from(users)
          .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, owners)))
      : [],
    labels(
      ctx,
      flagged.map((f) => ({ customerId: f.customer_id, ownerId: f.owner_id })),
    ),
  ])
  const managerOf = new Map(managers.map((p) => [p.id, p.managerId]))
  let dispatchers: string[] | null = null
  const now = ctx.clock.now()
  const events: Array<{ ticket_id: string; data: Record<string, unknown>; n: number }> = []
  const messages: OutboxMessage[] = []
  for (const f of flagged) {
    for (const clock of ['response', 'resolution'] as const)
      if (f[clock]) events.push({ ticket_id: f.id, data: { clock, by: 'scan' }, n: events.length })
    const manager = f.owner_id ? managerOf.get(f.owner_id) : null
    if (!manager) dispatchers ??= await escalationTargets(ctx, { ownerId: null })
    const readers = [
      ...new Set([...(f.owner_id ? [f.owner_id] : []), ...(manager ? [manager] : (dispatchers ?? []))]),
    ]
    const clock = f.response ? 'response' : 'resolution'
    const dueAt = clock === 'response' ? f.first_response_due_at : f.resolution_due_at
    const t = { ...f, ownerId: f.owner_id }
    for (const to of readers)
      messages.push(
        notifyMessage(ctx, {
          to: { userId: to },
          view: ticketCard(
            t,
            'escalation',
            f.customer_id ? (names.customers.get(f.customer_id) ?? null) : null,
            f.owner_id ? (names.users.get(f.owner_id) ?? null) : null,
            {
              dueAt: dueAt ? new Date(dueAt).toISOString() : null,
              clock,
            },
          ),
          ref: `service:${f.id}:escalation:${to}`,
          version: f.version,
        }),
      )
  }
  // One statement of constant text with two JSON parameters: a chunk can flag 5,000 tickets (10,000
  // entries and more cards), past the 65,535 bind parameters a multi-row VALUES insert may use.
  await ctx.db.execute(sql`
    with e as (
      insert into service_ticket_events (tenant_id, ticket_id, kind, actor_id, data, internal, at)
      select ${ctx.tenantId}::text, ticket_id, 'sla_breach', null, data, true, ${now.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as x(ticket_id text, data jsonb, n int)
      order by n
    )
    ${insertOutboxSql(ctx, messages)}`)
}

/** The tenants with an open ticket the scan would flag now (walks the partial open index). */
export async function tenantsWithOverdueTickets(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
): Promise<string[]> {
  const due = overdue(new Date(ctx.clock.now().getTime() - SCAN_GRACE_MS))
  const rows = resultRows<{ tenant_id: string }>(
    await ctx.db.execute(sql`
      select distinct tenant_id from service_tickets
      where status in ${OPEN} and (${due.response} or ${due.resolution})`),
  )
  return rows.map((r) => r.tenant_id)
}
