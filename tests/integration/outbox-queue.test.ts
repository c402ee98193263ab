import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { OutboxQueue } from '../../jobs/drivers/outbox'
import { createTestTenant, openTestDatabase } from '../helpers/db'

/**
 * The Workers HTTP side's queue: `add` is an outbox row for the Node jobs process; nothing runs here. Rows
 * are written due in the future and deleted after, so relays of other test files sharing the database
 * never see them.
 */
let database: Database
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => {
  await database.close()
})

const rowsOf = (tenantId: string) =>
  database.rows<{ topic: string; payload: Record<string, unknown>; status: string; delay_s: number }>(
    sql`select topic, payload, status, extract(epoch from available_at - created_at)::float8 as delay_s
        from outbox where tenant_id = ${tenantId} order by id`,
  )

describe('OutboxQueue', () => {
  it('writes pending outbox rows, delayed when asked, in one statement', async () => {
    const { tenantId } = await createTestTenant(database)
    const queue = new OutboxQueue(database)
    await queue.addBulk([
      {
        name: 'crm.import.run',
        payload: { _tenant: tenantId, importId: 'imp_1' },
        options: { delayMs: 600_000 },
      },
      {
        name: 'approvals.remind',
        payload: { _tenant: tenantId, task: 't1' },
        options: { delayMs: 3_600_000 },
      },
    ])
    const rows = await rowsOf(tenantId)
    expect(rows.map((r) => [r.topic, r.status, r.payload])).toEqual([
      ['crm.import.run', 'pending', { _tenant: tenantId, importId: 'imp_1' }],
      ['approvals.remind', 'pending', { _tenant: tenantId, task: 't1' }],
    ])
    expect(rows[0]?.delay_s).toBeCloseTo(600, -1)
    expect(rows[1]?.delay_s).toBeCloseTo(3600, -1)
    await database.rows(sql`delete from outbox where tenant_id = ${tenantId}`)
  })

  it('refuses a job id it cannot keep, and writes nothing', async () => {
    const { tenantId } = await createTestTenant(database)
    const queue = new OutboxQueue(database)
    await expect(
      queue.addBulk([
        { name: 'a', payload: { _tenant: tenantId }, options: { delayMs: 600_000 } },
        { name: 'b', payload: { _tenant: tenantId }, options: { jobId: 'dedupe-me' } },
      ]),
    ).rejects.toThrow(/job id dedupe-me/)
    expect(await rowsOf(tenantId)).toEqual([])
  })

  it('runs no jobs and answers readiness with the database', async () => {
    const queue = new OutboxQueue(database)
    expect(queue.kind).toBe('outbox')
    await expect(queue.work()).rejects.toThrow(/jobs\/worker\.ts/)
    await expect(queue.schedule('k')).rejects.toThrow(/Node jobs process/)
    await expect(queue.ping()).resolves.toBeUndefined()
  })
})
