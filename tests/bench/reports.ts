/**
 * Reports bench (`npm run bench -- reports`): on PostgreSQL, in a bench database it creates and drops.
 * Generates, over two years, for one tenant of 200 reps in 20 departments (each with a manager):
 * 200,000 customers, 1,000,000 leads, 500,000 deals with their stage history, 150,000 contracts with
 * 600,000 instalments and 500,000 payments, 1,000,000 visits and 1,000,000 follow-ups, all multiplied by
 * REPORTS_BENCH_SCALE (default 1 = the figures). Then, as a department manager (data scope =
 * the department), it runs every report for a department-month and a department-year through `runReport`
 * (the API's verb: scope, filters, labels) REPORTS_BENCH_RUNS times each, and beside it the raw GROUP BY
 * baseline — one plain aggregate over the fact table for the whole tenant and period, no scope; for the
 * reports that read a rollup (the person-day one, the map's, the receivables'), also the same report computed
 * from the records (`reference`).
 * Prints `BENCH reports <report>_<span>_p95 <ms> ms target 50`, `..._from_records_p95` and `..._raw_p95`
 * lines, and a table with the p50 and the Node CPU per run (this process) beside them. The seed is consistent:
 * every paid instalment has its payment allocated to it (the ageing as of a past day reads the allocations).
 * REPORTS_BENCH_KEYS=achievement,activity runs only those reports; REPORTS_BENCH_KEEP=1 leaves the
 * database in place (its URL printed) to EXPLAIN the reports' queries, and then it is yours to drop;
 * REPORTS_BENCH_URL=<that URL> migrates it to this tree and times it again without seeding (a scale-1 seed
 * takes ~10 min); REPORTS_BENCH_PGLITE=<dir> runs on the embedded database in that directory instead,
 * seeding it on the first run and timing it as it is on the next ones (the PGlite figure is at
 * REPORTS_BENCH_SCALE=0.1). REPORTS_BENCH_DIMENSION=month (a dimension the chosen reports have) groups the
 * timed reports by it instead of their first (with REPORTS_BENCH_KEYS=activity: person, month, week, day).
 */
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import type { ServiceContext } from '../../bot/domain/context'
import { ensureSalesDefaults } from '../../bot/domain/opportunities/stage-sets'
import { runReport } from '../../bot/domain/reports'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import type { OrgSpec } from '../../db/seed/org'
import { seedOrg } from '../../db/seed/org'
import { createBenchDatabase } from './bench-db'
import { fmt, percentile, table } from './stats'

const SCALE = Number(process.env.REPORTS_BENCH_SCALE ?? 1)
const RUNS = Number(process.env.REPORTS_BENCH_RUNS ?? 30)
const DEPTS = 20
const REPS = 10
const n = (x: number) => Math.max(10, Math.round(x * SCALE))
const C = n(200_000)
const L = n(1_000_000)
const O = n(500_000)
const K = n(150_000)
const P = n(500_000)
const V = n(1_000_000)
const silent = { debug() {}, info() {}, warn() {}, error() {} }

const spec: OrgSpec = {
  roles: [
    { key: 'admin', name: '系统管理员', scope: 'all', permissions: ['*'] },
    { key: 'manager', name: '销售经理', scope: 'department_tree', permissions: ['crm.use', 'crm.manage'] },
    { key: 'rep', name: '销售', scope: 'self', permissions: ['crm.use'] },
  ],
  departments: [
    { key: 'root', name: '总部', leader: 'boss' },
    ...Array.from({ length: DEPTS }, (_, d) => ({
      key: `d${d}`,
      name: `销售${d}组`,
      parent: 'root',
      leader: `m${d}`,
    })),
  ],
  people: [
    { key: 'boss', name: '老板', department: 'root', roles: ['admin'] },
    ...Array.from({ length: DEPTS }, (_, d) => [
      { key: `m${d}`, name: `经理${d}`, department: `d${d}`, manager: 'boss', roles: ['manager'] },
      ...Array.from({ length: REPS }, (_, r) => ({
        key: `r${d}_${r}`,
        name: `销售${d}-${r}`,
        department: `d${d}`,
        manager: `m${d}`,
        roles: ['rep'],
      })),
    ]).flat(),
  ],
}

const day = (offset: number) =>
  new Date(Date.now() + 8 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10)

/**
 * A kept bench database (REPORTS_BENCH_URL, printed by an earlier REPORTS_BENCH_KEEP=1 run): migrated to
 * this tree's migrations and timed again without seeding; the org's ids found by the seed's names.
 */
async function reuse(url: string) {
  const database = await openDatabase({ url, max: 4 })
  await migrateDatabase(database)
  const org = await benchOrg(database)
  if (!org) throw new Error(`no bench tenant in ${url}`)
  return { bench: { database, url, drop: () => database.close(), keep: () => database.close() }, org }
}

/** The seeded org's ids in a bench database (by the seed's names), or null before the seed. */
async function benchOrg(database: Database) {
  const [tenant] = await database.rows<{ id: string }>(
    sql`select id from tenants where platform_tenant_key = 'bench'`,
  )
  if (!tenant) return null
  const byName = new Map(
    (
      await database.rows<{ id: string; name: string }>(
        sql`select id, name from users where tenant_id = ${tenant.id}`,
      )
    ).map((u) => [u.name, u.id]),
  )
  const users: Record<string, string> = {}
  for (const p of spec.people) users[p.key] = byName.get(p.name) ?? ''
  return { tenantId: tenant.id, users }
}

/**
 * REPORTS_BENCH_PGLITE=<dir>: the embedded database in that directory (kept), seeded on the first run and
 * timed again as it is on the next ones.
 */
async function embedded(dir: string) {
  const database = await openDatabase({ dataDir: dir })
  await migrateDatabase(database)
  return {
    bench: { database, url: dir, drop: () => database.close(), keep: () => database.close() },
    org: await benchOrg(database),
  }
}

async function seed(
  url: string,
  t: string,
  users: Record<string, string>,
  as: (key: string) => ServiceContext,
) {
  const database = { db: as('boss').db as Database['db'] }
  await ensureSalesDefaults(as('boss'))
  const reps = Object.entries(users)
    .filter(([k]) => k.startsWith('r'))
    .map(([, id]) => `'${id}'`)
  const rep = (g: string) => `(array[${reps.join(',')}])[1 + (${g}) % ${reps.length}]`
  // Creation instants spread evenly over the last two years.
  const when = (g: string, total: number) => `now() - ((${g})::float8 / ${total}) * interval '730 days'`
  const exec = async (label: string, q: string) => {
    const s = performance.now()
    // Bulk inserts run the rollup's triggers too; the app's statement timeout is for requests, not seeds.
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local statement_timeout = 0`)
      await tx.execute(sql.raw(q))
    })
    console.log(`seed ${label}: ${fmt((performance.now() - s) / 1000)} s`)
  }
  await exec(
    'channels',
    `insert into crm_lead_channels (id, tenant_id, name, intake_key)
     select 'lch_b' || g, '${t}', '渠道' || g, 'ik_b' || g from generate_series(1, 10) g`,
  )
  await exec(
    'customers',
    `insert into crm_customers (id, tenant_id, name, name_norm, owner_id, created_at, tier, industry, province_code, city_code)
     select 'cus_b' || g, '${t}', '客户' || g, 'kh' || g, ${rep('g')}, ${when('g', C)},
       (array['A','B','C'])[1 + g % 3], (array['制造','金融','零售','教育'])[1 + g % 4],
       (array['110000','310000','320000','330000','440000'])[1 + g % 5],
       (array['110100','310100','320100','330100','440100'])[1 + g % 5]
     from generate_series(1, ${C}) g`,
  )
  await exec(
    'leads',
    `insert into crm_leads (id, tenant_id, name, owner_id, channel_id, status, created_at, first_contacted_at, customer_id, converted_at)
     select 'led_b' || g, '${t}', '线索' || g, ${rep('g * 7')}, 'lch_b' || (1 + g % 10),
       (array['new','contacted','qualified','converted','invalid']::crm_lead_status[])[1 + g % 5], ${when('g', L)},
       case when g % 5 in (1, 2, 3) then ${when('g', L)} + interval '2 hours' end,
       case when g % 5 = 3 then 'cus_b' || (1 + g % ${C}) end,
       case when g % 5 = 3 then ${when('g', L)} + interval '3 days' end
     from generate_series(1, ${L}) g`,
  )
  // Deals: g % 6 picks the current stage (4 open, won, lost); history holds every open stage up to it.
  await exec(
    'deals',
    `insert into sales_opportunities (id, tenant_id, name, customer_id, stage_set_id, stage_id, status, amount_cents,
       expected_close_date, owner_id, stage_entered_at, last_activity_at, win_probability, created_at, closed_at,
       lead_id, close_reason_id)
     select 'opp_b' || g, '${t}', '商机' || g, 'cus_b' || (1 + g % ${C}), s.stage_set_id, s.id, s.kind,
       (g % 100 + 1) * 100000, (${when('g', O)})::date + 60, ${rep('g * 3')}, now(), now(), s.probability,
       ${when('g', O)}, case when s.kind <> 'open' then ${when('g', O)} + interval '40 days' end,
       case when g % 5 = 0 then 'led_b' || (g * 2) end,
       (select id from sales_close_reasons r where r.tenant_id = '${t}' and r.kind::text = s.kind order by r.sort_order offset g % 4 limit 1)
     from generate_series(1, ${O}) g
     join sales_stages s on s.tenant_id = '${t}' and s.sort_order = 1 + g % 6`,
  )
  await exec(
    'stage history',
    `insert into sales_stage_history (tenant_id, opportunity_id, stage_id, stage_name, entered_at, left_at, amount_cents)
     select o.tenant_id, o.id, s.id, s.name, o.created_at + (s.sort_order - 1) * interval '8 days',
       o.created_at + s.sort_order * interval '8 days', o.amount_cents
     from sales_opportunities o
     join sales_stages cur on cur.id = o.stage_id
     join sales_stages s on s.stage_set_id = o.stage_set_id and s.kind = 'open'
       and s.sort_order <= case when cur.kind = 'open' then cur.sort_order when cur.kind = 'won' then 4 else 1 + (length(o.id) % 3) end
     where o.tenant_id = '${t}'`,
  )
  await exec(
    'contracts',
    `insert into sales_contracts (id, tenant_id, number, name, customer_id, owner_id, amount_cents, status, created_at)
     select 'ctr_b' || g, '${t}', 'HT-B-' || g, '合同' || g, 'cus_b' || (1 + g % ${C}), ${rep('g * 5')}, 4000000, 'active', ${when('g', K)}
     from generate_series(1, ${K}) g`,
  )
  // Instalment k of a contract is due k × 45 days after it; the first two are paid in full and the third in
  // half, 10 days before their due day — when that day has come (a later one is still open).
  const local = `(created_at at time zone 'Asia/Shanghai')::date`
  const paidOn = `${local} + k * 45 - 10`
  await exec(
    'instalments',
    `insert into sales_instalments (id, tenant_id, contract_id, seq, due_date, amount_cents, received_cents, created_at)
     select 'ins_b' || g || '_' || k, '${t}', 'ctr_b' || g, k, ${local} + k * 45, 1000000,
       case when ${paidOn} > (now() at time zone 'Asia/Shanghai')::date then 0 when k <= 2 then 1000000 when k = 3 then 500000 else 0 end, created_at
     from generate_series(1, ${K}) g, generate_series(1, 4) k, lateral (select ${when('g', K)} as created_at) c`,
  )
  // One payment per paid instalment, allocated to it (the instalment's received amount is its allocations,
  // as recording a payment keeps it); the rest of the payments are unallocated (advances).
  await exec(
    'payments',
    `insert into sales_payments (id, tenant_id, contract_id, customer_id, amount_cents, received_on, method)
     select 'pay_' || i.id, i.tenant_id, i.contract_id, c.customer_id, i.received_cents,
       (i.created_at at time zone 'Asia/Shanghai')::date + i.seq * 45 - 10, 'bank'
     from sales_instalments i join sales_contracts c on c.id = i.contract_id
     where i.tenant_id = '${t}' and i.received_cents > 0`,
  )
  await exec(
    'allocations',
    `insert into sales_payment_allocations (tenant_id, payment_id, instalment_id, amount_cents)
     select tenant_id, 'pay_' || id, id, received_cents from sales_instalments where tenant_id = '${t}' and received_cents > 0`,
  )
  await exec(
    'advances',
    `insert into sales_payments (id, tenant_id, contract_id, customer_id, amount_cents, received_on, method)
     select 'pay_b' || g, '${t}', 'ctr_b' || (1 + g % ${K}), 'cus_b' || (1 + g % ${C}), 833333, (${when('g', P)})::date, 'bank'
     from generate_series(1, greatest(10, ${P} - (select count(*) from sales_payments where tenant_id = '${t}'))) g`,
  )
  await exec(
    'visits',
    `insert into crm_visits (id, tenant_id, customer_id, user_id, status, check_in_at, check_out_at, check_in_flagged, created_at)
     select 'vis_b' || g, '${t}', 'cus_b' || (1 + g % ${C}), ${rep('g * 11')}, 'checked_out', ${when('g', V)},
       ${when('g', V)} + interval '45 minutes', g % 17 = 0, ${when('g', V)}
     from generate_series(1, ${V}) g`,
  )
  await exec(
    'follow-ups',
    `insert into crm_follow_ups (id, tenant_id, customer_id, author_id, kind, content, created_at)
     select 'fu_b' || g, '${t}', 'cus_b' || (1 + g % ${C}), ${rep('g * 13')}, 'call', '电话跟进', ${when('g', V)}
     from generate_series(1, ${V}) g`,
  )
  // Vacuumed as autovacuum would have by then: the seed's trigger-driven updates (each deal's furthest stage
  // after its history) leave dead row versions, and index-only scans need the visibility map.
  {
    const s = performance.now()
    // Its own connection without the app's statement timeout: at scale 1 on a loaded machine it takes longer.
    if (url.startsWith('postgres')) {
      const admin = postgres(url, { max: 1, onnotice: () => {} })
      await admin.unsafe('vacuum analyze')
      await admin.end()
    } else await database.db.execute(sql`vacuum analyze`)
    console.log(`seed vacuum analyze: ${fmt((performance.now() - s) / 1000)} s`)
  }
}

async function main() {
  const pglite = process.env.REPORTS_BENCH_PGLITE ? await embedded(process.env.REPORTS_BENCH_PGLITE) : null
  const reused = pglite?.org
    ? { ...pglite, org: pglite.org }
    : process.env.REPORTS_BENCH_URL
      ? await reuse(process.env.REPORTS_BENCH_URL)
      : null
  const bench = reused?.bench ?? pglite?.bench ?? (await createBenchDatabase('reports', 4))
  const { database } = bench
  try {
    const org =
      reused?.org ??
      (await database.db.transaction((tx) =>
        seedOrg(tx, spec, { name: 'bench', platform: 'devchat', tenantKey: 'bench' }),
      ))
    const t = org.tenantId
    const as = (key: string): ServiceContext => ({
      tenantId: t,
      actor: { kind: 'user', userId: org.users[key] ?? '', via: 'api' },
      db: database.db,
      clock: { now: () => new Date() },
      logger: silent,
    })
    if (!reused) await seed(bench.url, t, org.users, as)

    // p95 of RUNS timed runs (after one warm-up); `stats` keeps the p50 and the Node CPU per run (user +
    // system, this process: building the statements and decoding the rows) of the last call.
    let last = { p50: Number.NaN, cpu: Number.NaN }
    const time = async (fn: () => Promise<unknown>) => {
      await fn()
      const out: number[] = []
      const cpu0 = process.cpuUsage()
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now()
        await fn()
        out.push(performance.now() - s)
      }
      const cpu = process.cpuUsage(cpu0)
      last = { p50: percentile(out, 50), cpu: (cpu.user + cpu.system) / 1000 / RUNS }
      return percentile(out, 95)
    }
    const spans = { month: { from: day(-30), to: day(-1) }, year: { from: day(-365), to: day(-1) } }
    const raw = (span: { from: string; to: string }): Record<string, string> => {
      const a = `'${span.from}'::date`
      const b = `'${span.to}'::date + 1`
      const ts = (col: string) =>
        `${col} >= (${a})::timestamp at time zone 'Asia/Shanghai' and ${col} < (${b})::timestamp at time zone 'Asia/Shanghai'`
      return {
        'customers-new': `select owner_id, count(*) from crm_customers where tenant_id = '${t}' and ${ts('created_at')} group by 1`,
        'customer-map': `select province_code, count(*), count(*) filter (where tier = 'A') from crm_customers where tenant_id = '${t}' group by 1`,
        activity: `select author_id, count(*) from crm_follow_ups where tenant_id = '${t}' and ${ts('created_at')} group by 1`,
        funnel: `select stage_id, status, count(*), sum(amount_cents) from sales_opportunities where tenant_id = '${t}' and ${ts('created_at')} group by 1, 2`,
        forecast: `select to_char(expected_close_date, 'YYYY-MM'), sum(amount_cents * win_probability / 100) from sales_opportunities where tenant_id = '${t}' and status <> 'lost' and expected_close_date between ${a} and ${b} group by 1`,
        receivables: `select to_char(due_date, 'YYYY-MM'), sum(amount_cents), sum(received_cents) from sales_instalments where tenant_id = '${t}' and due_date between ${a} and ${b} group by 1`,
        'receivables-ageing': `select (current_date - due_date) / 30, sum(amount_cents - received_cents) from sales_instalments where tenant_id = '${t}' and received_cents < amount_cents group by 1`,
        channels: `select channel_id, count(*), count(*) filter (where status = 'converted') from crm_leads where tenant_id = '${t}' and ${ts('created_at')} group by 1`,
        'win-loss': `select close_reason_id, status, count(*), sum(amount_cents) from sales_opportunities where tenant_id = '${t}' and status in ('won', 'lost') and ${ts('closed_at')} group by 1, 2`,
        achievement: `select owner_id, count(*) from crm_customers where tenant_id = '${t}' and ${ts('created_at')} group by 1`,
      }
    }
    const allKeys = [
      'customers-new',
      'customer-map',
      'activity',
      'approvals',
      'achievement',
      'funnel',
      'forecast',
      'receivables',
      'receivables-ageing',
      'channels',
      'win-loss',
    ]
    const only = process.env.REPORTS_BENCH_KEYS?.split(',')
    const keys = only ? allKeys.filter((k) => only.includes(k)) : allKeys
    // Reports reading a rollup: their raw-records path (runReport's reference) is timed too.
    const rolledUp = new Set(['achievement', 'activity', 'customer-map', 'receivables', 'receivables-ageing'])
    const manager = as('m3')
    const rows: Array<Record<string, string>> = []
    for (const [spanName, span] of Object.entries(spans)) {
      const baseline = raw(span)
      for (const key of keys) {
        const dimension = process.env.REPORTS_BENCH_DIMENSION
        const input = dimension ? { ...span, dimension } : span
        // By another dimension than the first, the measures are named after it: activity_by_month_year_p95.
        const name = dimension ? `${key}_by_${dimension}` : key
        const api = await time(() => runReport({ ctx: manager, key, input }))
        const apiStats = last
        const q = baseline[key]
        const rawP95 = q
          ? await time(() =>
              (database.db as unknown as { execute(q: unknown): Promise<unknown> }).execute(sql.raw(q)),
            )
          : Number.NaN
        const ref = rolledUp.has(key)
          ? await time(() => runReport({ ctx: manager, key, input, reference: true }))
          : Number.NaN
        rows.push({
          report: name,
          span: spanName,
          api_p95_ms: fmt(api),
          api_p50_ms: fmt(apiStats.p50),
          node_cpu_ms: fmt(apiStats.cpu),
          api_from_records_p95_ms: fmt(ref),
          raw_p95_ms: fmt(rawP95),
        })
        console.log(`BENCH reports ${name}_${spanName}_p95 ${fmt(api)} ms target 50`)
        if (rolledUp.has(key))
          console.log(
            `BENCH reports ${name}_${spanName}_from_records_p95 ${fmt(ref)} ms (baseline: no rollup)`,
          )
        if (q) console.log(`BENCH reports ${key}_${spanName}_raw_p95 ${fmt(rawP95)} ms`)
      }
    }
    const map = await time(() =>
      runReport({ ctx: as('boss'), key: 'customer-map', input: { ...spans.year, dimension: 'province' } }),
    )
    const city = await time(() =>
      runReport({
        ctx: as('boss'),
        key: 'customer-map',
        input: { ...spans.year, dimension: 'city', provinceCode: '31' },
      }),
    )
    if (keys.includes('receivables-ageing')) {
      // The ageing as of today (a period reaching today, the app's default) reads the receivables rollup; as
      // of a past day (the spans above end yesterday) it sums each instalment's allocations up to that day.
      const input = { from: day(-30), to: day(0) }
      const api = await time(() => runReport({ ctx: manager, key: 'receivables-ageing', input }))
      const ref = await time(() =>
        runReport({ ctx: manager, key: 'receivables-ageing', input, reference: true }),
      )
      console.log(`BENCH reports receivables-ageing_today_p95 ${fmt(api)} ms target 50`)
      console.log(
        `BENCH reports receivables-ageing_today_from_records_p95 ${fmt(ref)} ms (baseline: no rollup)`,
      )
    }
    console.log(`BENCH reports map_province_all_p95 ${fmt(map)} ms target 50`)
    console.log(`BENCH reports map_city_all_p95 ${fmt(city)} ms target 50`)
    table(rows)
    console.log(
      `scale ${SCALE}: customers ${C}, leads ${L}, deals ${O}, contracts ${K} (instalments ${K * 4}), payments ${P}, visits ${V}, follow-ups ${V}; ${RUNS} runs per case; manager of 1 of ${DEPTS} departments`,
    )
  } finally {
    if (process.env.REPORTS_BENCH_KEEP === '1') {
      console.log(`kept the bench database for EXPLAIN: ${bench.url}`)
      await bench.keep()
    } else await bench.drop()
  }
}

await main()
