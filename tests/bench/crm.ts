/**
 * CRM bench (`npx tsx tests/bench/crm.ts`): on PostgreSQL, in a bench database it creates and drops.
 * Seeds 200,000 customers with realistic Chinese company names and 1,000,000 follow-ups and visits with
 * multi-row inserts in large batches, then measures search (SQL and through the API) for 1-, 2- and
 * 3+-character Chinese, pinyin and initials; the customer card with 100 related records of each kind; and
 * an import of 50,000 rows with progress. Env: CRM_BENCH_CUSTOMERS, CRM_BENCH_ACTIVITY to scale down.
 */
import { cpus, loadavg } from 'node:os'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import type { ServiceContext } from '../../bot/domain/context'
import { allDistrictCodes } from '../../bot/domain/crm/regions'
import { runImport } from '../../bot/domain/crm/run-import'
import { buildSearch, normaliseCompanyName } from '../../bot/domain/crm/search-text'
import { startImport } from '../../bot/domain/crm/start-import'
import { newId } from '../../bot/lib/ids'
import { signToken } from '../../bot/lib/session-token'
import { demoOrg } from '../../db/seed/demo'
import { seedOrg } from '../../db/seed/org'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { createBenchDatabase } from './bench-db'
import { fmt, median, percentile, table } from './stats'

const N_CUSTOMERS = Number(process.env.CRM_BENCH_CUSTOMERS ?? 200_000)
const N_ACTIVITY = Number(process.env.CRM_BENCH_ACTIVITY ?? 1_000_000)
const N_IMPORT = Number(process.env.CRM_BENCH_IMPORT ?? 50_000)
const RUNS = Number(process.env.CRM_BENCH_RUNS ?? 200)
const silent = {
  debug() {},
  info(o: object, m?: string) {
    if (process.env.CRM_BENCH_VERBOSE) console.log(m, o)
  },
  warn() {},
  error() {},
}

const CITIES = [
  '北京',
  '上海',
  '深圳',
  '广州',
  '杭州',
  '南京',
  '苏州',
  '成都',
  '重庆',
  '武汉',
  '西安',
  '天津',
  '长沙',
  '郑州',
  '青岛',
  '厦门',
  '宁波',
  '合肥',
  '济南',
  '福州',
  '昆明',
  '沈阳',
  '大连',
  '无锡',
  '东莞',
  '佛山',
  '珠海',
  '南昌',
  '贵阳',
  '太原',
]
const CHARS =
  '华信恒达中科天润金盛鑫源宏泰瑞丰嘉禾博远东方新世纪海宁安康永利德隆汇通广联创益同仁方圆启明星辰锦绣长城凯旋正大宝鼎鸿运兴旺祥云腾飞万象至诚和美'.split(
    '',
  )
const TRADES = [
  '科技',
  '贸易',
  '实业',
  '电子',
  '医药',
  '建设',
  '物流',
  '食品',
  '化工',
  '机械',
  '软件',
  '信息技术',
  '新能源',
  '环保',
  '文化传媒',
  '服装',
  '建材',
  '汽车服务',
  '网络科技',
  '生物科技',
]
const SUFFIXES = ['有限公司', '股份有限公司', '集团有限公司', '有限责任公司']
const INDUSTRIES = ['制造', '金融', '互联网', '零售', '医疗', '教育', '能源', '物流', '房地产', '政府']
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'.split('')
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英'.split('')

let seed = 42
/** mulberry32: deterministic and fast. */
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T

function companyNames(n: number, taken = new Set<string>()): string[] {
  const out: string[] = []
  while (out.length < n) {
    const name = `${pick(CITIES)}${pick(CHARS)}${pick(CHARS)}${rand() < 0.3 ? pick(CHARS) : ''}${pick(TRADES)}${pick(SUFFIXES)}`
    const norm = normaliseCompanyName(name)
    if (taken.has(norm)) continue
    taken.add(norm)
    out.push(name)
  }
  return out
}

async function timeIt(fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  for (let i = 0; i < 5; i++) await fn()
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

async function main(): Promise<void> {
  const started = performance.now()
  const bench = await createBenchDatabase('crm', 10)
  const raw = postgres(bench.url, { max: 4, onnotice: () => {} })
  try {
    const { database } = bench
    const org = await database.db.transaction((tx) =>
      seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: 'crm-bench' }),
    )
    const reps = [
      'liuyang',
      'chenjing',
      'yangfan',
      'huangli',
      'zhoujie',
      'wumin',
      'zhangwei',
      'zhaolei',
      'liming',
    ].map((k) => org.users[k] as string)
    const districts = allDistrictCodes()

    // ---- seed customers
    let t = performance.now()
    const taken = new Set<string>()
    const names = companyNames(N_CUSTOMERS, taken)
    const now = new Date()
    const customerIds: string[] = []
    const BATCH = 2000
    for (let i = 0; i < names.length; i += BATCH) {
      const rows = names.slice(i, i + BATCH).map((name, j) => {
        const id = newId('cus')
        customerIds.push(id)
        const district = pick(districts)
        const phone = `1${3 + Math.floor(rand() * 7)}${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`
        const s = buildSearch({
          name,
          phones: [phone],
          contactNames: [`${pick(SURNAMES)}${pick(GIVEN)}${rand() < 0.5 ? pick(GIVEN) : ''}`],
        })
        return {
          id,
          tenant_id: org.tenantId,
          name,
          name_norm: normaliseCompanyName(name),
          phone,
          industry: pick(INDUSTRIES),
          tier: pick(['A', 'B', 'C']),
          province_code: `${district.slice(0, 2)}0000`,
          city_code: `${district.slice(0, 4)}00`,
          district_code: district,
          lat: 22 + rand() * 18,
          lng: 100 + rand() * 20,
          owner_id: (i + j) % 10 === 0 ? null : reps[(i + j) % reps.length],
          owned_since: now,
          reclaim_due_at: new Date(now.getTime() + 30 * 86_400_000),
          search_text: s.searchText,
          search_grams: s.searchGrams,
        }
      })
      await raw`insert into crm_customers ${raw(rows)}`
    }
    const seedCustomersS = (performance.now() - t) / 1000

    // ---- seed follow-ups and visits (SQL-side generation, large batches)
    t = performance.now()
    await raw`create temp table bench_ids as select id, row_number() over () as rn from crm_customers where tenant_id = ${org.tenantId}`
    await raw`create index on bench_ids (rn)`
    const nFollow = Math.round(N_ACTIVITY * 0.6)
    const nVisit = N_ACTIVITY - nFollow
    const STEP = 200_000
    for (let from = 1; from <= nFollow; from += STEP) {
      const to = Math.min(nFollow, from + STEP - 1)
      await raw`
        insert into crm_follow_ups (id, tenant_id, customer_id, author_id, kind, content, created_at)
        select 'fup_b' || g, ${org.tenantId}, b.id, ${reps[0] as string},
          (array['call','visit','message','email','meeting'])[1 + g % 5]::crm_follow_up_kind,
          '沟通了采购计划与预算，客户关注交付周期和售后服务，约定下周再次确认。',
          now() - (g % 365) * interval '1 day'
        from generate_series(${from}::int, ${to}::int) g join bench_ids b on b.rn = 1 + (g::bigint * 7919) % ${N_CUSTOMERS}`
    }
    for (let from = 1; from <= nVisit; from += STEP) {
      const to = Math.min(nVisit, from + STEP - 1)
      await raw`
        insert into crm_visits (id, tenant_id, customer_id, user_id, status, check_in_at, check_in_lat, check_in_lng,
          check_in_distance_m, summary, client_key, created_at)
        select 'vis_b' || g, ${org.tenantId}, b.id, ${reps[0] as string}, 'checked_out', now() - (g % 365) * interval '1 day',
          30.1, 120.2, g % 3000, '现场拜访，演示了新版本。', 'bench-' || g, now() - (g % 365) * interval '1 day'
        from generate_series(${from}::int, ${to}::int) g join bench_ids b on b.rn = 1 + (g::bigint * 104729) % ${N_CUSTOMERS}`
    }
    // The hub customer: 100 of each related kind.
    const hub = customerIds[0] as string
    const others = customerIds.slice(1, 101)
    await raw`update crm_customers set owner_id = ${reps[0] as string} where id = ${hub}`
    await raw`insert into crm_contacts (id, tenant_id, customer_id, name, phone, decision_role)
      select 'con_h' || g, ${org.tenantId}, ${hub}, '联系人' || g, '1380000' || lpad(g::text, 4, '0'), 'user' from generate_series(1, 100) g`
    await raw`insert into crm_follow_ups (id, tenant_id, customer_id, author_id, kind, content, created_at)
      select 'fup_h' || g, ${org.tenantId}, ${hub}, ${reps[0] as string}, 'call', '跟进 ' || g, now() - g * interval '1 hour' from generate_series(1, 100) g`
    await raw`insert into crm_visits (id, tenant_id, customer_id, user_id, status, check_in_at, created_at)
      select 'vis_h' || g, ${org.tenantId}, ${hub}, ${reps[0] as string}, 'checked_out', now() - g * interval '1 hour', now() - g * interval '1 hour' from generate_series(1, 100) g`
    await raw`insert into crm_field_history (tenant_id, entity_type, entity_id, field, old_value, new_value, actor_id)
      select ${org.tenantId}, 'customer', ${hub}, 'tier', '"B"', '"A"', ${reps[0] as string} from generate_series(1, 100) g`
    await raw`insert into crm_customer_relations ${raw(
      others.map((o, i) => ({
        id: `rel_h${i}`,
        tenant_id: org.tenantId,
        from_customer_id: hub,
        to_customer_id: o,
        kind: 'partner',
      })),
    )}`
    await raw`analyze`
    const seedActivityS = (performance.now() - t) / 1000
    console.log(
      `seeded ${N_CUSTOMERS} customers in ${fmt(seedCustomersS)} s, ${N_ACTIVITY} follow-ups+visits in ${fmt(seedActivityS)} s`,
    )

    // ---- search
    const sample = names[12345 % names.length] as string
    const core = sample.replace(
      /^(北京|上海|深圳|广州|杭州|南京|苏州|成都|重庆|武汉|西安|天津|长沙|郑州|青岛|厦门|宁波|合肥|济南|福州|昆明|沈阳|大连|无锡|东莞|佛山|珠海|南昌|贵阳|太原)/,
      '',
    )
    const s = buildSearch({ name: core.slice(0, 4) })
    const tokens = s.searchText.split(' ')
    const queries: Array<[string, string]> = [
      ['1 char', core.slice(0, 1)],
      ['2 chars', core.slice(0, 2)],
      ['3+ chars', core.slice(0, 4)],
      ['pinyin', tokens[1] ?? 'huaxin'],
      ['initials', tokens[2] ?? 'hxkj'],
    ]
    const { app } = testApp(database)
    const rep = org.users.liuyang as string
    const admin = org.users.wangjianguo as string
    const header = async (u: string) => ({
      authorization: `Bearer ${await signToken(TEST_SESSION_SECRET, { k: 'session', t: org.tenantId, u, p: 'devchat', j: newId('j'), exp: Math.floor(Date.now() / 1000) + 3600 })}`,
    })
    const rows: Array<Record<string, string | number>> = []
    const esc = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`)
    for (const [who, userId, owner] of [
      ['rep (self)', rep, sql`owner_id = ${rep}`],
      ['admin (all)', admin, sql`true`],
    ] as const) {
      const h = await header(userId)
      for (const [label, q] of queries) {
        const norm = q.toLowerCase()
        const short = [...norm].length <= 2
        // The statements searchCustomers runs: text match on its index first (fenced), then the scope.
        const fenced = (match: ReturnType<typeof sql>, n: number) => sql`
          select id, name from (select id, tenant_id, name, owner_id from crm_customers
            where tenant_id = ${org.tenantId} and ${match} limit 5000) c
          where (${owner} or owner_id is null) limit ${n}`
        const sqlTimes = await timeIt(async () => {
          await Promise.all([
            database.rows(fenced(sql`name_norm like ${`${esc(norm)}%`}`, 20)),
            database.rows(
              short
                ? fenced(sql`search_grams @> array[${norm}]::text[]`, 100)
                : fenced(sql`search_text like ${`%${esc(norm)}%`}`, 100),
            ),
          ])
        })
        if (process.env.CRM_BENCH_EXPLAIN) {
          const plan = await database.rows<Record<string, string>>(
            sql`explain analyze ${short ? fenced(sql`search_grams @> array[${norm}]::text[]`, 100) : fenced(sql`search_text like ${`%${esc(norm)}%`}`, 100)}`,
          )
          console.log(`\n${who} ${label}\n${plan.map((r) => Object.values(r)[0]).join('\n')}`)
        }
        let hits = 0
        const apiTimes = await timeIt(async () => {
          const res = await app.request(`/api/v1/crm/customers?q=${encodeURIComponent(q)}`, { headers: h })
          hits = ((await res.json()) as { items: unknown[] }).items.length
        })
        rows.push({
          who,
          query: `${label} "${q}"`,
          hits,
          'sql p50 ms': fmt(median(sqlTimes), 2),
          'sql p95 ms': fmt(percentile(sqlTimes, 95), 2),
          'sql vs 10': fmt(percentile(sqlTimes, 95) / 10, 2),
          'api p50 ms': fmt(median(apiTimes), 2),
          'api p95 ms': fmt(percentile(apiTimes, 95), 2),
          'api vs 30': fmt(percentile(apiTimes, 95) / 30, 2),
        })
      }
    }
    console.log('\nsearch (targets: SQL p95 ≤ 10 ms, API p95 ≤ 30 ms; ratio = p95 / target)')
    table(rows)

    // ---- customer card
    const repHeader = await header(rep)
    const cardTimes = await timeIt(async () => {
      const res = await app.request(`/api/v1/crm/customers/${hub}/card`, { headers: repHeader })
      if (res.status !== 200) throw new Error(`card ${res.status}`)
      await res.json()
    })
    console.log('\ncustomer card, 100 contacts/follow-ups/visits/relations/changes (target p95 ≤ 30 ms)')
    table([
      {
        'p50 ms': fmt(median(cardTimes), 2),
        'p95 ms': fmt(percentile(cardTimes, 95), 2),
        'p95 vs 30': fmt(percentile(cardTimes, 95) / 30, 2),
      },
    ])

    // ---- import
    const importNames = companyNames(N_IMPORT, taken)
    const csv = ['客户名称,电话,行业,区县代码,纬度,经度,标签']
    for (const n of importNames)
      csv.push(`${n},0571-${Math.floor(rand() * 1e8)},${pick(INDUSTRIES)},${pick(districts)},30.2,120.1,导入`)
    const ctx: ServiceContext = {
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: admin, via: 'api' },
      db: database.db,
      clock: { now: () => new Date() },
      logger: silent,
    }
    t = performance.now()
    const job = await startImport({
      ctx,
      input: { entity: 'customers', format: 'csv', data: new TextEncoder().encode(csv.join('\n')) },
    })
    const progress: number[] = []
    const result = await runImport({ ctx, jobId: job.id, onProgress: (n) => progress.push(n) })
    const importS = (performance.now() - t) / 1000
    console.log(`\nimport of ${N_IMPORT} rows (target ≥ 5000 rows/s)`)
    table([
      {
        status: result.status,
        ok: result.okRows,
        errors: result.errorRows,
        seconds: fmt(importS, 2),
        'rows/s': Math.round(N_IMPORT / importS),
        'vs 5000': fmt(N_IMPORT / importS / 5000, 2),
        'progress reports': progress.length,
      },
    ])
    console.log(
      `\ntotal ${fmt((performance.now() - started) / 1000)} s, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores`,
    )
  } finally {
    await raw.end({ timeout: 5 })
    if (process.env.CRM_BENCH_KEEP) console.log(`kept ${bench.url}`)
    else await bench.drop()
  }
}

await main()
