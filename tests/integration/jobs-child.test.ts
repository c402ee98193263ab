import { type ChildProcess, spawn } from 'node:child_process'
import { getPriority } from 'node:os'
import { resolve } from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import { createNotice } from '../../bot/domain/notices/create-notice'
import { systemClock } from '../../bot/lib/clock'
import { type Database, openDatabase } from '../../db/client'
import {
  bulkOpenId,
  createBulkFeishuTenant,
  deliveryCounts,
  freePort,
  PrivateRedis,
} from '../bench/notices-fixtures'
import { createFakeFeishu, type FakeFeishu } from '../fakes/feishu'
import { testDatabaseUrl } from '../helpers/db'
import { waitFor } from '../helpers/wait'

/**
 * `npm start` on PostgreSQL + Redis runs the relay and the job workers in a child process. Killing that
 * child (SIGKILL) in the middle of a notice fan-out: readiness reports the workers down until the
 * supervisor's restart is up, and every recipient still gets exactly one card (counted by the send's
 * idempotency key at the fake Feishu, which deduplicates it like Feishu does).
 */
const ROOT = resolve(import.meta.dirname, '../..')
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const N = 150

let admin: ReturnType<typeof postgres> | null = null
let dbName = ''
let database: Database | null = null
let redis: PrivateRedis | null = null
let fake: FakeFeishu | null = null
let product: ChildProcess | null = null
let canRun = true

beforeAll(async () => {
  const url = testDatabaseUrl()
  if (!url) canRun = false
  try {
    redis = await PrivateRedis.start()
  } catch {
    canRun = false
  }
  if (!canRun) return
  const adminUrl = new URL(url)
  adminUrl.pathname = '/postgres'
  admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} })
  dbName = `flowcard_jobs_child_${Date.now()}_${process.pid}`
  await admin.unsafe(
    `create database ${dbName} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
  )
})

afterAll(async () => {
  if (product && product.exitCode === null && product.signalCode === null) {
    const exited = new Promise((r) => product?.once('exit', r))
    product.kill('SIGTERM')
    await exited
  }
  await fake?.close()
  await database?.close()
  await redis?.kill()
  if (admin && dbName) await admin.unsafe(`drop database if exists ${dbName} with (force)`)
  await admin?.end({ timeout: 5 })
})

describe('npm start with job workers in a child process', () => {
  it('restarts a SIGKILLed job child, reports it down meanwhile, and delivers every card exactly once', async (t) => {
    if (!canRun || !redis || !admin) {
      t.skip()
      return
    }
    const run = Math.random().toString(36).slice(2, 8)
    const tenantKey = `tk_${run}`
    const dbUrl = new URL(testDatabaseUrl())
    dbUrl.pathname = `/${dbName}`
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const fakeUsers = Array.from({ length: N }, (_, k) => ({
      userId: `b${run}${k + 1}`,
      name: `员工${k + 1}`,
      openId: bulkOpenId(run, k + 1),
    }))
    fake = await createFakeFeishu({
      tenantKey,
      org: { departments: [], users: fakeUsers },
      imThrottleStatus: 429,
    })

    const childPids: number[] = []
    // `npm start` on a checkout edited since its build: start.mjs runs the sources through tsx registered in
    // the process, and the job child must get a TypeScript loader of its own.
    product = spawn(process.execPath, ['bot/entry/start.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        FLOWCARD_FROM_SOURCE: '1',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: dbUrl.toString(),
        REDIS_URL: redis.url,
        JOBS_MODE: 'child',
        JOBS_PROCESSES: '1',
        // A killed child's job is taken over when its lock runs out: 5 s here rather than 30 s.
        JOBS_LOCK_MS: '5000',
        LOG_LEVEL: 'info',
        FEISHU_APP_ID: fake.appId,
        FEISHU_APP_SECRET: fake.appSecret,
        FEISHU_VERIFICATION_TOKEN: 'vt',
        FEISHU_ENCRYPT_KEY: 'ek',
        FEISHU_DOMAIN: fake.url,
        METRICS_TOKEN: 'jobs-child-metrics-token',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let buf = ''
    product.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.includes('"job workers started"')) continue
        // The parent's line names the child's pid after its own; JSON.parse keeps the last `pid`.
        childPids.push(Number((JSON.parse(line) as { pid: number }).pid))
      }
    })
    const readiness = async () => {
      try {
        const res = await fetch(`${base}/readyz`)
        return { status: res.status, body: (await res.json()) as { checks: { queue: string } } }
      } catch {
        return null
      }
    }
    await waitFor(async () => (await readiness())?.status === 200, '/readyz 200', 60_000, 100)
    // The child's start line may reach stdout just after the parent answers ready.
    await waitFor(() => childPids.length > 0, 'the job child started')
    expect(childPids).toHaveLength(1)
    // JOBS_NICE defaults to 10: the child yields the cores to the HTTP process when both want them.
    const ownNice = getPriority(0)
    expect(getPriority(childPids[0] ?? 0)).toBe(Math.max(ownNice, 10))

    database = await openDatabase({ url: dbUrl.toString(), max: 2 })
    const { org, departmentId } = await createBulkFeishuTenant(database, { n: N, tenantKey, run })
    const ctx: ServiceContext = {
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: org.users.wangjianguo ?? '', via: 'api' },
      db: database.db,
      clock: systemClock,
      logger: silent,
    }
    const notice = await createNotice({
      ctx,
      input: {
        title: '全员通知：系统升级',
        body: '今晚 22:00 起系统升级。',
        audience: { departments: [{ id: departmentId, includeSubDepartments: true }] },
        requireAck: false,
        publish: 'now',
      },
    })
    expect(notice.recipientCount).toBe(N)
    const f = fake
    await waitFor(() => f.recorder.sentMessages().length >= N * 0.2, '20 % delivered', 60_000, 20)

    const victim = childPids[0] ?? 0
    process.kill(victim, 'SIGKILL')
    const down = await waitFor(
      async () => {
        const r = await readiness()
        return r && r.status === 503 ? r : null
      },
      'readiness to report the job child down',
      10_000,
      20,
    )
    // Readiness names the failing dependency with the fixed word `down`; the detail goes to the log.
    expect(down.body.checks.queue).toBe('down')

    await waitFor(
      async () => (await deliveryCounts(database as Database, notice.id)).sent === N,
      'every recipient sent',
      150_000,
      200,
    )
    await waitFor(async () => (await readiness())?.status === 200, 'ready again', 30_000, 100)
    expect(childPids.length).toBeGreaterThanOrEqual(2)
    expect(childPids).not.toContain(Number.NaN)
    expect(childPids[1]).not.toBe(victim)
    expect(getPriority(childPids[1] ?? 0)).toBe(Math.max(ownNice, 10))

    const byKey = new Map<string, number>()
    for (const m of f.recorder.sentMessages()) {
      const key = m.uuid ?? `(no key) ${m.messageId}`
      byKey.set(key, (byKey.get(key) ?? 0) + 1)
    }
    const receivers = new Set(
      f.recorder.sentMessages().map((m) => (m.receiver.kind === 'user' ? m.receiver.openId : '')),
    )
    expect({
      keys: byKey.size,
      duplicated: [...byKey.values()].filter((n) => n > 1).length,
      unkeyed: [...byKey.keys()].filter((k) => k.startsWith('(no key)')).length,
      lost: fakeUsers.filter((u) => !receivers.has(u.openId ?? '')).length,
    }).toEqual({ keys: N, duplicated: 0, unkeyed: 0, lost: 0 })
    expect(await deliveryCounts(database, notice.id)).toMatchObject({ sent: N, failed: 0 })

    // `/metrics` in the HTTP process carries the job child's series (asked over IPC) beside its own. A child
    // that does not answer within a second is left out of that scrape (a busy machine): scrape until it is in.
    const scrapeOnce = async () => {
      const scrape = await fetch(`${base}/metrics`, {
        headers: { authorization: 'Bearer jobs-child-metrics-token' },
      })
      expect(scrape.status).toBe(200)
      const text = await scrape.text()
      const sentOk = text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('flowcard_platform_sends_total{') &&
            l.includes('platform="feishu"') &&
            l.includes('result="ok"') &&
            l.includes('process="jobs-1"'),
        )
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
      return { text, sentOk }
    }
    let { text, sentOk } = await scrapeOnce()
    for (let i = 0; i < 20 && sentOk === 0; i++) ({ text, sentOk } = await scrapeOnce())
    // The restarted child sent what was left after the kill (the killed one's counts died with it) ...
    expect(sentOk).toBeGreaterThan(0)
    // ... and the HTTP process sent nothing: it runs no relay and no workers while a job child exists (it
    // once did, taking over the fan-out while the child was down and competing with taps all along).
    expect(text).not.toMatch(/^flowcard_platform_sends_total\{[^}]*process="http"/m)
    expect(text).toContain(
      'flowcard_http_request_duration_seconds_count{route="/readyz",method="GET",status="200",process="http"}',
    )
    expect(text).toMatch(/flowcard_outbox_rows\{status="pending",process="http"\} \d/)

    const exited = new Promise<number | null>((r) => product?.once('exit', (code) => r(code)))
    product.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 240_000)
})
