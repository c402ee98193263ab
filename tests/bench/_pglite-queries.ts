/**
 * Where the embedded database's time goes: counts statements, rows and time per SQL text on PGlite while
 * (a) card taps are dispatched and (b) the relay and in-process workers handle a burst of chat events.
 *   npx tsx tests/bench/_pglite-queries.ts
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dispatchEvent } from '../../bot/chat/dispatch'
import { systemClock } from '../../bot/lib/clock'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { IngestBatcher } from '../../bot/platforms/ingest-batch'
import { PlatformRegistry } from '../../bot/platforms/registry'
import { analyzeStaleEmbedded, migrateDatabase, openDatabase } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import { startWorkers } from '../../jobs/workers'
import { bulkOpenId, createBulkFeishuTenant } from './notices-fixtures'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const dir = mkdtempSync(join(tmpdir(), 'pgq-'))
const database = await openDatabase({ dataDir: join(dir, 'pglite') })
await migrateDatabase(database)
const run = 'q1'
const tenantKey = 'tk_q1'
await createBulkFeishuTenant(database, { n: 2000, tenantKey, run })
// As the product does after its start: the tables that grew analyzed (PGlite has no autovacuum).
await analyzeStaleEmbedded(database)
// biome-ignore lint/suspicious/noExplicitAny: instrumentation
const client = (database.db as any).session.client
const stats = new Map<string, { n: number; rows: number; ms: number }>()
for (const method of ['query', 'exec'] as const) {
  // The embedded database's drizzle client is the priority gate's (query and transaction only).
  if (typeof client[method] !== 'function') continue
  const orig = client[method].bind(client)
  client[method] = async (text: string, ...rest: unknown[]) => {
    const t = performance.now()
    const r = await orig(text, ...rest)
    const key = text.replace(/\s+/g, ' ').slice(0, 110)
    const s = stats.get(key) ?? { n: 0, rows: 0, ms: 0 }
    s.n++
    s.ms += performance.now() - t
    const rows = Array.isArray(r)
      ? r.reduce((a: number, x: { rows?: unknown[] }) => a + (x.rows?.length ?? 0), 0)
      : (r?.rows?.length ?? 0)
    s.rows += rows
    stats.set(key, s)
    return r
  }
}
{
  const origTx = client.transaction.bind(client)
  // biome-ignore lint/suspicious/noExplicitAny: instrumentation
  client.transaction = (cb: (tx: any) => Promise<unknown>) =>
    // biome-ignore lint/suspicious/noExplicitAny: instrumentation
    origTx(async (tx: any) => {
      for (const method of ['query', 'exec'] as const) {
        const orig = tx[method].bind(tx)
        tx[method] = async (text: string, ...rest: unknown[]) => {
          const t = performance.now()
          const r = await orig(text, ...rest)
          const key = `tx: ${text.replace(/\s+/g, ' ').slice(0, 106)}`
          const st = stats.get(key) ?? { n: 0, rows: 0, ms: 0 }
          st.n++
          st.ms += performance.now() - t
          st.rows += r?.rows?.length ?? 0
          stats.set(key, st)
          return r
        }
      }
      return cb(tx)
    })
}
const report = (title: string) => {
  console.log(`\n== ${title}`)
  const all = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms)
  const tot = all.reduce((a, [, s]) => a + s.ms, 0)
  console.log(`total ${tot.toFixed(0)} ms in ${all.reduce((a, [, s]) => a + s.n, 0)} statements`)
  for (const [k, s] of all.slice(0, 14))
    console.log(
      `${s.ms.toFixed(0).padStart(6)} ms ${String(s.n).padStart(5)}x ${String(s.rows).padStart(7)} rows  ${k}`,
    )
  stats.clear()
}
const deps = { database, logger: silent, clock: systemClock }
const t0 = performance.now()
for (let i = 0; i < 100; i++) {
  await dispatchEvent(deps, {
    kind: 'card_action',
    platform: 'feishu',
    tenantKey,
    eventId: `e${i}`,
    operator: { openId: bulkOpenId(run, (i % 50) + 1) },
    payload: { a: 'help.whoami' },
    formValues: {},
    messageId: `om_${i}`,
    chatId: 'oc_x',
  } as never)
}
console.log(`100 taps: ${(performance.now() - t0).toFixed(0)} ms`)
report('100 card taps (help.whoami)')

const { sql } = await import('drizzle-orm')
const pending = async () =>
  (
    await database.rows<{ n: number }>(
      sql`select count(*)::int as n from outbox where topic = 'inbound.event' and status <> 'done'`,
    )
  )[0]?.n ?? 1
let evNo = 0
for (const concurrency of (process.env.CONC ?? '16,2').split(',').map(Number)) {
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  const batcher = new IngestBatcher(database.db)
  const w = await startWorkers({
    database,
    queue,
    logger: silent,
    clock: systemClock,
    platforms,
    concurrency,
  })
  const started = performance.now()
  const ingests = Promise.all(
    Array.from({ length: 300 }, () => {
      const i = evNo++
      return batcher.ingest({
        kind: 'message',
        platform: 'feishu',
        tenantKey,
        eventId: `m${i}`,
        messageId: `om_m${i}`,
        chatId: `oc_${i}`,
        chatType: 'p2p',
        sender: { openId: bulkOpenId(run, (i % 50) + 1) },
        text: '我是谁',
        mentions: [],
      } as never)
    }),
  )
  const lat: number[] = []
  for (let i = 0; i < 40; i++) {
    const t = performance.now()
    await dispatchEvent(deps, {
      kind: 'card_action',
      platform: 'feishu',
      tenantKey,
      eventId: `c${concurrency}-${i}`,
      operator: { openId: bulkOpenId(run, (i % 50) + 1) },
      payload: { a: 'help.whoami' },
      formValues: {},
      messageId: `om_${i}`,
      chatId: 'oc_x',
    } as never)
    lat.push(performance.now() - t)
    await new Promise((r) => setTimeout(r, 20))
  }
  await ingests
  while ((await pending()) > 0) await new Promise((r) => setTimeout(r, 100))
  const sorted = lat.sort((a, b) => a - b)
  console.log(
    `concurrency ${concurrency}: tap p50 ${sorted[20]?.toFixed(0)} ms p95 ${sorted[38]?.toFixed(0)} ms max ${sorted[39]?.toFixed(0)} ms; 300 events done in ${(performance.now() - started).toFixed(0)} ms`,
  )
  report(`statements at concurrency ${concurrency}`)
  await w.stop()
  await queue.close(1000)
}
await database.close()
