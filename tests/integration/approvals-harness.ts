import { and, asc, eq } from 'drizzle-orm'
import type { ServiceContext } from '../../bot/domain/context'
import { type Clock, systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { approvalInstances, approvalTasks, approvalTimeline, outbox } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import type { SeededOrg } from '../../db/seed/org'
import { InlineQueue } from '../../jobs/drivers/inline'
import { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import { actingAs, silent, uid } from '../helpers/actors'
import { createTestTenant } from '../helpers/db'
import { cardOfPayload } from '../helpers/outbox-card'

export { say, tap } from '../helpers/chat'

export { silent }

export interface ApprovalsTenant extends SeededOrg {
  tenantKey: string
  /** user id → spec key */
  keyOf: Record<string, string>
}

/** A fresh devchat tenant with the demo org and the demo approval templates. */
export async function approvalsTenant(database: Database): Promise<ApprovalsTenant> {
  const tenantKey = newId('tk')
  const org = await createTestTenant(database, { tenantKey })
  await database.db.transaction((tx) => seedApprovalTemplates(tx, org))
  const keyOf = Object.fromEntries(Object.entries(org.users).map(([k, v]) => [v, k]))
  return { ...org, tenantKey, keyOf }
}

export { uid }

export const ctxAs = (
  database: Database,
  org: SeededOrg,
  key: string,
  clock: Clock = systemClock,
): ServiceContext => actingAs(database, org, key, 'devchat', clock)

export async function tasksOf(database: Database, instanceId: string) {
  return database.db
    .select()
    .from(approvalTasks)
    .where(eq(approvalTasks.instanceId, instanceId))
    .orderBy(
      asc(approvalTasks.round),
      asc(approvalTasks.stepIndex),
      asc(approvalTasks.seq),
      asc(approvalTasks.createdAt),
    )
}

export async function pendingTaskOf(database: Database, org: SeededOrg, instanceId: string, key: string) {
  const rows = await database.db
    .select()
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.instanceId, instanceId),
        eq(approvalTasks.assigneeId, uid(org, key)),
        eq(approvalTasks.status, 'pending'),
      ),
    )
  const t = rows[0]
  if (!t) throw new Error(`${key} has no pending task on ${instanceId}`)
  return t
}

export async function instanceRow(database: Database, instanceId: string) {
  const [row] = await database.db.select().from(approvalInstances).where(eq(approvalInstances.id, instanceId))
  if (!row) throw new Error(`no instance ${instanceId}`)
  return row
}

export async function timelineOf(database: Database, instanceId: string) {
  return database.db
    .select()
    .from(approvalTimeline)
    .where(eq(approvalTimeline.instanceId, instanceId))
    .orderBy(asc(approvalTimeline.id))
}

export async function outboxOf(database: Database, tenantId: string) {
  return database.db.select().from(outbox).where(eq(outbox.tenantId, tenantId)).orderBy(asc(outbox.id))
}

/**
 * The messages to a person, each payload with the card it shows (`card`: a recorded view rendered as the
 * send job renders it), so a test can look for what the person reads.
 */
export async function cardsTo(database: Database, org: SeededOrg, key: string) {
  const rows = await outboxOf(database, org.tenantId)
  const mine = rows.filter((r) => {
    const to = (r.payload as { to?: { userId?: string } }).to
    return r.topic === 'send.message' && to?.userId === uid(org, key)
  })
  return Promise.all(
    mine.map(async (r) => ({
      ...r,
      payload: { ...r.payload, card: await cardOfPayload(database, r.payload) },
    })),
  )
}

/** Relay (as of `now`) and the real processors with the devchat platform, on an in-process queue. */
export async function jobRunner(database: Database, tenantId: string) {
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  // The relay is driven by hand (`drain`), so the workers start without one.
  await startWorkers({
    database,
    queue,
    logger: silent,
    clock: systemClock,
    platforms,
    concurrency: 8,
    relay: false,
  })
  const relay = new OutboxRelay(database, queue, { tenantId })
  return {
    queue,
    relay,
    /** Relays every row due at `now` and waits until the queue has run them all (and what they emitted). */
    async drain(now: Date = new Date()): Promise<void> {
      for (let i = 0; i < 20; i++) {
        // Only the first pass looks into the future; what the jobs emit is relayed as of the real now.
        const n = await relay.relayAll(i === 0 ? now : new Date())
        if (n === 0 && queue.pendingCount() === 0) return
        const deadline = Date.now() + 10_000
        while (queue.pendingCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      }
    },
    close: () => queue.close(),
  }
}
