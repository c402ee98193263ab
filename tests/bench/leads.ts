/**
 * Leads bench (`npm run bench -- leads`): on PostgreSQL, in a bench database it creates and drops.
 * Bulk-loads LEADS_BENCH_LEADS leads over two years (default 1,000,000) across LEADS_BENCH_CHANNELS channels
 * (40) and LEADS_BENCH_CAMPAIGNS campaigns (400) with monthly costs, LEADS_BENCH_CUSTOMERS customers (200,000)
 * and their rollups, then measures:
 *  - intake through the signed endpoint over HTTP (LEADS_BENCH_INTAKE pushes, LEADS_BENCH_CONCURRENCY in
 *    flight) with dedupe and assignment — the client is node:http in a worker thread, its CPU reported apart
 *    from the server's (LEADS_BENCH_CLIENT=fetch: fetch in the server's thread, as before); then redelivers every push and checks that no lead was duplicated and
 *    that every new lead has its assignee card queued; the same for LEADS_BENCH_INTAKE more leads pushed as
 *    JSON arrays of LEADS_BENCH_PER_PUSH (50) leads, signed once per push;
 *  - the channel analysis API (rollup) p95 for random periods, beside the naive GROUP BY over the raw leads
 *    (after LEADS_BENCH_WARMUP untimed calls per caller, default 5);
 *  - the dedupe check on intake (same person among leads, matching customer) p95.
 * Targets: ≥ 1,000 leads/s, analysis p95 ≤ 50 ms, dedupe p95 ≤ 5 ms.
 * Prints `BENCH leads <measure> <value> <unit> target <t> baseline <b> ratio <r>` lines, each beside its
 * baseline: intake against the same endpoint one push at a time (no group commit possible), the analysis
 * against the naive GROUP BY over the raw leads, the dedupe check against a primary-key lookup (one round
 * trip's floor). Statements per lead are counted on the wire (postgres.js debug hook).
 *
 * LEADS_BENCH_ONLY=intake times the intake alone. LEADS_BENCH_KEEP=1 keeps the database and prints its URL; LEADS_BENCH_URL=<that url> re-times a kept
 * database without seeding it (migrated first, so a newer branch's tables are there): the intake pushes new
 * source lead ids (the next free block of 100,000 above the earlier runs'), the checks count this run's leads
 * and cards only. The analysis periods are relative to now, so a database kept for days reads older ones.
 */
import { createHmac } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { Worker } from 'node:worker_threads'
import { serve } from '@hono/node-server'
import { and, count, eq, type SQL, sql } from 'drizzle-orm'
import postgres from 'postgres'
import type { ServiceContext } from '../../bot/domain/context'
import { normaliseCompanyName } from '../../bot/domain/crm/search-text'
import {
  createAssignmentRule,
  createCampaign,
  createChannel,
  LEAD_NOTIFY,
  listChannels,
  rotateChannelSecret,
} from '../../bot/domain/leads'
import { rawChannelCounts } from '../../bot/domain/leads/analyse-channels'
import { findMatchingCustomers, findSameLeads } from '../../bot/domain/leads/find-lead-duplicates'
import { normaliseContact } from '../../bot/domain/leads/normalise'
import { chinaDay, rebuildRollups } from '../../bot/domain/leads/rollup'
import { newId } from '../../bot/lib/ids'
import { installSecretKeys, parseEncryptionKeys } from '../../bot/lib/secret-box'
import { signToken } from '../../bot/lib/session-token'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { openPostgres } from '../../db/postgres'
import { leadCampaignCosts, leads, outbox } from '../../db/schema'
import { demoOrg } from '../../db/seed/demo'
import { seedOrg } from '../../db/seed/org'
import { TEST_ENCRYPTION_KEYS, TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { createBenchDatabase } from './bench-db'
import { fmt, percentile, table } from './stats'

const N_LEADS = Number(process.env.LEADS_BENCH_LEADS ?? 1_000_000)
const N_CUSTOMERS = Number(process.env.LEADS_BENCH_CUSTOMERS ?? 200_000)
const N_CHANNELS = Number(process.env.LEADS_BENCH_CHANNELS ?? 40)
const N_CAMPAIGNS = Number(process.env.LEADS_BENCH_CAMPAIGNS ?? 400)
const N_INTAKE = Number(process.env.LEADS_BENCH_INTAKE ?? 20_000)
const CONCURRENCY = Number(process.env.LEADS_BENCH_CONCURRENCY ?? 32)
/** Leads per signed push in the array-push measure (the endpoint takes up to 500). */
const PER_PUSH = Number(process.env.LEADS_BENCH_PER_PUSH ?? 50)
const RUNS = Number(process.env.LEADS_BENCH_RUNS ?? 100)
/** Untimed analysis calls per caller before its timed runs (JIT warm-up: the first calls cost twice the CPU). */
const WARMUP = Number(process.env.LEADS_BENCH_WARMUP ?? 5)
/** `http` (default): node:http in a worker thread; `fetch`: fetch in the server's thread (the old client). */
const CLIENT = process.env.LEADS_BENCH_CLIENT === 'fetch' ? 'fetch' : 'http'
const DAY = 86_400_000
const silent = { debug() {}, info() {}, warn() {}, error() {} }
/** A kept database to re-time (LEADS_BENCH_KEEP printed it): no seeding. */
const KEPT_URL = process.env.LEADS_BENCH_URL
/** LEADS_BENCH_ONLY=intake: the intake measures alone (no analysis nor dedupe timing). */
const INTAKE_ONLY = process.env.LEADS_BENCH_ONLY === 'intake'

/** The kept database (migrated) and what the seeding run made in it: the bench tenant, its people, channels and campaigns. */
async function openKept(url: string, max: number) {
  const database = await openDatabase({ url, max })
  await migrateDatabase(database)
  const [tenant] = await database.rows<{ id: string }>(sql`select id from tenants where name = 'bench'`)
  if (!tenant) throw new Error(`no bench tenant in ${url}`)
  const people = await database.rows<{ key: string; user_id: string }>(
    sql`select platform_user_id as key, user_id from user_identities where tenant_id = ${tenant.id}`,
  )
  const campaigns = await database.rows<{ id: string }>(
    sql`select id from crm_lead_campaigns where tenant_id = ${tenant.id} and name like '活动%' order by created_at, id`,
  )
  // The highest intake number an earlier run pushed (phone 177 + 8 digits, arrays from 10,000,000 on).
  const [top] = await database.rows<{ n: number | null }>(sql`
    select max(substr(phone, 4)::int % 10000000) as n from crm_leads
    where tenant_id = ${tenant.id} and phone like '177%' and length(phone) = 11`)
  return {
    database,
    org: { tenantId: tenant.id, users: Object.fromEntries(people.map((p) => [p.key, p.user_id])) },
    campaignIds: campaigns.map((c) => c.id),
    base: top?.n == null ? 0 : (Math.floor(Number(top.n) / 100_000) + 1) * 100_000,
  }
}

/** EXPLAIN ANALYZE of each SELECT sent: server execution ms (plans printed with LEADS_BENCH_EXPLAIN). */
async function explainAll(url: string, sent: Array<{ text: string; parameters: unknown[] }>) {
  const direct = postgres(url, { max: 1, onnotice: () => {} })
  const ms: number[] = []
  try {
    // As the analysis runs them: no parallel workers (the API sets this in its transaction).
    await direct.unsafe('set max_parallel_workers_per_gather = 0')
    for (const q of sent) {
      // (a leading comment: the analysis's statement is marked to run unnamed)
      if (!/^\s*(\/\*.*?\*\/\s*)?(select|with|\()/i.test(q.text)) continue
      const [plan] = await direct.unsafe(`explain (analyze, format json) ${q.text}`, q.parameters as never[])
      const top = (plan?.['QUERY PLAN'] as Array<{ 'Execution Time': number }> | undefined)?.[0]
      const exec = Number(top?.['Execution Time'])
      ms.push(exec)
      if (process.env.LEADS_BENCH_EXPLAIN) {
        console.log(`${fmt(exec)} ms  ${q.text.replace(/\s+/g, ' ').slice(0, 200)}`)
        if (exec > 2) {
          const text = await direct.unsafe(`explain (analyze) ${q.text}`, q.parameters as never[])
          for (const r of text) console.log(`    ${r['QUERY PLAN']}`)
        }
      }
    }
  } finally {
    await direct.end()
  }
  return ms
}

/** This process's threads (Linux). */
const threadIds = (): string[] => readdirSync('/proc/self/task')
/** CPU ms (user + system) the given threads of this process have used so far (/proc, 10 ms ticks). */
function threadCpuMs(tids: string[]): number {
  let ticks = 0
  for (const t of tids) {
    try {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      ticks += Number(f[11]) + Number(f[12])
    } catch {}
  }
  return ticks * 10
}

/**
 * The intake client in a worker thread (plain JS, so no loader): node:http over kept-alive sockets with
 * bodies built before the timed runs, signed per push (a fresh timestamp and nonce, as a sender would). Its
 * own thread keeps its CPU out of the server's event loop, and its thread's CPU time (/proc) is the client's share.
 */
const CLIENT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { Agent, request } = require('node:http')
const { createHmac } = require('node:crypto')
const { url, secret, concurrency } = workerData
const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
const target = new URL(url)
const bodies = new Map()
const leadOf = (i) => ({ sourceLeadId: 'src-' + i, name: '进线' + i, phone: '177' + String(i).padStart(8, '0'), company: '进线公司' + i })
const bodyOf = (i, n) => {
  const key = i + ':' + n
  let b = bodies.get(key)
  if (!b) {
    b = Buffer.from(JSON.stringify(n > 0 ? Array.from({ length: n }, (_, k) => leadOf(i + k)) : leadOf(i)))
    bodies.set(key, b)
  }
  return b
}
const push = (i, n) => new Promise((resolve, reject) => {
  const body = bodyOf(i, n)
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = 'bench' + String(i).padStart(12, '0') + Math.random().toString(36).slice(2, 8)
  const sig = createHmac('sha256', secret).update(ts + '.' + nonce + '.').update(body).digest('hex')
  const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-flowcard-timestamp': ts,
      'x-flowcard-nonce': nonce, 'x-flowcard-signature': 'v1=' + sig } }, (res) => {
    const chunks = []
    res.on('data', (c) => chunks.push(c))
    res.on('end', () => res.statusCode === 201 || res.statusCode === 200 ? resolve()
      : reject(new Error('intake ' + res.statusCode + ' ' + Buffer.concat(chunks).toString())))
  })
  req.on('error', reject)
  req.end(body)
})
const ranges = (from, to, perPush) => { const out = []; for (let i = from; i < to; i += Math.max(1, perPush)) out.push([i, perPush > 0 ? Math.min(perPush, to - i) : 0]); return out }
parentPort.on('message', async ({ id, op, from, to, concurrency: c, perPush }) => {
  try {
    const work = ranges(from, to, perPush)
    if (op === 'prepare') for (const [i, n] of work) bodyOf(i, n)
    else {
      let next = 0
      await Promise.all(Array.from({ length: c }, async () => { while (next < work.length) { const [i, n] = work[next++]; await push(i, n) } }))
    }
    parentPort.postMessage({ id })
  } catch (err) { parentPort.postMessage({ id, error: String(err && err.stack || err) }) }
})
`

async function main() {
  // Channel intake secrets are sealed at rest: the bench process needs a keyring like the app at boot.
  const ring = parseEncryptionKeys(TEST_ENCRYPTION_KEYS)
  if (typeof ring === 'string') throw new Error(ring)
  installSecretKeys(ring)
  const kept = KEPT_URL ? await openKept(KEPT_URL, CONCURRENCY + 4) : null
  const bench: { database: Database; url: string; drop(): Promise<void>; keep(): Promise<void> } = kept
    ? {
        database: kept.database,
        url: KEPT_URL ?? '',
        drop: () => kept.database.close(),
        keep: () => kept.database.close(),
      }
    : await createBenchDatabase('leads', CONCURRENCY + 4)
  const { database } = bench
  // Intake numbers of this run start here (a kept database holds the earlier runs' pushes).
  const B = kept?.base ?? 0
  if (N_INTAKE + 200 > 100_000 || B + 10_000_000 + N_INTAKE >= 100_000_000)
    throw new Error(
      'intake numbers out of range: LEADS_BENCH_INTAKE ≤ 99,800, ≤ 89 re-timings of one database',
    )
  try {
    const org =
      kept?.org ??
      (await database.db.transaction((tx) =>
        seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: newId('tk') }),
      ))
    const ctx: ServiceContext = {
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: org.users.wangjianguo ?? '', via: 'api' },
      db: database.db,
      clock: { now: () => new Date() },
      logger: silent,
    }
    if (!kept)
      for (let i = (await listChannels({ ctx })).length; i < N_CHANNELS; i++)
        await createChannel({ ctx, input: { name: `渠道${i}` } })
    const channels = await listChannels({ ctx })
    const campaignIds: string[] = kept?.campaignIds ?? []
    for (let i = campaignIds.length; i < N_CAMPAIGNS; i++) {
      const c = await createCampaign({
        ctx,
        input: { channelId: channels[i % channels.length]?.id ?? '', name: `活动${i}` },
      })
      campaignIds.push(c.id)
    }
    const now = Date.now()
    const reps = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin'].map(
      (k) => org.users[k] ?? '',
    )
    let t0 = performance.now()
    if (!kept) {
      const months: string[] = []
      for (let m = 0; m < 25; m++) {
        const d = new Date(now - m * 30 * DAY)
        months.push(`${d.toISOString().slice(0, 7)}-01`)
      }
      for (let i = 0; i < campaignIds.length; i += 50) {
        await database.db
          .insert(leadCampaignCosts)
          .values(
            campaignIds.slice(i, i + 50).flatMap((id) =>
              [...new Set(months)].map((month) => ({
                tenantId: org.tenantId,
                campaignId: id,
                month,
                amountCents: 100_000 + (month.charCodeAt(6) % 7) * 10_000,
              })),
            ),
          )
          .onConflictDoNothing()
      }
      // Set-based seeding (INSERT … SELECT generate_series): the full sizes load in minutes, not hours. Each
      // statement runs without the app's 15 s statement timeout (a loaded machine needs longer at 1M rows).
      const seed = (q: SQL) =>
        database.db.transaction(async (tx) => {
          await tx.execute(sql`set local statement_timeout = 0`)
          await tx.execute(q)
        })
      const t = org.tenantId
      const repArray = sql.raw(`array[${reps.map((r) => `'${r}'`).join(',')}]::text[]`)
      const channelArray = sql.raw(`array[${channels.map((c) => `'${c.id}'`).join(',')}]::text[]`)
      const campaignArray = sql.raw(`array[${campaignIds.map((c) => `'${c}'`).join(',')}]::text[]`)
      // The customer's name key as the app computes it (normaliseCompanyName), with the number spliced in.
      const [normHead = '', normTail = ''] =
        normaliseCompanyName('客户7777777号科技有限公司').split('7777777')
      await seed(sql`
        insert into crm_customers (id, tenant_id, name, name_norm, phone, owner_id, search_text)
        select 'cus_b' || i, ${t}, '客户' || i || '号科技有限公司', ${normHead} || i || ${normTail},
          '186' || lpad(i::text, 8, '0'), (${repArray})[1 + i % ${reps.length}], '客户' || i || '号科技有限公司'
        from generate_series(0, ${N_CUSTOMERS - 1}) i`)
      await seed(sql`
        insert into crm_contacts (id, tenant_id, customer_id, name, phone, email)
        select 'con_b' || i, ${t}, 'cus_b' || i, '联系人' || i, '185' || lpad(i::text, 8, '0'), 'C' || i || '@Cust.cn'
        from generate_series(0, ${N_CUSTOMERS - 1}) i`)
      const customersS = (performance.now() - t0) / 1000
      // Lead k: created (k·7919 mod 2 years) seconds ago; status k mod 5; pool every 10th; no campaign every 3rd.
      await seed(sql`
        insert into crm_leads (id, tenant_id, name, company, company_norm, phone_raw, phone, phone_valid, email,
          email_raw, email_valid, status, owner_id, channel_id, campaign_id, first_contacted_at, converted_at,
          sla_state, created_at, updated_at)
        select 'lea_b' || lpad(k::text, 8, '0'), ${t}, '线索' || k, '公司' || k, '公司' || k,
          '139' || lpad(k::text, 8, '0'), '139' || lpad(k::text, 8, '0'), true, 'l' || k || '@bench.cn',
          'l' || k || '@bench.cn', true, st, case when k % 10 = 0 then null else (${repArray})[1 + k % ${reps.length}] end,
          (${channelArray})[1 + k % ${channels.length}],
          case when k % 3 = 0 then null else (${campaignArray})[1 + k % ${campaignIds.length}] end,
          case when st = 'new' then null else c + ((k % 240) + 5) * interval '1 minute' end,
          case when st = 'converted' then c + ((k % 30) + 1) * interval '1 day' end,
          (case when k % 7 = 0 then 'breached' else 'met' end)::crm_lead_sla_state, c, c
        from (select k, to_timestamp(${Math.floor(now / 1000)} - (k::bigint * 7919) % (730 * 86400)) as c,
                (array['new','contacted','qualified','converted','invalid'])[1 + k % 5]::crm_lead_status as st
              from generate_series(0, ${N_LEADS - 1}) k) s`)
      const leadsS = (performance.now() - t0) / 1000 - customersS
      // The rollups of the bulk-loaded leads, computed once by the statements a zone change runs.
      const r0 = performance.now()
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`set local statement_timeout = 0`)
        await rebuildRollups({ ...ctx, db: tx })
      })
      const rollupS = (performance.now() - r0) / 1000
      // Vacuum too, as autovacuum would after a load: the visibility map lets the covering indexes answer
      // without heap fetches.
      const direct = postgres(bench.url, { max: 1, onnotice: () => {} })
      await direct.unsafe('vacuum analyze')
      await direct.end()
      const seedS = (performance.now() - t0) / 1000
      console.log(
        `seeded ${N_LEADS} leads, ${N_CUSTOMERS} customers (+ contacts, rollup, analyze) in ${fmt(seedS)} s (customers ${fmt(customersS)} s)`,
      )
      console.log(`BENCH leads seed_seconds ${fmt(seedS)} s target n/a`)
      console.log(
        `BENCH leads bulk_insert_leads_seconds ${fmt(leadsS)} s target n/a (${N_LEADS} leads, one INSERT … SELECT; rollup rebuild ${fmt(rollupS)} s)`,
      )
    }

    // Intake through the signed endpoint.
    const target = channels[1] ?? channels[0]
    if (!target) throw new Error('no channel')
    // Every person of the org at the highest capacity (a daily quota of 3,333 each): a run pushes up to
    // 2 × LEADS_BENCH_INTAKE + 200 leads, and a kept database is re-timed several times a day (the day's
    // counter is cleared before each timed phase: the quota is not what is measured).
    const members = Object.values(org.users).map((userId) => ({ userId, capacity: 100_000 }))
    if (!kept)
      await createAssignmentRule({
        ctx,
        input: { name: 'bench', match: { channelIds: [target.id] }, members },
      })
    else
      await database.db.execute(
        sql`update crm_lead_assignment_rules set members = ${JSON.stringify(members)}::jsonb
          where tenant_id = ${org.tenantId} and name = 'bench'`,
      )
    const freshQuota = () =>
      database.db.execute(sql`delete from crm_lead_rule_usage where tenant_id = ${org.tenantId}`)
    const { secret } = await rotateChannelSecret({ ctx, channelId: target.id })
    let statements = 0
    let captured: Array<{ text: string; parameters: unknown[] }> | null = null
    const counted = openPostgres(bench.url, {
      max: CONCURRENCY + 4,
      onStatement: (text, parameters) => {
        statements++
        captured?.push({ text, parameters })
      },
    })
    const { app } = testApp(counted)
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/intake/${target.intakeKey}`
    const leadOf = (i: number) => ({
      sourceLeadId: `src-${i}`,
      name: `进线${i}`,
      phone: `177${String(i).padStart(8, '0')}`,
      company: `进线公司${i}`,
    })
    const pushOne = async (i: number, n = 0) => {
      // n > 0: an array of the n leads from i on, in one signed push.
      const body = JSON.stringify(n > 0 ? Array.from({ length: n }, (_, k) => leadOf(i + k)) : leadOf(i))
      const ts = String(Math.floor(Date.now() / 1000))
      const nonce = `bench${String(i).padStart(12, '0')}${Math.random().toString(36).slice(2, 8)}`
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-flowcard-timestamp': ts,
          'x-flowcard-nonce': nonce,
          // The sender's side signs with node:crypto (synchronous): the bench measures the receiver.
          'x-flowcard-signature': `v1=${createHmac('sha256', secret).update(`${ts}.${nonce}.${body}`).digest('hex')}`,
        },
        body,
      })
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`intake ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
    }
    const runFetch = async (from: number, to: number, concurrency: number, perPush = 0) => {
      let next = from
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < to) {
            const i = next
            next += Math.max(1, perPush)
            await pushOne(i, perPush > 0 ? Math.min(perPush, to - i) : 0)
          }
        }),
      )
    }
    const before = new Set(threadIds())
    const worker =
      CLIENT === 'http'
        ? new Worker(CLIENT_SOURCE, { eval: true, workerData: { url, secret, concurrency: CONCURRENCY } })
        : null
    if (worker) await new Promise((resolve) => worker.once('online', resolve))
    // The threads that came with the worker: its own (the client's CPU is read from them).
    const clientThreads = threadIds().filter((t) => !before.has(t))
    let asked = 0
    const ask = (msg: Record<string, unknown>) =>
      new Promise<void>((resolve, reject) => {
        if (!worker) return resolve()
        const id = ++asked
        const on = (m: { id: number; error?: string }) => {
          if (m.id !== id) return
          worker.off('message', on)
          if (m.error) reject(new Error(m.error))
          else resolve()
        }
        worker.on('message', on)
        worker.postMessage({ ...msg, id })
      })
    const run = (from: number, to: number, concurrency: number, perPush = 0) =>
      worker ? ask({ op: 'run', from, to, concurrency, perPush }) : runFetch(from, to, concurrency, perPush)
    /** CPU ms of the client's thread so far (0 for the fetch client, which shares the server's thread). */
    const clientBusyMs = () => (worker ? threadCpuMs(clientThreads) : 0)
    // The bodies, built before anything is timed.
    await ask({
      op: 'prepare',
      from: B,
      to: B + N_INTAKE + Math.min(200, Math.max(20, Math.floor(N_INTAKE / 20))),
      perPush: 0,
    })
    await ask({ op: 'prepare', from: B + 10_000_000, to: B + 10_000_000 + N_INTAKE, perPush: PER_PUSH })
    // Leads pushed and cards queued before this run (a kept database holds earlier runs'): the checks count the difference.
    const intakeCounts = async () => {
      const [m] = await database.db
        .select({ n: count() })
        .from(leads)
        .where(and(eq(leads.tenantId, org.tenantId), sql`${leads.name} like '进线%'`))
      const [c] = await database.db
        .select({ n: count() })
        .from(outbox)
        .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
      return { made: m?.n ?? 0, cards: c?.n ?? 0 }
    }
    const intakeBefore = await intakeCounts()
    // Baseline: the same endpoint one push at a time, so every lead has a transaction of its own.
    const N_SINGLE = Math.min(200, Math.max(20, Math.floor(N_INTAKE / 20)))
    await freshQuota()
    let s0 = statements
    t0 = performance.now()
    await run(B + N_INTAKE, B + N_INTAKE + N_SINGLE, 1)
    const singleRate = N_SINGLE / ((performance.now() - t0) / 1000)
    const singleStatements = (statements - s0) / N_SINGLE
    await freshQuota()
    s0 = statements
    t0 = performance.now()
    const cpu0 = process.cpuUsage()
    const busy0 = clientBusyMs()
    await run(B, B + N_INTAKE, CONCURRENCY)
    const intakeS = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    // Node CPU (server and the HTTP client in this process) per lead: the load-independent share of a lead;
    // the client's share is its thread's busy time (the fetch client shares the server's thread: not split).
    const cpuMsPerLead = (cpu.user + cpu.system) / 1000 / N_INTAKE
    const clientMsPerLead = (clientBusyMs() - busy0) / N_INTAKE
    const batchStatements = (statements - s0) / N_INTAKE
    t0 = performance.now()
    await run(B, B + N_INTAKE, CONCURRENCY)
    const redeliverS = (performance.now() - t0) / 1000
    // Array pushes: N_INTAKE more leads, PER_PUSH to a signed push, fewer in flight (each carries many).
    const ARRAY_FROM = B + 10_000_000
    const arrayConcurrency = Math.max(1, Math.min(CONCURRENCY, 4))
    await freshQuota()
    s0 = statements
    t0 = performance.now()
    const acpu0 = process.cpuUsage()
    const abusy0 = clientBusyMs()
    await run(ARRAY_FROM, ARRAY_FROM + N_INTAKE, arrayConcurrency, PER_PUSH)
    const arrayS = (performance.now() - t0) / 1000
    const acpu = process.cpuUsage(acpu0)
    const arrayCpuMsPerLead = (acpu.user + acpu.system) / 1000 / N_INTAKE
    const arrayClientMsPerLead = (clientBusyMs() - abusy0) / N_INTAKE
    const arrayStatements = (statements - s0) / N_INTAKE
    t0 = performance.now()
    await run(ARRAY_FROM, ARRAY_FROM + N_INTAKE, arrayConcurrency, PER_PUSH)
    const arrayRedeliverS = (performance.now() - t0) / 1000
    const after = await intakeCounts()
    const made = { n: after.made - intakeBefore.made }
    const cards = { n: after.cards - intakeBefore.cards }
    await worker?.terminate()
    server.close()
    if (INTAKE_ONLY) {
      console.log(
        `BENCH leads intake_leads_per_s ${fmt(N_INTAKE / intakeS)} leads/s target >=1000 (single pushes, ${CONCURRENCY} in flight; one at a time ${fmt(singleRate)})`,
      )
      console.log(
        `BENCH leads intake_node_cpu_ms_per_lead ${fmt(cpuMsPerLead, 2)} ms target n/a (server ~${fmt(cpuMsPerLead - clientMsPerLead, 2)}, client thread ${fmt(clientMsPerLead, 2)} CPU; ${fmt(batchStatements, 2)} statements a lead, ${fmt(singleStatements, 1)} one at a time)`,
      )
      console.log(
        `BENCH leads intake_array_leads_per_s ${fmt(N_INTAKE / arrayS)} leads/s target >=1000 (server ~${fmt(arrayCpuMsPerLead - arrayClientMsPerLead, 2)} ms CPU a lead, ${fmt(arrayStatements, 2)} statements a lead)`,
      )
      console.log(
        `leads created ${made.n} (pushed ${2 * N_INTAKE + N_SINGLE}), cards ${cards.n}; redelivery ${fmt(N_INTAKE / redeliverS)} pushes/s, arrays ${fmt(N_INTAKE / arrayRedeliverS)} leads/s`,
      )
      await counted.close()
      if (made.n !== 2 * N_INTAKE + N_SINGLE || cards.n !== 2 * N_INTAKE + N_SINGLE)
        throw new Error('duplicates, losses or missing cards across redelivery')
      return
    }

    // Channel analysis: API (rollup) vs the raw GROUP BY, for everyone's figures (admin), a department
    // manager's (their team's leads) and a rep's (own leads), by channel and by campaign.
    const sessionOf = async (key: string) =>
      `Bearer ${await signToken(TEST_SESSION_SECRET, {
        k: 'session',
        t: org.tenantId,
        u: org.users[key] ?? '',
        p: 'devchat',
        j: newId('j'),
        exp: Math.floor(Date.now() / 1000) + 3600,
      })}`
    const token = (await sessionOf('wangjianguo')).slice('Bearer '.length)
    // cpu: Node CPU ms (user + system) of the API calls, per call: the load-independent share of a request.
    const callers: Array<{ key: string; api: number[]; raw: number[]; cpu: number }> = [
      { key: 'wangjianguo', api: [], raw: [], cpu: 0 },
      { key: 'zhangwei', api: [], raw: [], cpu: 0 },
      { key: 'liuyang', api: [], raw: [], cpu: 0 },
    ]
    for (const c of callers) {
      const auth = await sessionOf(c.key)
      const who: ServiceContext = {
        ...ctx,
        actor: { kind: 'user', userId: org.users[c.key] ?? '', via: 'api' },
      }
      for (let r = 0; r < WARMUP; r++) {
        const res = await app.request(
          `/api/v1/crm/channels/analysis?from=${chinaDay(new Date(now - (90 + r * 7) * DAY))}&to=${chinaDay(new Date(now - r * 7 * DAY))}&by=${r % 2 ? 'campaign' : 'channel'}`,
          { headers: { authorization: auth } },
        )
        if (res.status !== 200) throw new Error(`analysis ${res.status} ${await res.text()}`)
        await res.json()
      }
      for (let r = 0; r < RUNS; r++) {
        const to = chinaDay(new Date(now - ((r * 13) % 300) * DAY))
        const from = chinaDay(new Date(now - (((r * 13) % 300) + 30 + (r % 5) * 60) * DAY))
        const by = r % 2 ? 'campaign' : 'channel'
        const c0 = process.cpuUsage()
        let s = performance.now()
        const res = await app.request(`/api/v1/crm/channels/analysis?from=${from}&to=${to}&by=${by}`, {
          headers: { authorization: auth },
        })
        if (res.status !== 200) throw new Error(`analysis ${res.status} ${await res.text()}`)
        await res.json()
        c.api.push(performance.now() - s)
        const cu = process.cpuUsage(c0)
        c.cpu += (cu.user + cu.system) / 1000
        if (r < Math.min(RUNS, 20)) {
          s = performance.now()
          // The reference may run past the app's 15 s statement timeout at 1M on a loaded machine.
          await database.db.transaction(async (tx) => {
            await tx.execute(sql`set local statement_timeout = 0`)
            await rawChannelCounts({ ctx: { ...who, db: tx }, input: { from, to, by } })
          })
          c.raw.push(performance.now() - s)
        }
      }
    }
    const api = callers[0]?.api ?? []
    const raw = callers[0]?.raw ?? []

    // Server time of each statement one analysis sends (EXPLAIN ANALYZE: load-independent evidence), for a
    // period inside one month, one across two month edges and a half year.
    const explained: Array<{ period: string; ms: number[] }> = []
    for (const [back, days] of [
      [40, 20],
      [45, 40],
      [20, 180],
    ] as const) {
      const to = chinaDay(new Date(now - back * DAY))
      const from = chinaDay(new Date(now - (back + days) * DAY))
      captured = []
      const res = await app.request(`/api/v1/crm/channels/analysis?from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      if (res.status !== 200) throw new Error(`analysis ${res.status}`)
      const sent: Array<{ text: string; parameters: unknown[] }> = captured
      captured = null
      const ms = await explainAll(bench.url, sent)
      explained.push({ period: `${from}..${to}`, ms })
    }

    // The same for one dedupe check (the statements intake runs for it).
    captured = []
    const probe = normaliseContact({ phone: '13900000077', email: 'c7@cust.cn', company: '客户77号科技' })
    await counted.db.transaction(async (tx) => {
      await findSameLeads({ ...ctx, db: tx }, [probe])
      await findMatchingCustomers({ ...ctx, db: tx }, [probe])
    })
    const dedupeSent: Array<{ text: string; parameters: unknown[] }> = captured
    captured = null
    const dedupeServer = await explainAll(bench.url, dedupeSent)

    await counted.close()

    // Dedupe check: what intake runs (the same person among leads, a matching customer or contact), beside
    // a primary-key lookup (one round trip, the floor of any check).
    const dd: number[] = []
    const floor: number[] = []
    for (let r = 0; r < RUNS; r++) {
      const c = normaliseContact({
        phone: `139${String((r * 7919) % N_LEADS).padStart(8, '0')}`,
        email: r % 2 ? `x${r}@none.cn` : `c${(r * 31) % Math.max(1, N_CUSTOMERS)}@cust.cn`,
        company: `客户${r * 31}号科技`,
      })
      let s = performance.now()
      await database.db.transaction(async (tx) => {
        const t = { ...ctx, db: tx }
        // As intake sends them: both lookups pipelined in one round trip.
        await Promise.all([findSameLeads(t, [c]), findMatchingCustomers(t, [c])])
      })
      dd.push(performance.now() - s)
      s = performance.now()
      await database.db.transaction(async (tx) => {
        await tx
          .select({ id: leads.id })
          .from(leads)
          .where(eq(leads.id, `lea_none_${r}`))
      })
      floor.push(performance.now() - s)
    }
    table([
      {
        measure: 'intake leads/s (signed HTTP, dedupe + assignment)',
        value: fmt(N_INTAKE / intakeS, 0),
        target: '≥ 1000',
      },
      { measure: 'redelivery pushes/s (all replays)', value: fmt(N_INTAKE / redeliverS, 0), target: '' },
      {
        measure: `intake leads/s (signed arrays of ${PER_PUSH}, ${arrayConcurrency} in flight)`,
        value: fmt(N_INTAKE / arrayS, 0),
        target: '≥ 1000',
      },
      {
        measure: 'array redelivery leads/s (all replays)',
        value: fmt(N_INTAKE / arrayRedeliverS, 0),
        target: '',
      },
      {
        measure: 'leads created (must equal leads pushed)',
        value: made?.n ?? 0,
        target: 2 * N_INTAKE + N_SINGLE,
      },
      { measure: 'assignee cards queued', value: cards?.n ?? 0, target: 2 * N_INTAKE + N_SINGLE },
      { measure: 'analysis API p95 ms (rollup)', value: fmt(percentile(api, 95)), target: '≤ 50' },
      { measure: 'raw GROUP BY p95 ms (reference)', value: fmt(percentile(raw, 95)), target: '' },
      { measure: 'dedupe check p95 ms', value: fmt(percentile(dd, 95)), target: '≤ 5' },
      {
        measure: 'statements per lead (batched / one at a time)',
        value: `${fmt(batchStatements)} / ${fmt(singleStatements)}`,
        target: '',
      },
    ])
    const line = (measure: string, value: number, unit: string, target: string, baseline: number) =>
      console.log(
        `BENCH leads ${measure} ${fmt(value)} ${unit} target ${target} baseline ${fmt(baseline)} ratio ${fmt(value / baseline, 2)}`,
      )
    line('intake_leads_per_s', N_INTAKE / intakeS, 'leads/s', '>=1000', singleRate)
    console.log(
      `BENCH leads intake_node_cpu_ms_per_lead ${fmt(cpuMsPerLead, 2)} ms target n/a (client ${CLIENT}${worker ? `: server ~${fmt(cpuMsPerLead - clientMsPerLead, 2)}, client thread ${fmt(clientMsPerLead, 2)} CPU` : ', same thread'})`,
    )
    line('intake_statements_per_lead', batchStatements, 'statements', 'n/a', singleStatements)
    line('intake_array_leads_per_s', N_INTAKE / arrayS, 'leads/s', '>=1000', singleRate)
    console.log(
      `BENCH leads intake_array_node_cpu_ms_per_lead ${fmt(arrayCpuMsPerLead, 2)} ms target n/a (${PER_PUSH} leads a push, ${fmt(arrayStatements, 2)} statements a lead${worker ? `; server ~${fmt(arrayCpuMsPerLead - arrayClientMsPerLead, 2)}, client thread ${fmt(arrayClientMsPerLead, 2)} CPU` : ''})`,
    )
    for (const c of callers) {
      line(`analysis_p95_${c.key}`, percentile(c.api, 95), 'ms', '<=50', percentile(c.raw, 95))
      console.log(
        `BENCH leads analysis_node_cpu_ms_${c.key} ${fmt(c.cpu / Math.max(1, c.api.length), 2)} ms target n/a`,
      )
    }
    for (const e of explained)
      console.log(
        `BENCH leads analysis_server_ms ${fmt(e.ms.reduce((a, b) => a + b, 0))} ms target n/a (${e.period}: ${e.ms.length} statements, slowest ${fmt(Math.max(...e.ms))} ms)`,
      )
    console.log(
      `BENCH leads dedupe_server_ms ${fmt(dedupeServer.reduce((a, b) => a + b, 0))} ms target n/a (${dedupeServer.map((m) => fmt(m)).join(' + ')})`,
    )
    line('dedupe_p95', percentile(dd, 95), 'ms', '<=5', percentile(floor, 95))
    if ((made?.n ?? 0) !== 2 * N_INTAKE + N_SINGLE || (cards?.n ?? 0) !== 2 * N_INTAKE + N_SINGLE)
      throw new Error('duplicates, losses or missing cards across redelivery')
  } finally {
    // LEADS_BENCH_KEEP=1 leaves the database for EXPLAIN sessions (drop it by hand afterwards).
    if (process.env.LEADS_BENCH_KEEP) {
      console.log(`kept ${bench.url} (re-time it: LEADS_BENCH_URL=${bench.url})`)
      await bench.keep()
    } else await bench.drop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
