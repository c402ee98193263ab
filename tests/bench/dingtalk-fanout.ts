/**
 * Notice fan-out to N people (default 2 000) on the DingTalk test double with its documented limits: 20 qps
 * per app per API (`QpsLimitForAppkeyAndApi` beyond it), the monthly API quota (raised so the run fits) and
 * the per-IP ban (`npx tsx tests/bench/dingtalk-fanout.ts`; rate-bound, about N / 20 seconds). Each recipient
 * gets the notice card through the same `send.message` outbox rows the notice fan-out writes, relayed and
 * sent by the real workers and adapter. Prints the wall time against the rate floor (N / 20 qps) and the
 * calls the platform counted against the monthly quota. BENCH_POSTGRES_URL as for the other benches.
 */
import { sql } from 'drizzle-orm'
import { SEND_MESSAGE } from '../../bot/domain/chat/send'
import { createFakeDingtalk, type FakeUserSeed } from '../fakes/dingtalk'
import { startDingtalkStack } from '../helpers/dingtalk'
import { createBenchDatabase } from './bench-db'

const N = Number(process.env.N ?? 2000)
const PER_API_QPS = 20

async function main() {
  const users: FakeUserSeed[] = Array.from({ length: N }, (_, i) => ({
    userid: `u${i}`,
    name: `员工${i}`,
    deptIds: [100],
  }))
  const fake = await createFakeDingtalk({ users, perApiPerSecond: PER_API_QPS, monthlyApiQuota: 1_000_000 })
  const bench = await createBenchDatabase('dtfanout', 10)
  const stack = await startDingtalkStack(fake, bench.database, { syncManagers: false, concurrency: 16 })
  try {
    fake.controls.newMonth()
    fake.recorder.clear()
    const [t] = await bench.database.rows<{ n: number }>(
      sql`select count(*)::int as n from user_identities where tenant_id = ${stack.tenantId}`,
    )
    if ((t?.n ?? 0) < N) throw new Error(`only ${t?.n} people synced`)
    const started = performance.now()
    // One outbox row per recipient, as the notice fan-out writes them.
    await bench.database.db.execute(sql`
      insert into outbox (tenant_id, topic, payload)
      select ${stack.tenantId}::text, ${SEND_MESSAGE}::text, jsonb_build_object(
        'tenantId', ${stack.tenantId}::text,
        'to', jsonb_build_object('userId', ui.user_id),
        'content', jsonb_build_object('kind', 'card', 'card', jsonb_build_object(
          'header', jsonb_build_object('title', '年终通知', 'color', 'blue'),
          'elements', jsonb_build_array(jsonb_build_object('type', 'markdown', 'text', '请于周五前提交年终总结。')))),
        'ref', 'notice:bench:' || ui.user_id)
      from user_identities ui where ui.tenant_id = ${stack.tenantId}`)
    await stack.settle(N * 1000)
    const seconds = (performance.now() - started) / 1000
    const delivered = [...fake.cards.values()].length
    const creates = fake.recorder.find('POST', '/v1.0/card/instances/createAndDeliver')
    const throttled = creates.filter((c) => c.throttled).length
    const floor = N / PER_API_QPS
    const ratio = seconds / floor
    console.log(
      `delivered ${delivered}/${N} in ${seconds.toFixed(1)} s (floor ${floor.toFixed(1)} s); ` +
        `createAndDeliver calls ${creates.length}, throttled ${throttled}`,
    )
    console.log(`BENCH dingtalk fanout_vs_floor ${ratio.toFixed(3)} x target 1.05`)
    console.log(
      `BENCH dingtalk quota_counted_calls ${fake.controls.usage().apiCalls} calls for ${N} recipients`,
    )
    if (delivered !== N) process.exitCode = 1
  } finally {
    await stack.close()
    await bench.drop()
    await fake.close()
  }
}

await main()
