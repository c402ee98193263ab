/**
 * Notice bench: `npx tsx tests/bench/notices.ts [--n=10000] [--factor=2] [--phase=all|publish|fanout]
 * [--publish-runs=7] [--kills=2] [--redis-restart=1]`
 *
 * 1. Publish latency: POST /api/v1/notices (publish now) to an audience of `n` people, through the real app
 *    in process on real PostgreSQL; median of runs (target ≤ 200 ms; the fan-out is asynchronous).
 * 2. Fan-out: one notice to `n` people through two worker processes (`notices-worker.ts`: BullMQ on a
 *    private redis-server, the fake Feishu Open API with Feishu's limits × `factor`), with `kills` SIGKILLs of
 *    a worker and `redis-restart` restarts of Redis during the run. Reports duplicates and losses by the
 *    fake's per-receiver record, throttled answers, and wall time against the rate-limit floor.
 *
 * Needs PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres) and redis-server
 * on PATH. Creates and drops its own database.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { createApp } from '../../bot/app'
import { retractNotice } from '../../bot/domain/notices/retract-notice'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { signToken } from '../../bot/lib/session-token'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import { createFakeFeishu, FEISHU_RATE_LIMITS } from '../fakes/feishu'
import { outboxRowSizes } from './bench-db'
import {
  createBulkFeishuTenant,
  deliveryCounts,
  PrivateRedis,
  spawnWorker,
  type WorkerHandle,
} from './notices-fixtures'
import { benchLine } from './stats'

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=')
    return [k, v ?? 'true']
  }),
)
const N = Number(args.n ?? 10_000)
const FACTOR = Number(args.factor ?? 2)
const PHASE = String(args.phase ?? 'all')
const PUBLISH_RUNS = Number(args['publish-runs'] ?? 7)
const KILLS = Number(args.kills ?? 2)
const REDIS_RESTARTS = Number(args['redis-restart'] ?? 1)
const SECRET = 'bench-session-secret-0123456789abcdef'
const silent = { debug() {}, info() {}, warn() {}, error() {} }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}
const log = (line: string) => process.stdout.write(`${line}\n`)

async function freshDatabase(): Promise<{ database: Database; url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  const name = `flowcard_bench_notices_${Date.now()}`
  await admin.unsafe(
    `create database ${name} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
  )
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), max: 10 })
  await migrateDatabase(database)
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close()
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
    },
  }
}

/** Minimal time to send `n` messages under sliding per-second and per-minute limits (bursting each minute). */
function floors(n: number, perSecond: number, perMinute: number) {
  const windows = Math.ceil(n / perMinute)
  const last = n - (windows - 1) * perMinute
  return {
    burst: (windows - 1) * 60 + last / perSecond,
    average: n > perMinute ? (n / perMinute) * 60 : n / perSecond,
  }
}

async function benchPublish(database: Database) {
  const run = `p${Math.random().toString(36).slice(2, 6)}`
  const { org, departmentId } = await createBulkFeishuTenant(database, { n: N, tenantKey: `tk_${run}`, run })
  await database.db.execute(sql`analyze`)
  const app = createApp({
    env: parseEnv({ LOG_LEVEL: 'silent' }),
    database,
    queue: new InlineQueue(),
    logger: createLogger('silent'),
    clock: systemClock,
    sessionSecret: SECRET,
  })
  const publisher = org.users.wangjianguo ?? ''
  const token = await signToken(SECRET, {
    t: org.tenantId,
    u: publisher,
    p: 'feishu',
    exp: Math.floor(Date.now() / 1000) + 3600,
    k: 'session',
    j: 'bench',
  })
  const times: number[] = []
  const ids: string[] = []
  for (let i = 0; i <= PUBLISH_RUNS; i++) {
    const started = performance.now()
    const res = await app.request('/api/v1/notices', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: `延迟测试 ${i}`,
        body: '正文'.repeat(200),
        audience: { departments: [{ id: departmentId, includeSubDepartments: true }] },
        requireAck: true,
        publish: 'now',
      }),
    })
    const ms = performance.now() - started
    const body = (await res.json()) as { id: string; recipientCount: number }
    if (res.status !== 201 || body.recipientCount < N)
      throw new Error(`publish failed: ${res.status} ${JSON.stringify(body)}`)
    ids.push(body.id)
    if (i > 0) times.push(ms) // run 0 warms up
  }
  // These were for timing only: retract them so no fan-out ever runs for them.
  for (const id of ids) {
    await retractNotice({
      ctx: {
        tenantId: org.tenantId,
        actor: { kind: 'system', reason: 'bench' },
        db: database.db,
        clock: systemClock,
        logger: silent,
      },
      input: { id },
    })
  }
  // Baseline: the least a publish to N people could cost — one statement writing N rows, committed.
  await database.db.execute(sql`create table if not exists bench_rows (id text, n int)`)
  const bare: number[] = []
  for (let i = 0; i <= PUBLISH_RUNS; i++) {
    const started = performance.now()
    await database.db.execute(
      sql`insert into bench_rows select md5(g::text || ${i}::text), g from generate_series(1, ${N}) g`,
    )
    if (i > 0) bare.push(performance.now() - started)
  }
  await database.db.execute(sql`drop table bench_rows`)
  benchLine('notices', 'publish_median', median(times), 'ms', '<=200', {
    value: median(bare),
    what: `one INSERT of ${N} rows`,
  })
  log(
    `publish latency, ${N} recipients (HTTP POST /api/v1/notices, publish now): median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)} over ${times.length} runs (target ≤ 200 ms)`,
  )
  return { medianMs: median(times), times }
}

async function benchFanout(database: Database, url: string) {
  const run = `f${Math.random().toString(36).slice(2, 6)}`
  const tenantKey = `tk_${run}`
  const perSecond = FEISHU_RATE_LIMITS.appPerSecond * FACTOR
  const perMinute = FEISHU_RATE_LIMITS.appPerMinute * FACTOR
  const { org, departmentId, fakeUsers } = await createBulkFeishuTenant(database, {
    n: N,
    tenantKey,
    run,
    // The pacing follows the fake's raised limits (production: the tenant's platform defaults).
    sendRate: { perSecond, perMinute },
  })
  const fake = await createFakeFeishu({
    tenantKey,
    org: { departments: [], users: fakeUsers },
    rateLimitMultiplier: FACTOR,
    imThrottleStatus: 429,
  })
  const redis = await PrivateRedis.start()
  const logDir = mkdtempSync(join(tmpdir(), 'notices-bench-'))
  const env = {
    DATABASE_URL: url,
    REDIS_URL: redis.url,
    BULL_PREFIX: `nb${run}`,
    FEISHU_BASE_URL: fake.url,
    FEISHU_APP_ID: fake.appId,
    FEISHU_APP_SECRET: fake.appSecret,
    TENANT_ID: org.tenantId,
    RELAY_POLL_MS: '50',
    STALE_AFTER_MS: '5000',
  }
  const workers: WorkerHandle[] = [
    await spawnWorker(env, join(logDir, 'w1.log')),
    await spawnWorker(env, join(logDir, 'w2.log')),
  ]
  const { burst, average } = floors(N, perSecond, perMinute)
  log(
    `fan-out: ${N} recipients, fake limits ${perSecond}/s and ${perMinute}/min (Feishu × ${FACTOR}); floor ${burst.toFixed(1)} s (bursting each minute) / ${average.toFixed(1)} s (average rate); ${KILLS} worker SIGKILLs, ${REDIS_RESTARTS} Redis restart(s); logs ${logDir}`,
  )
  const { createNotice } = await import('../../bot/domain/notices/create-notice')
  const publishedAt = Date.now()
  const notice = await createNotice({
    ctx: {
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: org.users.wangjianguo ?? '', via: 'api' },
      db: database.db,
      clock: systemClock,
      logger: silent,
    },
    input: {
      title: '全员通知：年度安全培训',
      body: '请于本周内完成年度信息安全培训，并在卡片上点击「确认收到」。',
      audience: { departments: [{ id: departmentId, includeSubDepartments: true }] },
      requireAck: true,
      publish: 'now',
    },
  })
  const delivered = () => fake.recorder.messagesPerReceiver().size
  const events: string[] = []
  // Disruptions at fractions of the cards delivered: the Redis restart at 20 %, kills at 45 % and 70 % (more
  // than 30 s apart at these rates, the lock time after which BullMQ re-runs a killed worker's job).
  const plan: Array<{ at: number; what: 'kill' | 'redis' }> = [
    ...[0.2, 0.9].slice(0, REDIS_RESTARTS).map((at) => ({ at, what: 'redis' as const })),
    ...[0.45, 0.7, 0.8].slice(0, KILLS).map((at) => ({ at, what: 'kill' as const })),
  ].sort((a, b) => a.at - b.at)
  let killNo = 3
  for (const step of plan) {
    while (delivered() < N * step.at) await new Promise((r) => setTimeout(r, 50))
    const t = ((Date.now() - publishedAt) / 1000).toFixed(1)
    if (step.what === 'kill') {
      const victim = workers.shift()
      await victim?.kill()
      workers.push(await spawnWorker(env, join(logDir, `w${killNo++}.log`)))
      events.push(`SIGKILL worker at ${t} s (${delivered()} delivered)`)
    } else {
      await redis.restart()
      events.push(`Redis restarted at ${t} s (${delivered()} delivered)`)
    }
  }
  for (;;) {
    const c = await deliveryCounts(database, notice.id)
    if (c.sent + c.failed === N) break
    if (Date.now() - publishedAt > (burst * 3 + 300) * 1000) {
      log(`gave up waiting: ${JSON.stringify(c)}`)
      break
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  const sends = fake.recorder.sentMessages()
  const first = Math.min(...sends.map((m) => m.createTime))
  const last = Math.max(...sends.map((m) => m.createTime))
  const wallPlatform = (last - publishedAt) / 1000
  const wallAllRecorded = (Date.now() - publishedAt) / 1000
  const per = fake.recorder.messagesPerReceiver()
  const duplicates = [...per.values()].filter((m) => m.length > 1).length
  const lost = fakeUsers.filter((u) => !per.has(u.openId ?? '')).length
  const counts = await deliveryCounts(database, notice.id)
  for (const e of events) log(`  ${e}`)
  log(
    `  duplicates ${duplicates}, losses ${lost}, throttled answers ${fake.recorder.throttledCount}, uuid dedupe hits ${fake.recorder.dedupeHits}`,
  )
  log(`  recipient rows: ${JSON.stringify(counts)}`)
  log(
    `  wall: first card after ${((first - publishedAt) / 1000).toFixed(2)} s, last card at ${wallPlatform.toFixed(1)} s (all rows reconciled at ${wallAllRecorded.toFixed(1)} s)`,
  )
  log(
    `  ratio to floor: ${(wallPlatform / burst).toFixed(3)} × burst floor ${burst.toFixed(1)} s; ${(wallPlatform / average).toFixed(3)} × average-rate floor ${average.toFixed(1)} s`,
  )
  const buckets = new Map<number, number>()
  for (const m of sends) {
    const b = Math.floor((m.createTime - publishedAt) / 10_000)
    buckets.set(b, (buckets.get(b) ?? 0) + 1)
  }
  log(
    `  cards per 10 s: ${[...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, c]) => `${b * 10}s:${c}`)
      .join(' ')}`,
  )
  const [lat] = await database.rows<{ p50: number; p95: number; p99: number; slow: number }>(sql`
    select percentile_cont(0.5) within group (order by extract(epoch from sent_at - queued_at) * 1000) as p50,
           percentile_cont(0.95) within group (order by extract(epoch from sent_at - queued_at) * 1000) as p95,
           percentile_cont(0.99) within group (order by extract(epoch from sent_at - queued_at) * 1000) as p99,
           count(*) filter (where sent_at - queued_at > interval '2 seconds')::int as slow
    from notice_recipients where notice_id = ${notice.id} and sent_at is not null`)
  log(
    `  queued→recorded latency: p50 ${Number(lat?.p50).toFixed(0)} ms, p95 ${Number(lat?.p95).toFixed(0)} ms, p99 ${Number(lat?.p99).toFixed(0)} ms; ${lat?.slow} slower than 2 s`,
  )
  benchLine('notices', 'fanout_last_card', wallPlatform, 's', `<=${(average * 1.05).toFixed(1)}`, {
    value: average,
    what: 'average-rate floor',
  })
  console.log(`BENCH notices fanout_duplicates ${duplicates} cards target 0`)
  console.log(`BENCH notices fanout_losses ${lost} cards target 0`)
  const sizes = await outboxRowSizes(database, org.tenantId, new Date(publishedAt - 60_000))
  benchLine(
    'notices',
    'outbox_notification_row_median',
    sizes.notificationJson,
    'bytes',
    '<4096',
    { value: sizes.idOnlyJson, what: `id-only outbox row, ${sizes.idOnly} of them` },
    0,
  )
  for (const w of workers) await w.stop()
  await redis.kill()
  await fake.close()
  return { duplicates, lost, throttled: fake.recorder.throttledCount, wallPlatform, burst, average }
}

const { database, url, drop } = await freshDatabase()
try {
  if (PHASE === 'all' || PHASE === 'publish') await benchPublish(database)
  if (PHASE === 'all' || PHASE === 'fanout') await benchFanout(database, url)
} finally {
  await drop()
}
process.exit(0)
