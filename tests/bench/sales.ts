/**
 * Sales bench: opportunity list (first page, filters and sort), forecast by month for a department, the
 * customer card with its sales sections, and the overdue scan, over a generated data set.
 * SALES_BENCH_SCALE (default 1) multiplies 2,000 customers / 5,000 deals / 2,000 contracts / 6,000
 * instalments / 10,000 payments; the issue's figures are scale 100 (200k / 500k / 200k / 600k / 1M).
 * SALES_BENCH_CUSTOMERS, _DEALS, _CONTRACTS, _PAYMENTS set one size apart from the scale (3 instalments per
 * contract). SALES_BENCH_RUNS samples per case. Seeding is set-based SQL (generate_series) and timed.
 * The nightly jobs (overdue scan, RFM tiers, win-probability refresh) run once over the whole set.
 */
import { cpus, loadavg } from 'node:os'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import type { ServiceContext } from '../../bot/domain/context'
import { getCustomerCard } from '../../bot/domain/crm/get-customer-card'
import {
  getForecast,
  listOpportunities,
  listStageSets,
  refreshWinProbabilities,
} from '../../bot/domain/opportunities'
import { assessCustomerValues, scanOverdue } from '../../bot/domain/payments'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { demoOrg } from '../../db/seed/demo'
import { type SeededOrg, seedOrg } from '../../db/seed/org'
import { createBenchDatabase } from './bench-db'
import { fmt, percentile, table } from './stats'

const scale = Number(process.env.SALES_BENCH_SCALE ?? 1)
const runs = Number(process.env.SALES_BENCH_RUNS ?? 50)
const size = (name: string, base: number) => Number(process.env[`SALES_BENCH_${name}`] ?? base * scale)
const nCustomers = size('CUSTOMERS', 2000)
const nDeals = size('DEALS', 5000)
const nContracts = size('CONTRACTS', 2000)
const nPayments = size('PAYMENTS', 10000)
const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** A raw connection for the lock sampler and EXPLAIN ANALYZE (outside the pool the cases use). */
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const keepName = process.env.SALES_BENCH_DB
if (keepName && !/^[a-z0-9_]+$/.test(keepName))
  throw new Error('SALES_BENCH_DB: lower-case letters, digits, _')

/**
 * The database: a throwaway one, or with SALES_BENCH_DB=<name> a kept one, seeded on the first run and reused
 * (migrations applied) on later runs with the same sizes, so a full-size run seeds once.
 */
async function openBenchDatabase(): Promise<{
  database: Database
  url: string
  drop(): Promise<void>
  reused: boolean
}> {
  if (!keepName) return { ...(await createBenchDatabase('sales')), reused: false }
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  const [exists] = await admin`select 1 from pg_database where datname = ${keepName}`
  if (!exists)
    await admin.unsafe(
      `create database ${keepName} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
    )
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${keepName}`
  const database = await openDatabase({ url: url.toString(), max: 10 })
  await migrateDatabase(database)
  return { database, url: url.toString(), drop: () => database.close(), reused: Boolean(exists) }
}

const sizes = { nCustomers, nDeals, nContracts, nPayments }
const { database, url: dbUrl, drop, reused } = await openBenchDatabase()
// Seeding statements at full size run longer than the pool's statement timeout: no timeout here.
const raw = postgres(dbUrl, { max: 2, onnotice: () => {}, connection: { statement_timeout: 0 } })
const exec = async (q: string) => {
  await raw.unsafe(q)
}
try {
  await raw`create table if not exists bench_meta (sizes jsonb primary key, org jsonb not null, seed_ms float8)`
  const [kept] = reused
    ? await raw<
        Array<{ org: SeededOrg; seed_ms: number }>
      >`select org, seed_ms from bench_meta where sizes = ${raw.json(sizes)}`
    : []
  if (reused && !kept)
    throw new Error(`${keepName} holds another size; drop it or pick another SALES_BENCH_DB`)
  const org: SeededOrg =
    kept?.org ??
    (await database.db.transaction((tx) =>
      seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: 'bench' }),
    ))
  const as = (key: string): ServiceContext => ({
    tenantId: org.tenantId,
    actor: { kind: 'user', userId: org.users[key] ?? '', via: 'api' },
    db: database.db,
    clock: { now: () => new Date() },
    logger: silent,
  })
  const sys: ServiceContext = { ...as('wangjianguo'), actor: { kind: 'system', reason: 'bench' } }
  const t = org.tenantId
  const reps = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin'].map((k) => org.users[k])
  const rep0 = reps[0] as string
  let seedMs = kept?.seed_ms ?? 0
  if (!kept) {
    await listStageSets({ ctx: sys })
    // Bulk data in set-based SQL (generate_series), so seeding stays fast.
    const seedStart = performance.now()
    const repArray = `array[${reps.map((r) => `'${r}'`).join(',')}]`
    await exec(`insert into crm_customers (id, tenant_id, name, name_norm, search_text, owner_id)
      select 'cus_b' || g, '${t}', '客户' || g, '客户' || g, '客户' || g || ' kehu' || g || ' kh' || g, (${repArray})[1 + g % 6]
      from generate_series(1, ${nCustomers}) g`)
    await exec(`insert into sales_opportunities (id, tenant_id, name, customer_id, stage_set_id, stage_id, status, amount_cents,
        expected_close_date, owner_id, stage_entered_at, last_activity_at, win_probability, closed_at)
      select 'opp_b' || g, '${t}', '商机' || g, 'cus_b' || (1 + g % ${nCustomers}), s.stage_set_id, s.id,
        case s.kind when 'open' then 'open' else s.kind end, (g % 100 + 1) * 100000,
        current_date + (g % 180 - 30), (${repArray})[1 + g % 6], now() - (g % 50) * interval '1 day',
        now() - (g % 40) * interval '1 day', s.probability,
        case when s.kind <> 'open' then now() - (g % 300) * interval '1 day' end
      from generate_series(1, ${nDeals}) g
      join lateral (select * from sales_stages where tenant_id = '${t}' order by sort_order offset (g % 6) limit 1) s on true`)
    await exec(`insert into sales_contracts (id, tenant_id, number, name, customer_id, owner_id, amount_cents, status)
      select 'ctr_b' || g, '${t}', 'HT-B-' || g, '合同' || g, 'cus_b' || (1 + g % ${nCustomers}), (${repArray})[1 + g % 6], 3000000, 'active'
      from generate_series(1, ${nContracts}) g`)
    await exec(`insert into sales_instalments (id, tenant_id, contract_id, seq, due_date, amount_cents, received_cents)
      select 'rpl_b' || g || '_' || k, '${t}', 'ctr_b' || g, k, current_date + (k * 60 - 150), 1000000, case when k = 1 then 1000000 else 0 end
      from generate_series(1, ${nContracts}) g, generate_series(1, 3) k`)
    await exec(`insert into sales_payments (id, tenant_id, contract_id, customer_id, amount_cents, received_on, method)
      select 'pay_b' || g, '${t}', 'ctr_b' || (1 + g % ${nContracts}), 'cus_b' || (1 + (1 + g % ${nContracts}) % ${nCustomers}), 100, current_date - g % 300, 'bank_transfer'
      from generate_series(1, ${nPayments}) g`)
    // The hub customer: 100 records of every kind its card shows (contacts, follow-ups, visits, changes,
    // opportunities, contracts, payments, service tickets are not part of this issue).
    const hub = 'cus_hub'
    await exec(`insert into crm_customers (id, tenant_id, name, name_norm, search_text, owner_id)
      values ('${hub}', '${t}', '枢纽客户', '枢纽客户', '枢纽客户 shuniu', '${rep0}')`)
    await exec(`insert into crm_contacts (id, tenant_id, customer_id, name, phone, decision_role)
      select 'con_h' || g, '${t}', '${hub}', '联系人' || g, '1380000' || lpad(g::text, 4, '0'), 'user' from generate_series(1, 100) g`)
    await exec(`insert into crm_follow_ups (id, tenant_id, customer_id, author_id, kind, content, created_at)
      select 'fup_h' || g, '${t}', '${hub}', '${rep0}', 'call', '跟进 ' || g, now() - g * interval '1 hour' from generate_series(1, 100) g`)
    await exec(`insert into crm_visits (id, tenant_id, customer_id, user_id, status, check_in_at, created_at)
      select 'vis_h' || g, '${t}', '${hub}', '${rep0}', 'checked_out', now() - g * interval '1 hour', now() - g * interval '1 hour' from generate_series(1, 100) g`)
    await exec(`insert into crm_field_history (tenant_id, entity_type, entity_id, field, old_value, new_value, actor_id)
      select '${t}', 'customer', '${hub}', 'tier', '"B"', '"A"', '${rep0}' from generate_series(1, 100) g`)
    await exec(`insert into sales_opportunities (id, tenant_id, name, customer_id, stage_set_id, stage_id, status, amount_cents,
        expected_close_date, owner_id, stage_entered_at, last_activity_at, win_probability)
      select 'opp_h' || g, '${t}', '枢纽商机' || g, '${hub}', s.stage_set_id, s.id, 'open', 100000 * g,
        current_date + g, '${rep0}', now(), now(), s.probability
      from generate_series(1, 100) g
      join lateral (select * from sales_stages where tenant_id = '${t}' and kind = 'open' order by sort_order limit 1) s on true`)
    await exec(`insert into sales_contracts (id, tenant_id, number, name, customer_id, owner_id, amount_cents, status)
      select 'ctr_h' || g, '${t}', 'HT-H-' || g, '枢纽合同' || g, '${hub}', '${rep0}', 3000000, 'active'
      from generate_series(1, 100) g`)
    await exec(`insert into sales_instalments (id, tenant_id, contract_id, seq, due_date, amount_cents, received_cents)
      select 'rpl_h' || g || '_' || k, '${t}', 'ctr_h' || g, k, current_date + (k * 60 - 150), 1000000, case when k = 1 then 1000000 else 0 end
      from generate_series(1, 100) g, generate_series(1, 3) k`)
    await exec(`insert into sales_payments (id, tenant_id, contract_id, customer_id, amount_cents, received_on, method)
      select 'pay_h' || g, '${t}', 'ctr_h' || g, '${hub}', 1000000, current_date - g, 'bank_transfer'
      from generate_series(1, 100) g`)
    await exec(`insert into sales_payment_allocations (tenant_id, payment_id, instalment_id, amount_cents)
      select '${t}', 'pay_h' || g, 'rpl_h' || g || '_1', 1000000 from generate_series(1, 100) g`)
    await exec('analyze')
    seedMs = performance.now() - seedStart
    await raw`insert into bench_meta (sizes, org, seed_ms) values (${raw.json(sizes)}, ${raw.json(org as never)}, ${seedMs})`
  }
  if (process.env.SALES_BENCH_SEED_ONLY) {
    console.log(`seeded in ${fmt(seedMs / 1000)} s`)
    process.exit(0)
  }
  // Repeatable nightly jobs: the overdue scan finds the same instalments on every run of a kept database.
  await raw`update sales_instalments set overdue_notified_at = null where tenant_id = ${t} and overdue_notified_at is not null`
  await raw`delete from outbox where tenant_id = ${t}`

  // Node CPU per call (user + system of this process over all runs): what the client side costs, steadier
  // than wall time on a loaded machine.
  const cpuMs: Record<string, number> = {}
  const time = async (fn: () => Promise<unknown>, key: string) => {
    const out: number[] = []
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < runs; i++) {
      const s = performance.now()
      await fn()
      out.push(performance.now() - s)
    }
    const cpu = process.cpuUsage(cpu0)
    cpuMs[key] = (cpu.user + cpu.system) / 1000 / runs
    return out
  }
  const cases: Record<string, () => Promise<unknown>> = {
    // The floor every case pays on this machine now: one round trip of a trivial query.
    'baseline: select 1': () =>
      (database.db as unknown as { execute(q: unknown): Promise<unknown> }).execute(sql`select 1`),
    'opportunity list (filters, sort)': () =>
      listOpportunities({ ctx: as('liming'), input: { status: 'open', sort: 'close_date', q: '商机1' } }),
    'opportunity list (owner, amount sort)': () =>
      listOpportunities({ ctx: as('liuyang'), input: { status: 'open', sort: 'amount' } }),
    'forecast by month (department)': () =>
      getForecast({ ctx: as('liming'), input: { departmentId: org.departments.sales } }),
    'customer card with sales sections': () => getCustomerCard({ ctx: as('liuyang'), customerId: 'cus_hub' }),
  }
  const results: Record<string, number[]> = {}
  for (const [k, fn] of Object.entries(cases)) results[k] = await time(fn, k)

  // Server time, independent of the machine's load on the client side: every statement a case sends,
  // captured once and replayed under EXPLAIN ANALYZE (planning + execution), summed per case.
  // biome-ignore lint/suspicious/noExplicitAny: instrumentation of the driver's client
  const session = (database.db as any).session
  const client = session.client
  const captured: Array<{ text: string; params: unknown[] }> = []
  session.client = new Proxy(client, {
    get(target, key, receiver) {
      if (key === 'unsafe')
        return (text: string, params?: unknown[], options?: unknown) => {
          captured.push({ text, params: params ?? [] })
          return target.unsafe(text, params, options)
        }
      return Reflect.get(target, key, receiver)
    },
  })
  const server: Record<string, { p95: number; statements: number }> = {}
  for (const [k, fn] of Object.entries(cases)) {
    captured.length = 0
    await fn()
    const statements = [...captured]
    const sums: number[] = []
    for (let i = 0; i < Math.min(runs, 20); i++) {
      let sum = 0
      for (const st of statements) {
        const [plan] = await raw.unsafe(`explain (analyze, format json) ${st.text}`, st.params as never[])
        const p = (plan as Record<string, Array<{ 'Planning Time': number; 'Execution Time': number }>>)[
          'QUERY PLAN'
        ]?.[0]
        sum += (p?.['Planning Time'] ?? 0) + (p?.['Execution Time'] ?? 0)
      }
      sums.push(sum)
    }
    server[k] = { p95: percentile(sums, 95), statements: statements.length }
  }
  session.client = client
  if (process.env.SALES_BENCH_PLANS) {
    for (const [k, fn] of Object.entries(cases)) {
      captured.length = 0
      session.client = new Proxy(client, {
        get(target, key, receiver) {
          if (key === 'unsafe')
            return (text: string, params?: unknown[], options?: unknown) => {
              captured.push({ text, params: params ?? [] })
              return target.unsafe(text, params, options)
            }
          return Reflect.get(target, key, receiver)
        },
      })
      await fn()
      session.client = client
      for (const st of captured) {
        const plan = await raw.unsafe(`explain (analyze, buffers) ${st.text}`, st.params as never[])
        console.log(`\n-- ${k}\n${st.text}\n${plan.map((r) => Object.values(r)[0]).join('\n')}`)
      }
    }
  }

  // The nightly jobs, each watched by a sampler that reads every 10 ms how long each open transaction of
  // this database has been running (pg_stat_activity): the longest is the longest any lock was held.
  const watchTransactions = () => {
    const seen = new Map<string, number>()
    let stop = false
    const dbName = new URL(dbUrl).pathname.slice(1)
    const loop = (async () => {
      while (!stop) {
        const rows = await raw<Array<{ pid: number; xs: string; ms: number }>>`
          select pid, xact_start::text as xs, extract(epoch from clock_timestamp() - xact_start) * 1000 as ms
          from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid() and xact_start is not null`
        for (const r of rows) {
          const key = `${r.pid}@${r.xs}`
          seen.set(key, Math.max(seen.get(key) ?? 0, Number(r.ms)))
        }
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    return async () => {
      stop = true
      await loop
      return { transactions: seen.size, longestMs: Math.max(0, ...seen.values()) }
    }
  }
  const job = async <T>(fn: () => Promise<T>) => {
    const done = watchTransactions()
    const s = performance.now()
    const out = await fn()
    const ms = performance.now() - s
    return { out, ms, tx: await done() }
  }
  if (process.env.SALES_BENCH_SKIP_JOBS) {
    table(
      Object.entries(results).map(([k, v]) => ({
        case: k,
        p50: fmt(percentile(v, 50)),
        p95: fmt(percentile(v, 95)),
        'server p95': server[k] ? `${fmt(server[k].p95, 2)} (${server[k].statements} stmts)` : '-',
        'node cpu': fmt(cpuMs[k] ?? Number.NaN, 2),
      })),
    )
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores`,
    )
    process.exit(0)
  }
  const overdue = await job(() => scanOverdue({ ctx: sys }))
  const rfm = await job(() => assessCustomerValues({ ctx: sys }))
  const win = await job(() => refreshWinProbabilities({ ctx: sys }))
  table([
    ...Object.entries(results).map(([k, v]) => ({
      case: k,
      p50: fmt(percentile(v, 50)),
      p95: fmt(percentile(v, 95)),
      'server p95': server[k] ? `${fmt(server[k].p95, 2)} (${server[k].statements} stmts)` : '-',
      'longest tx': '-',
    })),
    ...[
      [`overdue scan (${overdue.out.found} found)`, overdue],
      [`RFM tiers (${rfm.out.assessed} customers)`, rfm],
      [`win-probability refresh (${win.out.closed} closed, ${win.out.updated} open)`, win],
    ].map(([label, j]) => {
      const r = j as typeof overdue
      return {
        case: label as string,
        p50: fmt(r.ms),
        p95: '-',
        'server p95': '-',
        'longest tx': `${fmt(r.tx.longestMs)} ms of ${r.tx.transactions}`,
      }
    }),
  ])
  console.log(
    `scale ${scale}: customers ${nCustomers}, deals ${nDeals}, contracts ${nContracts}, instalments ${3 * nContracts}, payments ${nPayments} (+ a hub customer with 100 of each); ${runs} runs per case; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores${reused ? `; reused ${keepName}` : ''}`,
  )
  console.log(
    `BENCH sales seed ${fmt(seedMs / 1000)} s for ${nCustomers + nDeals + 4 * nContracts + nPayments} rows target - scale ${scale}${reused ? ' (seeded on an earlier run)' : ''}`,
  )
  // p95 against the issue's target, against the round-trip floor (stabler on a busy machine), and the
  // server's own time for the case's statements (does not depend on the client's load).
  const floor = percentile(results['baseline: select 1'] ?? [], 95)
  const targets: Array<[string, string, number]> = [
    ['opportunity_list', 'opportunity list (filters, sort)', 20],
    ['opportunity_list_owner', 'opportunity list (owner, amount sort)', 20],
    ['forecast_month_department', 'forecast by month (department)', 50],
    ['customer_card', 'customer card with sales sections', 30],
  ]
  for (const [name, key, target] of targets) {
    const p95 = percentile(results[key] ?? [], 95)
    console.log(
      `BENCH sales ${name}_p95 ${fmt(p95)} ms target ${target} baseline ${fmt(floor, 2)} (select 1) ratio ${fmt(p95 / floor)} scale ${scale}`,
    )
    console.log(
      `BENCH sales ${name}_server_p95 ${fmt(server[key]?.p95 ?? Number.NaN, 2)} ms target ${target} statements ${server[key]?.statements} scale ${scale}`,
    )
    console.log(
      `BENCH sales ${name}_node_cpu ${fmt(cpuMs[key] ?? Number.NaN, 2)} ms target - per call scale ${scale}`,
    )
  }
  for (const [name, r, what] of [
    ['overdue_scan', overdue, `${overdue.out.found} instalments`],
    ['rfm_tiers', rfm, `${rfm.out.assessed} customers`],
    ['win_refresh', win, `${win.out.updated} open deals, learned ${win.out.learned}`],
  ] as const) {
    console.log(`BENCH sales ${name} ${fmt(r.ms, 0)} ms target 60000 for ${what} scale ${scale}`)
    console.log(
      `BENCH sales ${name}_longest_tx ${fmt(r.tx.longestMs, 0)} ms target 1000 over ${r.tx.transactions} transactions scale ${scale}`,
    )
  }
} finally {
  await raw.end({ timeout: 5 })
  await drop()
  if (keepName) console.log(`kept ${keepName}`)
}
