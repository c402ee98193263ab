import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendCard } from '../../bot/domain/chat'
import { type ServiceContext, systemContext, withTransaction } from '../../bot/domain/context'
import { emit, insertOutboxSql } from '../../bot/domain/outbox'
import type { Database } from '../../db/client'
import { outbox } from '../../db/schema'
import { OUTBOX_FIELD, stripOutboxFields } from '../../jobs/outbox'
import type { JobInfo, JobPayload, Processor } from '../../jobs/queue'
import { createTestTenant, openTestDatabase } from '../helpers/db'

/**
 * Jobs run at least once: a worker killed (or Redis restarted) after a job committed and before it was marked
 * done runs it again. The outbox rows a job from an outbox row writes are keyed by that row, so the rerun
 * writes none of them twice — and still writes what the first run did not get to.
 */
const silent = { debug() {}, info() {}, warn() {}, error() {} }
let database: Database
let tenantId: string
let ctx: ServiceContext
const TOPIC = 'test.effects'

beforeAll(async () => {
  database = await openTestDatabase()
  tenantId = (await createTestTenant(database)).tenantId
  ctx = systemContext(
    { db: database.db, clock: { now: () => new Date() }, logger: silent },
    { tenantId, reason: 'test' },
  )
})
afterAll(() => database.close())

const rows = () =>
  database.db
    .select({ topic: outbox.topic, payload: outbox.payload, effectKey: outbox.effectKey })
    .from(outbox)
    .where(and(eq(outbox.tenantId, tenantId), eq(outbox.topic, TOPIC)))
    .orderBy(outbox.id)
const cards = async (to: string) =>
  (
    await database.db
      .select({ payload: outbox.payload })
      .from(outbox)
      .where(and(eq(outbox.tenantId, tenantId), eq(outbox.topic, 'send.message')))
  ).filter((r) => JSON.stringify(r.payload).includes(to))
const job = (id: string): JobInfo => ({ id, name: TOPIC, attempt: 1, maxAttempts: 3 })
/** Runs `processor` as the worker does, for a job from outbox row `outboxId`. */
const run = (processor: Processor, outboxId: number, payload: JobPayload = {}) =>
  stripOutboxFields({ [TOPIC]: processor })[TOPIC]?.(
    { ...payload, [OUTBOX_FIELD]: outboxId },
    job(`ob-${outboxId}`),
  )

describe('outbox rows written by a job', () => {
  it('a rerun of the same job writes none of its rows twice, in and out of transactions and batches', async () => {
    const processor: Processor = async () => {
      await sendCard(ctx, {
        to: { userId: 'effects-a' },
        card: { header: { title: '逾期提醒' }, elements: [] },
      })
      await withTransaction(ctx, async (_tx, c) => {
        await emit(c, [
          { topic: TOPIC, payload: { step: 1 } },
          { topic: TOPIC, payload: { step: 2 }, availableAt: new Date('2031-01-01T00:00:00Z') },
        ])
      })
      await ctx.db.execute(insertOutboxSql(ctx, [{ topic: TOPIC, payload: { step: 3 } }]))
    }
    await run(processor, 9_000_001)
    await run(processor, 9_000_001)
    await run(processor, 9_000_001)
    expect((await rows()).map((r) => r.payload)).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }])
    expect(await cards('effects-a')).toHaveLength(1)
    for (const r of await rows()) expect(r.effectKey).toMatch(/^ob-9000001:[0-9a-z]+:0$/)

    // Another job (another outbox row) writing the same rows is not a rerun: they are written.
    await run(processor, 9_000_002)
    expect(await rows()).toHaveLength(6)
    expect(await cards('effects-a')).toHaveLength(2)
  })

  it('the same row twice in one run is written twice; a rerun that gets further writes only what is new', async () => {
    let stage = 1
    const processor: Processor = async () => {
      await emit(ctx, { topic: TOPIC, payload: { twice: true } })
      await emit(ctx, { topic: TOPIC, payload: { twice: true } })
      // The first run stops here (killed); the rerun gets to the card.
      if (stage === 1) throw new Error('killed')
      await sendCard(ctx, { to: { userId: 'effects-b' }, card: { header: { title: '提醒' }, elements: [] } })
    }
    const before = (await rows()).length
    await expect(run(processor, 9_000_003)).rejects.toThrow('killed')
    stage = 2
    await run(processor, 9_000_003)
    await run(processor, 9_000_003)
    const written = (await rows()).slice(before)
    expect(written.map((r) => r.payload)).toEqual([{ twice: true }, { twice: true }])
    expect(written.map((r) => r.effectKey?.split(':')[2])).toEqual(['0', '1'])
    expect(await cards('effects-b')).toHaveLength(1)
  })

  it('rows written outside a job (requests) carry no key and are never dropped', async () => {
    const before = (await rows()).length
    await emit(ctx, { topic: TOPIC, payload: { request: 1 } })
    await emit(ctx, { topic: TOPIC, payload: { request: 1 } })
    await ctx.db.execute(insertOutboxSql(ctx, [{ topic: TOPIC, payload: { request: 1 } }]))
    const written = (await rows()).slice(before)
    expect(written).toHaveLength(3)
    expect(written.every((r) => r.effectKey === null)).toBe(true)
  })
})
