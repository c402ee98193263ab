/**
 * The product as a small company runs it: `npm start` (spawned exactly as `npm start` runs it: `node
 * bot/entry/start.mjs`, the compiled server when current, defaults for everything but the database, Redis
 * and Feishu), once on PostgreSQL + Redis (jobs in a child process by default) and once embedded (PGlite,
 * in-process jobs), with Feishu pointed at the fake Open API. Per mode:
 *   1. card taps (signed, encrypted `card.action.trigger` callbacks answered with the updated card)
 *      open-loop at 200/s together with chat messages (`im.message.receive_v1`, 20/s): tap p99;
 *   2. PostgreSQL + Redis only: the same taps while a 2,000-recipient notice fans out through the fake;
 *   3. webhook ack at saturation (closed loop, 64 connections) against a raw verify+decrypt `node:http`
 *      server of the same run: the ratio, and the pushed events processed (their outbox rows done; the
 *      drain after the load is waited for, up to DRAIN_WAIT_S (300) s, and timed). Beside the rates, CPU time: the raw
 *      server's per request, the product's (with its job children) per ack during the load and per event
 *      including the drain, and `cpu_ratio_to_raw` = raw CPU per request / product CPU per processed event,
 *      the ratio a machine with a core to spare for each would show (the rates swing with the shared
 *      machine's load; the CPU per request much less). The embedded product runs with METRICS_TOKEN set,
 *      its drain read from `/metrics` (its database cannot be opened beside it).
 * Prints `BENCH single-process <measure> <value> <unit> target <value>` lines.
 *
 *   npx tsx tests/bench/single-process.ts [seconds per phase, default 10] [modes: pg,embedded]
 * env: FANOUT (2000), TAP_RATE (200), CHAT_RATE (20), WARM_CHATS (20: chat messages in the warm-up, 0 to
 *   time the chat path cold), BENCH_PRODUCT_ARGS (Node flags for the product),
 *   PROBE_ONLY (stop each mode after the CPU-per-tap probe, e.g. to profile the tap alone),
 *   TAPS_ONLY (stop each mode after phase 1, the taps at 200/s: A/B runs of the tap p99),
 *   SAT_ONLY (after the warm-up go straight to phase 3, the webhook saturation, e.g. to profile the ingest path),
 *   DRAIN_WAIT_S (300: how long the drain after the saturation is waited for),
 *   BENCH_PG_SOCKET (PostgreSQL's socket directory: the product connects through it instead of TCP),
 *   TIMELINE (print the 100 ms windows of the taps at 200/s whose slowest answer took over 50 ms)
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { createNotice } from '../../bot/domain/notices/create-notice'
import { systemClock } from '../../bot/lib/clock'
import { openPush } from '../../bot/platforms/feishu/inbound'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { createFakeFeishu, createPushBuilder, type FakeFeishu } from '../fakes/feishu'
import { sleep } from '../helpers/wait'
import { createBenchDatabase } from './bench-db'
import {
  bulkOpenId,
  createBulkFeishuTenant,
  deliveryCounts,
  freePort,
  PrivateRedis,
} from './notices-fixtures'
import type { DriveJob, DriveResult } from './single-process-load'
import { fmt, percentile, table } from './stats'

const ROOT = resolve(import.meta.dirname, '../..')
const seconds = Number(process.argv[2] ?? 10)
const modes = (process.argv[3] ?? 'pg,embedded').split(',') as Array<'pg' | 'embedded'>
const FANOUT = Number(process.env.FANOUT ?? 2000)
const TAP_RATE = Number(process.env.TAP_RATE ?? 200)
const CHAT_RATE = Number(process.env.CHAT_RATE ?? 20)
const WARM_CHATS = Number(process.env.WARM_CHATS ?? 20)
const SAT_ONLY = Boolean(process.env.SAT_ONLY)
// A saturation burst of 10 s queues tens of thousands of events; their drain is timed, not cut short.
const DRAIN_WAIT_MS = Number(process.env.DRAIN_WAIT_S ?? 300) * 1000
const VT = 'bench-verification-token'
const EK = 'bench-encrypt-key-0123456789'
const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** TIMELINE=1: the 100 ms windows (by due time) whose slowest answer took over 50 ms, to find what stalled. */
function timeline(what: string, r: DriveResult) {
  const worst = new Map<number, number>()
  r.latenciesMs.forEach((l, i) => {
    const w = Math.floor((r.dueMs[i] ?? 0) / 100)
    worst.set(w, Math.max(worst.get(w) ?? 0, l))
  })
  const slow = [...worst].filter(([, max]) => max > 50).sort((a, b) => a[0] - b[0])
  console.log(
    `  ${what} from ${r.startedMonoUs} µs monotonic, slow windows (due ms: worst ms): ${slow.map(([w, max]) => `${w * 100}:${max.toFixed(0)}`).join(' ') || 'none'}`,
  )
}

const bench = (measure: string, value: number, unit: string, target: string) =>
  console.log(
    `BENCH single-process ${measure} ${fmt(value, unit === 'ratio' || value < 1 ? 3 : value < 10 ? 2 : 1)} ${unit} target ${target}`,
  )

// One load child for all phases (messages are id-tagged, so phases can overlap).
const loader = fork(fileURLToPath(new URL('./single-process-load.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: 'inherit',
})
await new Promise<void>((r) => loader.once('message', () => r()))
let seq = 0
function load(job: DriveJob): Promise<DriveResult> {
  const id = ++seq
  return new Promise((resolveResult) => {
    const onMessage = (m: { id?: number; result?: DriveResult }) => {
      if (m.id !== id || !m.result) return
      loader.off('message', onMessage)
      resolveResult(m.result)
    }
    loader.on('message', onMessage)
    loader.send({ id, job })
  })
}

// The raw verify+decrypt server: the ceiling the ack ratio is measured against.
const raw = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    void openPush({ encryptKey: EK, clock: systemClock }, new Uint8Array(Buffer.concat(chunks)), (name) => {
      const v = req.headers[name]
      return Array.isArray(v) ? v[0] : v
    }).then((opened) => {
      res.writeHead(opened.ok ? 200 : opened.reply.status, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
})
await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()))
const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/webhooks/feishu/events`

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** {@link processCpuMs} of a process and its live descendants (the job children of `npm start`). */
function processTreeCpuMs(pid: number | undefined): number {
  if (!pid) return 0
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      parentOf.set(Number(entry), Number(fields[1]))
    } catch {} // exited meanwhile
  }
  const inTree = (p: number): boolean => {
    for (let q: number | undefined = p, depth = 0; q && depth < 8; q = parentOf.get(q), depth++)
      if (q === pid) return true
    return false
  }
  let total = 0
  for (const p of parentOf.keys()) {
    if (!inTree(p)) continue
    try {
      total += processCpuMs(p)
    } catch {}
  }
  return total
}

const METRICS_TOKEN = 'bench-metrics-token'

/**
 * Whether the product still has inbound events to handle, from its `/metrics` (embedded: its database is
 * its own): jobs of the main lane (where `inbound.event` runs) waiting or running, or a due outbox row
 * waiting for the relay (lag above 0). The replies' sends (send lane) are paced by the platform's rate
 * limits and not waited for. True while `/metrics` cannot be read.
 */
async function inboundBusy(base: string): Promise<boolean> {
  const text = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '')
  const gauge = (re: RegExp) => {
    const v = re.exec(text)?.[1]
    return v === undefined ? Number.NaN : Number(v)
  }
  const main = ['waiting', 'active'].map((state) =>
    gauge(new RegExp(`^flowcard_queue_jobs\\{lane="main",state="${state}"[^}]*\\} (\\S+)`, 'm')),
  )
  const lag = gauge(/^flowcard_outbox_lag_seconds(?:\{[^}]*\})? (\S+)/m)
  return [...main, lag].some((n) => !(n === 0))
}

interface Product {
  base: string
  proc: ChildProcess
  stop(): Promise<void>
}

async function startProduct(env: Record<string, string>): Promise<Product> {
  const port = await freePort()
  // BENCH_PRODUCT_ARGS adds Node flags to the product only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const extra = (process.env.BENCH_PRODUCT_ARGS ?? '').split(' ').filter(Boolean)
  // `npm start` itself: the compiled server when it matches the sources (`npx tsx bot/entry/bundle.ts`
  // after an edit), else the sources through tsx, as start.mjs decides.
  const proc = spawn(process.execPath, [...extra, 'bot/entry/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 90_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the product exited with ${proc.exitCode}`)
    const ok = await fetch(`${base}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error('the product did not become ready in 90 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    base,
    proc,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await exited
    },
  }
}

async function runMode(mode: 'pg' | 'embedded'): Promise<void> {
  const run = Math.random().toString(36).slice(2, 8)
  const tenantKey = `tk_${run}`
  const cleanups: Array<() => Promise<void>> = []
  try {
    // Database and directory first (embedded: prepared in its data directory, then handed to the product).
    let database: Database
    let productEnv: Record<string, string>
    if (mode === 'pg') {
      const db = await createBenchDatabase(`single_${run}`, 4)
      cleanups.push(() => db.drop())
      const redis = await PrivateRedis.start()
      cleanups.push(() => redis.kill())
      database = db.database
      productEnv = {
        // BENCH_PG_SOCKET (a socket directory, e.g. /var/run/postgresql): the product reaches PostgreSQL
        // through the Unix socket instead of loopback TCP (`?host=`, as the README shows).
        DATABASE_URL: process.env.BENCH_PG_SOCKET
          ? `${db.url}?host=${encodeURIComponent(process.env.BENCH_PG_SOCKET)}`
          : db.url,
        REDIS_URL: redis.url,
        DATA_DIR: mkdtempSync(join(tmpdir(), 'fc-sp-')),
      }
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'fc-sp-'))
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
      database = await openDatabase({ dataDir: join(dataDir, 'pglite') })
      await migrateDatabase(database)
      // METRICS_TOKEN: the drain after the saturation is read from the outbox gauges of `/metrics`.
      productEnv = {
        DATABASE_URL: '',
        REDIS_URL: '',
        DATA_DIR: dataDir,
        SEED_DEMO: 'false',
        METRICS_TOKEN,
      }
    }
    const { org, fakeUsers } = await createBulkFeishuTenant(database, {
      n: FANOUT,
      tenantKey,
      run,
      sendRate: { perSecond: 1000, perMinute: 60_000 },
    })
    if (mode === 'embedded') await database.close()
    const fake: FakeFeishu = await createFakeFeishu({
      tenantKey,
      org: { departments: [], users: fakeUsers },
      rateLimiting: false,
    })
    cleanups.push(() => fake.close())
    const product = await startProduct({
      ...productEnv,
      FEISHU_APP_ID: fake.appId,
      FEISHU_APP_SECRET: fake.appSecret,
      FEISHU_VERIFICATION_TOKEN: VT,
      FEISHU_ENCRYPT_KEY: EK,
      FEISHU_DOMAIN: fake.url,
    })
    cleanups.unshift(() => product.stop())
    const push = createPushBuilder({ appId: fake.appId, tenantKey, verificationToken: VT, encryptKey: EK })
    const cardsUrl = `${product.base}/webhooks/feishu/cards`
    const eventsUrl = `${product.base}/webhooks/feishu/events`
    const taps = async (n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          push.cardAction({
            operator: { openId: bulkOpenId(run, (i % 200) + 1) },
            value: { a: 'help.whoami' },
            messageId: `om_tap_${run}_${i}`,
            chatId: `oc_tap_${run}`,
          }),
        ),
      )
    let chatNo = 0
    const chats = async (n: number) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const i = chatNo++
          return push.messageReceive({
            message: { messageId: `om_${run}_${i}`, chatId: `oc_${run}_${i % 97}`, chatType: 'p2p' },
            text: i % 2 ? '帮助' : '我是谁',
            sender: { openId: bulkOpenId(run, (i % 500) + 1) },
          })
        }),
      )
    const ms = seconds * 1000
    const label = mode === 'pg' ? 'pg+redis' : 'embedded'
    const rows: Array<Record<string, string | number>> = []
    const row = (phase: string, r: DriveResult) => {
      rows.push({
        phase,
        requests: r.requests,
        'req/s': fmt(r.rps, 0),
        'p50 ms': fmt(percentile(r.latenciesMs, 50), 1),
        'p99 ms': fmt(percentile(r.latenciesMs, 99), 1),
        errors: r.errors + r.non200,
      })
      console.log(`  ${label} ${phase}: ${JSON.stringify(rows.at(-1))}`)
    }

    // Warm-up, then 1: taps at 200/s with chat messages beside them. The warm-up sends both kinds, as a
    // running instance has seen both: the first chat messages after a start pay once for what the chat path
    // loads, compiles and caches (embedded: 0.2–0.9 s of the one thread, every tap beside them waiting; two
    // messages are enough to warm it), which a measure of the running product should not count.
    await Promise.all([
      load({ url: cardsUrl, pushes: await taps(200), durationMs: 2000, ratePerSec: 100, connections: 32 }),
      load({
        url: eventsUrl,
        pushes: await chats(WARM_CHATS),
        durationMs: 2000,
        ratePerSec: 10,
        connections: 4,
      }),
    ])
    if (mode === 'pg') {
      // A new tenant's first contact queues its directory sync and the warm-up's replies: measure the product
      // settled (its outbox idle), as a company's running instance is, not the seconds after first contact.
      const settleStart = Date.now()
      for (;;) {
        const [due] = await database.rows<{ n: number }>(
          sql`select count(*)::int as n from outbox where status in ('pending', 'relayed') and available_at <= now()`,
        )
        if ((due?.n ?? 0) === 0 || Date.now() - settleStart > 60_000) break
        await sleep(200)
      }
      console.log(`  ${label}: outbox idle ${Date.now() - settleStart} ms after the warm-up`)
    }
    // PROBE_ONLY ends the mode after the probe; SAT_ONLY skips phases 0-2.
    if (!SAT_ONLY && !(await tapPhases())) return
    async function tapPhases(): Promise<boolean> {
      // 0: the product's CPU per tap (closed loop, 4 in flight, nothing else sent): CPU time of the HTTP
      // process from /proc, so the figure holds on a loaded machine where the latencies do not.
      {
        const cpu0 = processCpuMs(product.proc.pid)
        const probe = await load({
          url: cardsUrl,
          pushes: await taps(600),
          durationMs: 60_000,
          connections: 4,
        })
        const cpuMs = processCpuMs(product.proc.pid) - cpu0
        bench(`${label}.http_cpu_per_tap`, cpuMs / Math.max(1, probe.requests), 'ms', 'n/a')
        if (process.env.PROBE_ONLY) return false
      }
      const [tapResult, chatResult] = await Promise.all([
        load({
          url: cardsUrl,
          pushes: await taps(TAP_RATE * seconds),
          durationMs: ms,
          ratePerSec: TAP_RATE,
          connections: 64,
        }),
        load({
          url: eventsUrl,
          pushes: await chats(CHAT_RATE * seconds),
          durationMs: ms,
          ratePerSec: CHAT_RATE,
          connections: 16,
        }),
      ])
      row(`taps @${TAP_RATE}/s + chat @${CHAT_RATE}/s`, tapResult)
      if (process.env.TIMELINE) timeline(`${label} taps`, tapResult)
      row(`chat @${CHAT_RATE}/s beside taps`, chatResult)
      bench(
        `${label}.tap_p99_at_${TAP_RATE}_per_s`,
        percentile(tapResult.latenciesMs, 99),
        'ms',
        mode === 'pg' ? '<=50' : '<=150',
      )
      if (process.env.TAPS_ONLY) return false

      // 2: the same taps during a notice fan-out (PostgreSQL: the bench writes the notice beside the product).
      if (mode === 'pg') {
        const publisher = org.users.wangjianguo ?? ''
        const startedAt = Date.now()
        const notice = await createNotice({
          ctx: {
            tenantId: org.tenantId,
            actor: { kind: 'user', userId: publisher, via: 'api' },
            db: database.db,
            clock: systemClock,
            logger: silent,
          },
          input: {
            title: '全员通知：系统升级',
            body: '今晚 22:00 起系统升级。',
            // By user: the product's directory sync may have moved them into the mirrored departments.
            audience: {
              users: Array.from({ length: FANOUT }, (_, i) => `usr_${run}_${String(i + 1).padStart(6, '0')}`),
            },
            requireAck: false,
            publish: 'now',
          },
        })
        const during = await load({
          url: cardsUrl,
          pushes: await taps(TAP_RATE * seconds),
          durationMs: ms,
          ratePerSec: TAP_RATE,
          connections: 64,
        })
        row(`taps @${TAP_RATE}/s during ${FANOUT}-recipient fan-out`, during)
        // What the platform received (the fake's messages carrying the notice's title), beside what the product
        // has recorded as sent (a recipient is marked sent when a later fan-out step reconciles it).
        const received = [...fake.state.messages.values()].filter(
          (m) => m.createTime >= startedAt && m.originalContent.includes('全员通知'),
        ).length
        const counts = await deliveryCounts(database, notice.id)
        bench(`${label}.tap_p99_during_fanout`, percentile(during.latenciesMs, 99), 'ms', '<=50')
        bench(
          `${label}.fanout_sent_during_taps`,
          counts.sent,
          `of_${FANOUT}_in_${Math.round((Date.now() - startedAt) / 1000)}s`,
          'n/a',
        )
        bench(`${label}.fanout_received_by_platform_during_taps`, received, `of_${FANOUT}`, 'n/a')
      }
      return true
    }

    // 3: saturation, raw server then the product, same pushes shape, closed loop. CPU time is taken beside
    // the rates (the raw server runs in this process; the product with its job children from /proc): on a
    // shared machine the CPU per request holds where the rates do not.
    const satPushes = async () => chats(Math.min(60_000, 4000 * seconds))
    const rawPushes = await satPushes()
    const rawCpu0 = process.cpuUsage()
    const rawSat = await load({ url: rawUrl, pushes: rawPushes, durationMs: ms, connections: 64 })
    const rawCpu = process.cpuUsage(rawCpu0)
    const rawCpuPerReq = (rawCpu.user + rawCpu.system) / 1000 / Math.max(1, rawSat.requests)
    row('raw verify+decrypt, saturation', rawSat)
    const productPushes = await satPushes()
    const cpu0 = processTreeCpuMs(product.proc.pid)
    const httpCpu0 = processCpuMs(product.proc.pid)
    const productSat = await load({ url: eventsUrl, pushes: productPushes, durationMs: ms, connections: 64 })
    const satCpu = processTreeCpuMs(product.proc.pid) - cpu0
    const httpCpu = processCpuMs(product.proc.pid) - httpCpu0
    row('npm start ack, saturation', productSat)
    const ratio = productSat.rps / rawSat.rps
    bench(`${label}.webhook_ack_ratio_to_raw`, ratio, 'ratio', mode === 'pg' ? '>=0.3' : '>=0.1')
    bench(`${label}.webhook_ack_rps`, productSat.rps, 'req/s', 'n/a')
    bench(`${label}.raw_cpu_per_request`, rawCpuPerReq, 'ms', 'n/a')
    bench(`${label}.product_cpu_per_ack_during_load`, satCpu / Math.max(1, productSat.requests), 'ms', 'n/a')
    // The HTTP process alone (the job children's share is the rest of the line above).
    bench(`${label}.http_process_cpu_per_ack`, httpCpu / Math.max(1, productSat.requests), 'ms', 'n/a')

    // Events processed: inbound rows done, drained after the load stops (PostgreSQL: read live; embedded: the
    // product's outbox gauges from /metrics until nothing is due, then counted from its data directory
    // once it stopped), and the product's CPU per event including the drain.
    const drainStart = Date.now()
    const countDone = async (db: Database) =>
      (
        await db.rows<{ done: number; total: number }>(sql`
          select count(*) filter (where status = 'done')::int as done, count(*)::int as total
          from outbox where topic = 'inbound.event'`)
      )[0] ?? { done: 0, total: 0 }
    let c = { done: 0, total: 0 }
    if (mode === 'pg') {
      c = await countDone(database)
      // How far processing kept up while acks ran at saturation (the rest is the drain below).
      bench(
        `${label}.events_processed_during_load`,
        c.done / (ms / 1000),
        `events/s_(${c.done}_of_${c.total})`,
        'n/a',
      )
      while (c.done < c.total && Date.now() - drainStart < DRAIN_WAIT_MS) {
        await sleep(500)
        c = await countDone(database)
      }
    } else {
      // Polled once a second: each read counts the outbox (a scan the product pays for).
      while ((await inboundBusy(product.base)) && Date.now() - drainStart < DRAIN_WAIT_MS) await sleep(1000)
    }
    const drainedIn = (Date.now() - drainStart) / 1000
    const totalCpu = processTreeCpuMs(product.proc.pid) - cpu0
    if (mode === 'embedded') {
      await product.stop()
      const db = await openDatabase({ dataDir: join(productEnv.DATA_DIR ?? '', 'pglite') })
      c = await countDone(db)
      await db.close()
    }
    bench(`${label}.events_processed`, c.done, `of_${c.total}_drained_in_${drainedIn.toFixed(1)}s`, 'all')
    const cpuPerEvent = totalCpu / Math.max(1, c.done)
    bench(`${label}.product_cpu_per_event_incl_drain`, cpuPerEvent, 'ms', 'n/a')
    // The ratio the rates would show on an idle machine with one core for each: raw CPU per request over the
    // product's CPU per event, acked and processed.
    bench(`${label}.cpu_ratio_to_raw`, rawCpuPerReq / cpuPerEvent, 'ratio', 'n/a')
    console.log(`\nsingle-process ${label}: ${seconds} s per phase (loaded machine, indicative only)\n`)
    table(rows)
    console.log('')
  } finally {
    for (const c of cleanups) await c().catch((err) => console.error('cleanup failed', err))
  }
}

try {
  for (const mode of modes) await runMode(mode)
} finally {
  loader.kill()
  raw.close()
}
process.exit(0)
