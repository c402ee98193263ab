import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InboundMessage } from '../../bot/chat/model'
import { ingestEvent } from '../../bot/platforms/ingest'
import { IngestBatcher } from '../../bot/platforms/ingest-batch'
import type { Database } from '../../db/client'
import { openOwnDatabase } from '../helpers/feishu'

let own: { database: Database; drop: () => Promise<void> }

beforeAll(async () => {
  own = await openOwnDatabase()
})
afterAll(async () => {
  await own?.drop()
})

const message = (eventId: string, messageId: string): InboundMessage => ({
  kind: 'message',
  platform: 'feishu',
  tenantKey: 'tk-batch',
  eventId,
  messageId,
  chatId: 'oc_1',
  chatType: 'p2p',
  sender: { openId: 'ou_1' },
  text: '帮助',
  addressedToBot: true,
})

describe('group-commit ingest', () => {
  it('records each event once with its outbox row, across batches and against earlier ingests', async () => {
    const run = `r${Date.now()}`
    expect(await ingestEvent(own.database.db, message(`${run}-old`, `${run}-m-old`))).toBe(true)
    const batcher = new IngestBatcher(own.database.db, { maxBatch: 32, maxInFlight: 3 })
    const events: InboundMessage[] = []
    for (let i = 0; i < 300; i++) events.push(message(`${run}-e${i}`, `${run}-m${i}`))
    events.push(message(`${run}-e5`, `${run}-m5`)) // same event again
    events.push(message(`${run}-e-new`, `${run}-m7`)) // same message, new event id
    events.push(message(`${run}-old`, `${run}-m-old`)) // ingested before
    const results = await Promise.all(events.map((e) => batcher.ingest(e)))
    expect(results.filter(Boolean)).toHaveLength(300)
    expect(results.slice(300)).toEqual([false, false, false])
    const [row] = await own.database.rows<{ n: number; distinct: number }>(sql`
      select count(*)::int as n, count(distinct payload #>> '{event,eventId}')::int as distinct
      from outbox where payload #>> '{event,eventId}' like ${`${run}-%`}`)
    expect(row).toEqual({ n: 301, distinct: 301 })
    // Redelivered later, after the batch committed.
    expect(await batcher.ingest(message(`${run}-e9`, `${run}-m9`))).toBe(false)
  })
})
