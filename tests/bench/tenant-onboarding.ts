/**
 * Tenant onboarding: (1) a mini-app login on a tenant never seen before, against a Feishu double answering
 * in 50 ms per call with a 2,000-person directory — p95 time to a session (target ≤ 3 s); (2) a full
 * directory sync of 10,000 people / 800 departments with the role grants from leadership in the same run
 * (target ≤ 60 s). Small run: `npm run bench -- tenant-onboarding --args 200 20 3 1000 80`
 * (people, departments, login samples, sync people, sync departments).
 */
import { createApp } from '../../bot/app'
import { applyDirectory } from '../../bot/domain/org/apply-directory'
import { ensureTenant } from '../../bot/domain/org/ensure-tenant'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { refreshRoleGrants } from '../../bot/platforms/bootstrap'
import { createFeishuPlatform } from '../../bot/platforms/feishu/adapter'
import { MemoryRateLimiter } from '../../bot/platforms/rate-limit'
import { PlatformRegistry } from '../../bot/platforms/registry'
import { InlineQueue } from '../../jobs/drivers/inline'
import { createFakeFeishu } from '../fakes/feishu'
import type { FakeOrgSeed } from '../fakes/feishu/org'
import { createBenchDatabase } from './bench-db'
import { fmt, percentile, table } from './stats'

const [people = 2000, depts = 100, samples = 20, syncPeople = 10_000, syncDepts = 800] = process.argv
  .slice(2)
  .map(Number)
const LATENCY_MS = Number(process.env.FEISHU_LATENCY_MS ?? 50)

function org(n: number, d: number): FakeOrgSeed {
  const departments = Array.from({ length: d }, (_, i) => ({
    departmentId: `D${i}`,
    name: `部门${i}`,
    ...(i > 0 ? { parentDepartmentId: `D${Math.floor((i - 1) / 4)}` } : {}),
    leaderUserId: `u${i}`,
  }))
  const users = Array.from({ length: n }, (_, i) => ({
    userId: `u${i}`,
    name: `员工${i}`,
    email: `u${i}@example.com`,
    departmentIds: [`D${i % d}`],
    ...(i >= d ? { leaderUserId: `u${i % d}` } : {}),
  }))
  return { departments, users }
}

const logger = createLogger('silent')
const bench = await createBenchDatabase('onboarding', 10)
try {
  // 1. First login on a never-seen tenant.
  const times: number[] = []
  const seed = org(people, depts)
  for (let i = 0; i < samples; i++) {
    const fake = await createFakeFeishu({
      tenantKey: `tk_bench_${i}_${Date.now()}`,
      org: seed,
      latencyMs: LATENCY_MS,
      rateLimiting: false,
    })
    const platform = createFeishuPlatform(
      { appId: fake.appId, appSecret: fake.appSecret, domain: fake.url },
      logger,
      {
        limiter: new MemoryRateLimiter(),
        publicUrl: 'https://flow.example.com',
      },
    )
    const app = createApp({
      env: parseEnv({ LOG_LEVEL: 'silent', DEVCHAT: 'off' }),
      database: bench.database,
      queue: new InlineQueue(),
      logger,
      clock: systemClock,
      sessionSecret: 'bench-session-secret-0123456789abcdef',
      platforms: new PlatformRegistry().register(platform),
      loginExchangers: { feishu: (code) => platform.exchangeLoginCode(code) },
    })
    const code = fake.issueLoginCode(fake.user(`u${people - 1 - i}`).openId)
    const started = performance.now()
    const res = await app.request('/api/v1/auth/feishu', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    })
    if (res.status !== 200) throw new Error(`login ${i}: ${res.status} ${await res.text()}`)
    times.push(performance.now() - started)
    await fake.close()
  }

  // 2. Full sync of a big directory, with the grants.
  const fake = await createFakeFeishu({ org: org(syncPeople, syncDepts), rateLimiting: false })
  const platform = createFeishuPlatform(
    { appId: fake.appId, appSecret: fake.appSecret, domain: fake.url },
    logger,
    {
      limiter: new MemoryRateLimiter(),
      publicUrl: 'https://flow.example.com',
    },
  )
  const { tenantId } = await ensureTenant({
    ctx: { db: bench.database.db, clock: systemClock, logger },
    input: { platform: 'feishu', tenantKey: fake.tenantKey },
  })
  const syncStarted = performance.now()
  const snapshot = await platform.syncDirectory({ id: tenantId, platformTenantKey: fake.tenantKey })
  const fetched = performance.now()
  await applyDirectory({
    ctx: {
      tenantId,
      actor: { kind: 'system', reason: 'bench' },
      db: bench.database.db,
      clock: systemClock,
      logger,
    },
    input: { platform: 'feishu', ...snapshot },
  })
  const grants = await refreshRoleGrants(
    {
      database: bench.database,
      logger,
      clock: systemClock,
      platforms: new PlatformRegistry().register(platform),
    },
    { id: tenantId, platformTenantKey: fake.tenantKey, platform: 'feishu' },
    { readAdmins: true },
  )
  const synced = performance.now()
  await fake.close()

  table([
    {
      case: `first login, ${people} people, ${LATENCY_MS} ms/call`,
      n: times.length,
      'p50 ms': fmt(percentile(times, 50)),
      'p95 ms': fmt(percentile(times, 95)),
      target: '≤ 3000',
    },
    {
      case: `full sync ${syncPeople} people / ${syncDepts} depts`,
      n: 1,
      'p50 ms': fmt(synced - syncStarted),
      'p95 ms': `fetch ${fmt(fetched - syncStarted)} + apply ${fmt(synced - fetched)}; +${grants.added} grants`,
      target: '≤ 60000',
    },
  ])
} finally {
  await bench.drop()
}
