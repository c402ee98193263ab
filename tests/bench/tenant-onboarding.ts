/**
 * Tenant onboarding, against a Feishu double answering in FEISHU_LATENCY_MS (50) per call with its own
 * rate limits on (a throttled call fails the bench):
 *  (1) a mini-app login on a tenant never seen before, 2,000-person directory — p95 time to a session
 *      (target ≤ 3 s), while the new tenant's full directory sync runs on the same app's contact budget, as
 *      it does in production. Baseline: the same person's second login, on the now-known tenant.
 *  (2) a full directory sync of 10,000 people / 800 departments with the role grants from leadership and
 *      the platform's admin list in the same run (target ≤ 60 s). Baseline: the directory-API floor, the
 *      calls the sync made on its busiest API divided by the app's budget for it (APP_RATE, Feishu's
 *      1000/min per API). People come from directory v1 `employees/filter` (100 a page).
 * Prints `BENCH tenant-onboarding <measure> <value> <unit> target <t> baseline <b> ratio <r>` lines.
 * Small run: `npm run bench -- tenant-onboarding --args 200 20 3 1000 80`
 * (people, departments, login samples, sync people, sync departments).
 */
import { createApp } from '../../bot/app'
import { applyDirectory } from '../../bot/domain/org/apply-directory'
import { ensureTenant } from '../../bot/domain/org/ensure-tenant'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { refreshRoleGrants } from '../../bot/platforms/bootstrap'
import { APP_RATE, createFeishuPlatform } from '../../bot/platforms/feishu/adapter'
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
const line = (measure: string, value: number, unit: string, target: string, baseline: number) =>
  console.log(
    `BENCH tenant-onboarding ${measure} ${fmt(value)} ${unit} target ${target} baseline ${fmt(baseline)} ratio ${fmt(value / baseline, 2)}`,
  )
const feishuPlatform = (fake: { appId: string; appSecret: string; url: string }) =>
  createFeishuPlatform({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url }, logger, {
    limiter: new MemoryRateLimiter(),
    publicUrl: 'https://flow.example.com',
  })
const isContactCall = (path: string) =>
  path.startsWith('/open-apis/contact/') ||
  path.startsWith('/open-apis/directory/') ||
  path.startsWith('/open-apis/user/v4/app_admin_user')
/** The API a directory call counts against (Feishu limits each API on its own): the path, ids stripped. */
const apiOf = (method: string, path: string) =>
  `${method} ${path.replace(/\/(od-|ou_)[^/]+/g, '/:id').replace(/\/departments\/0\//, '/departments/:id/')}`
try {
  // 1. First login on a never-seen tenant, with its full sync running beside it.
  const times: number[] = []
  const known: number[] = []
  const seed = org(people, depts)
  for (let i = 0; i < samples; i++) {
    const fake = await createFakeFeishu({
      tenantKey: `tk_bench_${i}_${Date.now()}`,
      org: seed,
      latencyMs: LATENCY_MS,
    })
    const platform = feishuPlatform(fake)
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
    const openId = fake.user(`u${people - 1 - i}`).openId
    const login = async () => {
      const started = performance.now()
      const res = await app.request('/api/v1/auth/feishu', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: fake.issueLoginCode(openId) }),
      })
      if (res.status !== 200) throw new Error(`login ${i}: ${res.status} ${await res.text()}`)
      return performance.now() - started
    }
    // The sync the new tenant queues reads the same directory on the same app budget.
    const sync = platform.syncDirectory({ id: 'pending', platformTenantKey: fake.tenantKey })
    times.push(await login())
    await sync
    known.push(await login())
    if (fake.recorder.throttledCount > 0) throw new Error(`login ${i}: the double throttled the app`)
    await fake.close()
  }
  const p95 = percentile(times, 95)
  const ms = (list: number[]) => list.map((t) => Math.round(t)).join(' ')
  if (process.env.BENCH_VERBOSE) console.log(`first logins ms ${ms(times)} | known ${ms(known)}`)
  line('first_login_p95', p95, 'ms', '3000', percentile(known, 95))

  // 2. Full sync of a big directory, with the grants.
  const fake = await createFakeFeishu({ org: org(syncPeople, syncDepts), latencyMs: LATENCY_MS })
  const platform = feishuPlatform(fake)
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
  const applied = performance.now()
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
  const contactCalls = fake.recorder.requests.filter((r) => isContactCall(r.path))
  const calls = contactCalls.length
  const perApi = new Map<string, number>()
  for (const r of contactCalls)
    perApi.set(apiOf(r.method, r.path), (perApi.get(apiOf(r.method, r.path)) ?? 0) + 1)
  if (process.env.BENCH_VERBOSE) console.log('directory calls per API', Object.fromEntries(perApi))
  const throttled = fake.recorder.throttledCount
  await fake.close()
  if (snapshot.users.length !== syncPeople) throw new Error(`sync read ${snapshot.users.length} people`)
  if (throttled > 0) throw new Error(`sync: the double throttled ${throttled} calls`)
  // The budget floor: the busiest API's calls beyond the burst at the app's rate (each API has its own).
  const floorS = Math.max(0, ...[...perApi.values()].map((n) => (n - APP_RATE.burst) / APP_RATE.ratePerSec))

  table([
    {
      case: `first login, ${people} people, ${LATENCY_MS} ms/call`,
      n: times.length,
      'p50 ms': fmt(percentile(times, 50)),
      'p95 ms': fmt(p95),
      target: '≤ 3000',
    },
    {
      case: `full sync ${syncPeople} people / ${syncDepts} depts, ${calls} contact calls`,
      n: 1,
      'p50 ms': fmt(synced - syncStarted),
      'p95 ms': `fetch ${fmt(fetched - syncStarted)} + apply ${fmt(applied - fetched)} + grants ${fmt(synced - applied)}; +${grants.added} grants`,
      target: '≤ 60000',
    },
  ])
  line('sync_total', (synced - syncStarted) / 1000, 's', '60', floorS)
  line('sync_fetch', (fetched - syncStarted) / 1000, 's', 'n/a', floorS)
  console.log(`BENCH tenant-onboarding sync_apply_and_grants ${fmt((synced - fetched) / 1000)} s target n/a`)
} finally {
  await bench.drop()
}
