import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import { createNotice } from '../../bot/domain/notices/create-notice'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import {
  bulkOpenId,
  createBulkFeishuTenant,
  deliveryCounts,
  PrivateRedis,
  spawnWorker,
  type WorkerHandle,
} from '../bench/notices-fixtures'
import { createFakeFeishu, type FakeFeishu } from '../fakes/feishu'
import { openTestDatabase, testDatabaseUrl } from '../helpers/db'
import { waitFor } from '../helpers/wait'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const N = 1000

let database: Database
let redis: PrivateRedis | null = null
let fake: FakeFeishu | null = null
const workers: WorkerHandle[] = []
let canRun = true

beforeAll(async () => {
  database = await openTestDatabase()
  if (database.kind !== 'postgres') canRun = false
  try {
    redis = await PrivateRedis.start()
  } catch {
    canRun = false
  }
})
afterAll(async () => {
  for (const w of workers) await w.kill().catch(() => {})
  await redis?.kill()
  await fake?.close()
  await database.close()
})

describe('notice fan-out across worker processes', () => {
  it(`delivers ${N} cards, exactly one each, through a worker SIGKILL and a Redis restart, without throttling`, async (t) => {
    if (!canRun || !redis) {
      t.skip()
      return
    }
    const run = Math.random().toString(36).slice(2, 8)
    const tenantKey = `tk_${run}`
    const { org, departmentId, fakeUsers } = await createBulkFeishuTenant(database, { n: N, tenantKey, run })
    // Feishu's own limits: 50/s and 1000/min per app, 5 QPS per user.
    fake = await createFakeFeishu({
      tenantKey,
      org: { departments: [], users: fakeUsers },
      imThrottleStatus: 429,
    })
    const logDir = mkdtempSync(join(tmpdir(), 'notices-fanout-'))
    process.stdout.write(`notices-fanout: worker logs in ${logDir}\n`)
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      REDIS_URL: redis.url,
      LIMITER_REDIS_URL: inject('redisUrl'),
      BULL_PREFIX: `nf${run}`,
      FEISHU_BASE_URL: fake.url,
      FEISHU_APP_ID: fake.appId,
      FEISHU_APP_SECRET: fake.appSecret,
      TENANT_ID: org.tenantId,
      RELAY_POLL_MS: '100',
      STALE_AFTER_MS: '5000',
      // The killed worker's jobs are taken over when their locks run out: 5 s here rather than 30 s.
      JOBS_LOCK_MS: '5000',
    }
    workers.push(
      await spawnWorker(env, join(logDir, 'w1.log')),
      await spawnWorker(env, join(logDir, 'w2.log')),
    )

    const ctx: ServiceContext = {
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: org.users.wangjianguo ?? '', via: 'api' },
      db: database.db,
      clock: systemClock,
      logger: silent,
    }
    const started = Date.now()
    const notice = await createNotice({
      ctx,
      input: {
        title: '全员通知：系统升级',
        body: '今晚 22:00 起系统升级，预计 2 小时。',
        audience: { departments: [{ id: departmentId, includeSubDepartments: true }] },
        requireAck: true,
        publish: 'now',
      },
    })
    expect(notice.recipientCount).toBe(N)
    const f = fake
    const delivered = () => f.recorder.messagesPerReceiver().size

    // Restart Redis mid-run (every queued job is lost), then SIGKILL a worker and start a replacement. (In
    // this order: a killed worker's job is re-run only after its 30 s lock, which the pacing relies on.)
    await waitFor(() => delivered() >= N * 0.3, '30 % delivered', 60_000, 50)
    await redis.restart()
    await waitFor(() => delivered() >= N * 0.6, '60 % delivered', 90_000, 50)
    const victim = workers.shift()
    await victim?.kill()
    workers.push(await spawnWorker(env, join(logDir, 'w3.log')))

    await waitFor(
      async () => (await deliveryCounts(database, notice.id)).sent === N,
      'all recipients sent',
      150_000,
      200,
    )
    const wall = (Date.now() - started) / 1000

    const per = f.recorder.messagesPerReceiver()
    const duplicates = [...per.values()].filter((m) => m.length > 1).length
    const lost = fakeUsers.filter((u) => !per.has(u.openId ?? '')).length
    for (const r of f.recorder.requests.filter((x) => x.throttled)) {
      const sends = f.recorder.requests.filter(
        (x) => x.method === 'POST' && x.path === '/open-apis/im/v1/messages' && !x.throttled,
      )
      const inSec = sends.filter((x) => x.at > r.at - 1000 && x.at <= r.at).length
      const inMin = sends.filter((x) => x.at > r.at - 60_000 && x.at <= r.at).length
      process.stdout.write(
        `THROTTLED ${r.method} ${r.path} code=${r.code} t=${r.at - started} inSec=${inSec} inMin=${inMin} body=${JSON.stringify(r.body).slice(0, 80)}\n`,
      )
    }
    process.stdout.write(`DEDUPE hits=${f.recorder.dedupeHits}\n`)
    expect({ duplicates, lost, throttled: f.recorder.throttledCount }).toEqual({
      duplicates: 0,
      lost: 0,
      throttled: 0,
    })
    expect(per.get(bulkOpenId(run, 1))?.[0]?.content).toContain('全员通知')
    const counts = await deliveryCounts(database, notice.id)
    expect(counts).toMatchObject({ total: N, sent: N, pending: 0, queued: 0, failed: 0 })
    process.stdout.write(
      `notices-fanout: ${N} recipients in ${wall.toFixed(1)} s, uuid dedupe hits ${f.recorder.dedupeHits}\n`,
    )
    // The workers' logs are kept only when the run failed (their folder is printed at the start).
    rmSync(logDir, { recursive: true, force: true })
  }, 240_000)
})
