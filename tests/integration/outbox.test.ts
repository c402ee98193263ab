import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServiceContext, withTransaction } from '../../bot/domain/context'
import { emit } from '../../bot/domain/outbox'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { outbox } from '../../db/schema'
import { InlineQueue } from '../../jobs/drivers/inline'
import { OutboxCompletions, OutboxRelay, outboxWorkOptions, stripOutboxFields } from '../../jobs/outbox'
import type { JobOptions, JobPayload, JobQueue } from '../../jobs/queue'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { waitFor } from '../helpers/wait'

const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** Records every add without deduping, so a double relay would show. Wraps a real queue for processing. */
class RecordingQueue extends InlineQueue {
  added: string[] = []
  override async add(name: string, payload: JobPayload, options?: JobOptions): Promise<void> {
    this.added.push(options?.jobId ?? '?')
    await super.add(name, payload, options)
  }
  override async addBulk(
    jobs: Array<{ name: string; payload: JobPayload; options?: JobOptions }>,
  ): Promise<void> {
    for (const j of jobs) await this.add(j.name, j.payload, j.options)
  }
}

let database: Database
let second: Database
beforeAll(async () => {
  database = await openTestDatabase()
  second = database.kind === 'postgres' ? await openTestDatabase() : database
})
afterAll(async () => {
  if (second !== database) await second.close()
  await database.close()
})

const contextFor = (tenantId: string): ServiceContext => ({
  tenantId,
  actor: { kind: 'system', reason: 'test' },
  db: database.db,
  clock: systemClock,
  logger: silent,
})

const statusOf = async (tenantId: string) =>
  database.db
    .select({ status: outbox.status, attempts: outbox.attempts, lastError: outbox.lastError })
    .from(outbox)
    .where(eq(outbox.tenantId, tenantId))

describe('outbox', () => {
  it('never delivers a row whose transaction rolled back', async () => {
    const { tenantId } = await createTestTenant(database)
    const ctx = contextFor(tenantId)
    await expect(
      withTransaction(ctx, async (_tx, txCtx) => {
        await emit(txCtx, { topic: 'test.echo', payload: { n: 1 } })
        throw new Error('the state change failed')
      }),
    ).rejects.toThrow('the state change failed')
    const queue = new RecordingQueue()
    const relay = new OutboxRelay(database, queue, { tenantId })
    expect(await relay.relayAll()).toBe(0)
    expect(queue.added).toEqual([])
    expect(await statusOf(tenantId)).toEqual([])
    await queue.close()
  })

  it('delivers each committed row exactly once while two relays race', async () => {
    const { tenantId } = await createTestTenant(database)
    const ctx = contextFor(tenantId)
    const N = 600
    await withTransaction(ctx, async (_tx, txCtx) => {
      await emit(
        txCtx,
        Array.from({ length: N }, (_, i) => ({ topic: 'test.count', payload: { i } })),
      )
    })
    const processed = new Map<number, number>()
    const queue = new RecordingQueue()
    await queue.work(
      stripOutboxFields({
        'test.count': async (p) => {
          const i = Number(p.i)
          processed.set(i, (processed.get(i) ?? 0) + 1)
        },
      }),
      outboxWorkOptions(database, { concurrency: 16 }),
    )
    const a = new OutboxRelay(database, queue, { tenantId, batchSize: 50 })
    const b = new OutboxRelay(second, queue, { tenantId, batchSize: 50 })
    const counts = await Promise.all([a.relayAll(), b.relayAll(), a.relayAll(), b.relayAll()])
    expect(counts.reduce((x, y) => x + y, 0)).toBe(N)
    expect(new Set(queue.added).size).toBe(N)
    expect(queue.added).toHaveLength(N)
    await waitFor(() => processed.size === N, 'all rows processed', 10_000)
    expect([...processed.values()].every((n) => n === 1)).toBe(true)
    await waitFor(
      async () => (await statusOf(tenantId)).every((r) => r.status === 'done'),
      'rows marked done',
    )
    await queue.close()
  })

  it('retries a failing processor with backoff, then records the row as failed', async () => {
    const { tenantId } = await createTestTenant(database)
    await withTransaction(contextFor(tenantId), async (_tx, txCtx) => {
      await emit(txCtx, { topic: 'test.fail', payload: {} })
    })
    const queue = new InlineQueue()
    const tries: number[] = []
    await queue.work(
      stripOutboxFields({
        'test.fail': async () => {
          tries.push(Date.now())
          throw new Error('bot is not visible to the user')
        },
      }),
      outboxWorkOptions(database),
    )
    const relay = new OutboxRelay(database, queue, {
      tenantId,
      jobOptions: () => ({ attempts: 3, backoffMs: 40 }),
    })
    await relay.relayAll()
    await waitFor(
      async () => (await statusOf(tenantId))[0]?.status === 'failed',
      'the row to be failed',
      5000,
    )
    expect(await statusOf(tenantId)).toEqual([
      { status: 'failed', attempts: 3, lastError: 'bot is not visible to the user' },
    ])
    expect(tries).toHaveLength(3)
    expect((tries[2] ?? 0) - (tries[1] ?? 0)).toBeGreaterThanOrEqual((tries[1] ?? 0) - (tries[0] ?? 0))
    await queue.close()
  })

  it('wakes on NOTIFY at commit, without waiting for the poll', async () => {
    const { tenantId } = await createTestTenant(database)
    const queue: JobQueue = new InlineQueue()
    let deliveredAt = 0
    await queue.work(
      stripOutboxFields({
        'test.wake': async () => {
          deliveredAt = Date.now()
        },
      }),
      outboxWorkOptions(database),
    )
    const relay = new OutboxRelay(database, queue, { tenantId, pollMs: 60_000 })
    await relay.start()
    await new Promise((r) => setTimeout(r, 100))
    const committedAt = Date.now()
    await withTransaction(contextFor(tenantId), async (_tx, txCtx) => {
      await emit(txCtx, { topic: 'test.wake', payload: {} })
    })
    await waitFor(() => deliveredAt > 0, 'delivery via NOTIFY', 3000)
    expect(deliveredAt - committedAt).toBeLessThan(3000)
    await relay.stop()
    await queue.close()
  })

  it('starts while LISTEN fails (the database restarting): relays by the poll and listens once it can', async () => {
    const { tenantId } = await createTestTenant(database)
    let listenCalls = 0
    let listening = false
    const flaky: Database = {
      ...database,
      listen: async (channel, onNotify) => {
        listenCalls++
        if (listenCalls <= 2)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
        const unlisten = await database.listen(channel, onNotify)
        listening = true
        return unlisten
      },
    }
    const delivered: string[] = []
    const queue: JobQueue = new InlineQueue()
    await queue.work(
      stripOutboxFields({
        'test.flaky': async (payload) => {
          delivered.push(String(payload.n))
        },
      }),
      outboxWorkOptions(database),
    )
    const relay = new OutboxRelay(flaky, queue, { tenantId, pollMs: 50 })
    // Resolves although LISTEN failed: a worker that threw here died and was restarted into the same outage.
    await relay.start()
    await withTransaction(contextFor(tenantId), async (_tx, txCtx) => {
      await emit(txCtx, { topic: 'test.flaky', payload: { n: 1 } })
    })
    await waitFor(() => delivered.length === 1, 'delivery by the poll while LISTEN fails', 5000)
    await waitFor(() => listening, 'LISTEN retried until it holds', 5000)
    expect(listenCalls).toBe(3)
    await relay.stop()
    await queue.close()
  })

  it('holds a row until its available_at, then delivers it', async () => {
    const { tenantId } = await createTestTenant(database)
    const due = new Date(Date.now() + 3600_000)
    await withTransaction(contextFor(tenantId), async (_tx, txCtx) => {
      await emit(txCtx, { topic: 'test.later', payload: {}, availableAt: due })
    })
    const queue = new RecordingQueue()
    const relay = new OutboxRelay(database, queue, { tenantId })
    expect(await relay.relayAll(new Date())).toBe(0)
    expect(await relay.relayAll(new Date(due.getTime() + 1))).toBe(1)
    await queue.close()
  })

  it('relays a row again when its job was lost, under the same job id', async () => {
    const { tenantId } = await createTestTenant(database)
    await withTransaction(contextFor(tenantId), async (_tx, txCtx) => {
      await emit(txCtx, { topic: 'test.lost', payload: {} })
    })
    const lost = new RecordingQueue()
    await new OutboxRelay(database, lost, { tenantId }).relayAll()
    await lost.close()
    const fresh = new RecordingQueue()
    const relay = new OutboxRelay(database, fresh, { tenantId })
    expect(await relay.requeueStale(0)).toBe(1)
    expect(await relay.relayAll()).toBe(1)
    expect(fresh.added).toEqual(lost.added)
    await fresh.close()
    const rows = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from outbox where tenant_id = ${tenantId}`,
    )
    expect(rows[0]?.n).toBe(1)
  })

  it('records a burst of job ends in a few statements, each row with its own status, tries and error', async () => {
    const { tenantId } = await createTestTenant(database)
    const ctx = contextFor(tenantId)
    await withTransaction(ctx, async (_tx, txCtx) => {
      for (let n = 0; n < 40; n++) await emit(txCtx, { topic: 'test.echo', payload: { n } })
    })
    const rows = await database.rows<{ id: number; n: number }>(
      sql`select id, (payload->>'n')::int as n from outbox where tenant_id = ${tenantId} order by id`,
    )
    let statements = 0
    const counting: Database = {
      ...database,
      db: new Proxy(database.db, {
        get(target, prop, receiver) {
          if (prop === 'execute') statements++
          return Reflect.get(target, prop, receiver)
        },
      }),
    }
    const completions = new OutboxCompletions(counting)
    await Promise.all(
      rows.map((r) =>
        r.n % 10 === 3
          ? completions.record(r.id, 'failed', 5, `boom ${r.n}`)
          : completions.record(r.id, 'done', (r.n % 3) + 1),
      ),
    )
    expect(statements).toBeLessThanOrEqual(2)
    const after = await database.rows<{
      n: number
      status: string
      attempts: number
      last_error: string | null
    }>(
      sql`select (payload->>'n')::int as n, status, attempts, last_error from outbox
          where tenant_id = ${tenantId} and finished_at is not null order by id`,
    )
    expect(after).toHaveLength(40)
    for (const r of after) {
      if (r.n % 10 === 3)
        expect(r).toMatchObject({ status: 'failed', attempts: 5, last_error: `boom ${r.n}` })
      else expect(r).toMatchObject({ status: 'done', attempts: (r.n % 3) + 1, last_error: null })
    }
  })
})
