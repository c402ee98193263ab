import { and, asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { lockInstanceOfTaskWithTasks } from '../../bot/domain/approvals/store'
import { withTransaction } from '../../bot/domain/context'
import type { Database } from '../../db/client'
import { approvalTasks, approvalTimeline, auditLog, outbox } from '../../db/schema'
import { dayFromNow as D } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { waitFor } from '../helpers/wait'
import { type ApprovalsTenant, approvalsTenant, ctxAs, pendingTaskOf, tap } from './approvals-harness'

/** The batched writes of a tap (timeline, audit and outbox in one statement) keep what separate inserts wrote. */
let database: Database
let org: ApprovalsTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
})
afterAll(async () => database?.close())

const counts = async (instanceId: string) => {
  const [t, a, o] = await Promise.all([
    database.db.select().from(approvalTimeline).where(eq(approvalTimeline.instanceId, instanceId)),
    database.db.select().from(auditLog).where(eq(auditLog.tenantId, org.tenantId)),
    database.db.select().from(outbox).where(eq(outbox.tenantId, org.tenantId)),
  ])
  return { timeline: t.length, audit: a.length, outbox: o.length }
}

describe('batched approval writes', () => {
  it('reads a tapped task’s request in the round trip that locks it, after the lock is held', async () => {
    const view = await startInstance({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        templateKey: 'expense',
        form: { category: 'travel', amount: 80_00, date: D(-2), description: '地铁' },
      },
    })
    const id = view.instance.id
    const task = await pendingTaskOf(database, org, id, 'zhangwei')
    // Another transaction holds the request's lock and changes the task before it commits.
    let holding!: () => void
    const held = new Promise<void>((r) => {
      holding = r
    })
    let commit!: () => void
    const committing = new Promise<void>((r) => {
      commit = r
    })
    const other = database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from approval_instances where id = ${id} for update`)
      holding()
      await committing
      await tx.update(approvalTasks).set({ comment: '同时改的' }).where(eq(approvalTasks.id, task.id))
    })
    await held
    const reading = withTransaction(ctxAs(database, org, 'zhangwei'), (_tx, c) =>
      lockInstanceOfTaskWithTasks(c, task.id),
    )
    await waitFor(async () => {
      const [r] = await database.rows<{ n: number }>(
        sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`,
      )
      return r?.n === 1
    }, 'the tap to wait for the lock')
    commit()
    await other
    const { ins, tasks } = await reading
    expect(ins.id).toBe(id)
    // The tasks were read after the other transaction committed: a read in the locking statement's snapshot
    // (or before the lock) would show the task as it was.
    expect(tasks.find((t) => t.id === task.id)?.comment).toBe('同时改的')
    expect(tasks.map((t) => t.instanceId)).toEqual(tasks.map(() => id))
  })

  it('writes timeline (in order, JSON null as SQL NULL), audit and outbox rows of a tap, and nothing for a losing tap', async () => {
    const view = await startInstance({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        templateKey: 'expense',
        form: { category: 'travel', amount: 120_00, date: D(-3), description: '打车' },
      },
    })
    const id = view.instance.id
    const task = await pendingTaskOf(database, org, id, 'zhangwei')
    const before = await counts(id)
    const won = await tap(database, org, 'zhangwei', {
      a: 'approval.approve',
      task: task.id,
      v: task.version,
    })
    expect(won.toast?.kind).toBe('success')
    const after = await counts(id)
    expect(after.timeline).toBeGreaterThan(before.timeline)
    expect(after.audit).toBe(before.audit + 1)
    expect(after.outbox).toBeGreaterThan(before.outbox)
    const rows = await database.db
      .select({
        action: approvalTimeline.action,
        actorKind: approvalTimeline.actorKind,
        beforeIsNull: sql<boolean>`${approvalTimeline.before} is null`,
        after: approvalTimeline.after,
      })
      .from(approvalTimeline)
      .where(and(eq(approvalTimeline.tenantId, org.tenantId), eq(approvalTimeline.instanceId, id)))
      .orderBy(asc(approvalTimeline.id))
    expect(rows[0]?.action).toBe('submit')
    const approve = rows.find((r) => r.action === 'approve')
    expect(approve).toMatchObject({
      actorKind: 'devchat',
      beforeIsNull: false,
      after: { status: 'approved' },
    })
    expect(rows.findIndex((r) => r.action === 'approve')).toBeGreaterThan(0)
    const [audit] = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.targetId, task.id)))
    expect(audit).toMatchObject({ action: 'approval.approve', actorKind: 'devchat', meta: null })
    const lost = await tap(database, org, 'zhangwei', {
      a: 'approval.approve',
      task: task.id,
      v: task.version,
    })
    expect(lost.toast?.kind).not.toBe('success')
    expect(await counts(id)).toEqual(after)
  })

  it('finishes a request: the finish entry has no `before` (SQL NULL) and its outbox rows are due now', async () => {
    const view = await startInstance({
      ctx: ctxAs(database, org, 'liuyang'),
      input: {
        templateKey: 'expense',
        form: { category: 'travel', amount: 120_00, date: D(-2), description: '打车' },
      },
    })
    const id = view.instance.id
    const task = await pendingTaskOf(database, org, id, 'zhangwei')
    await tap(
      database,
      org,
      'zhangwei',
      { a: 'approval.reject', task: task.id, v: task.version },
      { comment: '票据不全' },
    )
    const [finish] = await database.db
      .select({
        beforeIsNull: sql<boolean>`${approvalTimeline.before} is null`,
        after: approvalTimeline.after,
      })
      .from(approvalTimeline)
      .where(and(eq(approvalTimeline.instanceId, id), eq(approvalTimeline.action, 'finish')))
    expect(finish).toEqual({ beforeIsNull: true, after: { status: 'rejected' } })
    const [due] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(
        and(
          eq(outbox.tenantId, org.tenantId),
          sql`${outbox.payload} ->> 'instanceId' = ${id}`,
          sql`${outbox.availableAt} > now() + interval '1 minute'`,
        ),
      )
    expect(due?.n).toBe(0)
  })
})
