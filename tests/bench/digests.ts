/**
 * Digest fan-out: the morning brief to N people (default 2 000) on the Feishu double with Feishu's limits
 * (`N=2000 npx tsx tests/bench/digests.ts`). Each person owns a customer and has a visit planned today
 * (set-based SQL), so each gets a brief; the scheduled scan (`runDigests`, simulated clock at 08:31) builds
 * and claims every brief and writes its outbox row, and the real relay, workers and Feishu adapter deliver
 * them. Prints the scan time, the time until the last card arrived against the platform's rate-limit floor
 * (1000/min and 50/s for sends: N > 1000 takes N / 1000 minutes), duplicates, losses and throttled answers.
 * BENCH_POSTGRES_URL as for the other benches.
 */
import { sql } from 'drizzle-orm'
import { systemContext } from '../../bot/domain/context'
import { runDigests } from '../../bot/domain/reports'
import { addDays, zonedDayStart, zonedNow } from '../../bot/lib/zoned'
import { createFakeFeishu, type FakeUserSeed, FEISHU_RATE_LIMITS } from '../fakes/feishu'
import { startFeishuStack } from '../helpers/feishu'
import { createBenchDatabase } from './bench-db'

const N = Number(process.env.N ?? 2000)
const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** The least time `n` sends take under the per-second and per-minute limits (average rate). */
function floorSeconds(n: number, perSecond: number, perMinute: number): number {
  return n > perMinute ? (n / perMinute) * 60 : n / perSecond
}

async function main() {
  const users: FakeUserSeed[] = Array.from({ length: N }, (_, i) => ({
    userId: `u${i}`,
    name: `销售${i}`,
    openId: `ou_digest_${String(i).padStart(6, '0')}`,
  }))
  const fake = await createFakeFeishu({ org: { departments: [], users } })
  const bench = await createBenchDatabase('digests', 10)
  const stack = await startFeishuStack(fake, bench.database)
  try {
    const t = stack.tenantId
    // A weekday in China time (Tuesday to Friday: the team digest stays out of the count).
    let day = addDays(zonedNow(new Date(), 'Asia/Shanghai').day, 1)
    while (![2, 3, 4, 5].includes(zonedNow(zonedDayStart(day, 'Asia/Shanghai'), 'Asia/Shanghai').weekday))
      day = addDays(day, 1)
    const dayStart = zonedDayStart(day, 'Asia/Shanghai')
    const seedStarted = performance.now()
    await bench.database.db.execute(sql`
      insert into crm_customers (id, tenant_id, name, name_norm, owner_id)
      select 'cus_d' || u.id, ${t}, '客户' || u.name, '客户' || u.name, u.id
      from users u where u.tenant_id = ${t} and u.status = 'active'`)
    await bench.database.db.execute(sql`
      insert into crm_visits (id, tenant_id, customer_id, user_id, planned_at)
      select 'vis_d' || u.id, ${t}, 'cus_d' || u.id, u.id, ${new Date(dayStart.getTime() + 10 * 3_600_000).toISOString()}::timestamptz
      from users u where u.tenant_id = ${t} and u.status = 'active'`)
    await bench.database.db.execute(sql`analyze`)
    const [people] = await bench.database.rows<{ n: number }>(
      sql`select count(*)::int as n from crm_visits where tenant_id = ${t}`,
    )
    console.log(
      `seeded ${people?.n} people with a visit in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    )
    fake.recorder.clear()
    const before = fake.recorder.sentMessages().length
    const started = performance.now()
    const scanAt = new Date(dayStart.getTime() + (8 * 60 + 31) * 60_000)
    const sent = await runDigests({
      ctx: systemContext(
        { db: bench.database.db, clock: { now: () => scanAt }, logger: silent },
        { tenantId: t, reason: 'bench' },
      ),
    })
    const scanSeconds = (performance.now() - started) / 1000
    const target = sent.morning
    for (;;) {
      if (fake.recorder.sentMessages().length - before >= target) break
      if (performance.now() - started > (floorSeconds(target, 50, 1000) * 3 + 120) * 1000) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const seconds = (performance.now() - started) / 1000
    const messages = fake.recorder.sentMessages().slice(before)
    const per = new Map<string, number>()
    for (const m of messages) {
      const k = m.receiver.kind === 'user' ? m.receiver.openId : m.receiver.chatId
      per.set(k, (per.get(k) ?? 0) + 1)
    }
    const duplicates = [...per.values()].filter((n) => n > 1).length
    const lost = target - per.size
    const floor = floorSeconds(target, FEISHU_RATE_LIMITS.appPerSecond, FEISHU_RATE_LIMITS.appPerMinute)
    console.log(
      `briefs ${target} (empty ${sent.empty}); scan ${scanSeconds.toFixed(1)} s; last card at ${seconds.toFixed(1)} s; ` +
        `floor ${floor.toFixed(1)} s; duplicates ${duplicates}, losses ${lost}, throttled ${fake.recorder.throttledCount}`,
    )
    console.log(`BENCH digests scan_per_person ${((scanSeconds * 1000) / Math.max(1, target)).toFixed(2)} ms`)
    console.log(`BENCH digests fanout_vs_floor ${(seconds / floor).toFixed(3)} x target 1.05 (n ${target})`)
    if (lost !== 0 || duplicates !== 0) process.exitCode = 1
  } finally {
    await stack.close()
    await bench.drop()
    await fake.close()
  }
}

await main()
