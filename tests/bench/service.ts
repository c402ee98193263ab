/**
 * Service bench (`npm run bench -- service`): on PostgreSQL, in a bench database it creates and drops.
 * Bulk-loads SERVICE_BENCH_TICKETS tickets over two years (default 1,000,000; ~8 % open) for
 * SERVICE_BENCH_CUSTOMERS customers (200,000), then measures:
 *  - public intake: the per-device QR form over HTTP (multipart, one photo each, stored through the storage
 *    port's in-memory double), SERVICE_BENCH_INTAKE submissions with SERVICE_BENCH_CONCURRENCY in flight
 *    (client: node:http with a hand-encoded body; SERVICE_BENCH_CLIENT=fetch for fetch + FormData);
 *  - the signed external API: SERVICE_BENCH_EXTERNAL tickets, each delivered twice concurrently → 0 duplicates;
 *  - the ticket list with filters, first page, p95 (as the admin, a service manager and an engineer);
 *  - the SLA scan over all open tickets.
 * Targets: ≥ 500 tickets/s, 0 duplicates, list p95 ≤ 20 ms, SLA scan ≤ 10 s.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { Session } from 'node:inspector/promises'
import { type AddressInfo, Socket } from 'node:net'
import { serve } from '@hono/node-server'
import { and, count, desc, eq, isNotNull, sql } from 'drizzle-orm'
import { registerExternalSystem } from '../../bot/domain/approvals/external/manage-systems'
import type { ServiceContext } from '../../bot/domain/context'
import {
  createDispatchRule,
  createIntakeCode,
  listTickets,
  loadServiceAccess,
  scanServiceSla,
  ticketListInput,
} from '../../bot/domain/service'
import { ticketFilter } from '../../bot/domain/service/list-tickets'
import { newId } from '../../bot/lib/ids'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import { openPostgres } from '../../db/postgres'
import { roles, serviceTickets, userRoles } from '../../db/schema'
import { demoOrg } from '../../db/seed/demo'
import { seedOrg } from '../../db/seed/org'
import { testApp } from '../helpers/app'
import { createBenchDatabase } from './bench-db'
import { fmt, percentile, table } from './stats'

const N_TICKETS = Number(process.env.SERVICE_BENCH_TICKETS ?? 1_000_000)
const N_CUSTOMERS = Number(process.env.SERVICE_BENCH_CUSTOMERS ?? 200_000)
const N_INTAKE = Number(process.env.SERVICE_BENCH_INTAKE ?? 5_000)
const N_EXTERNAL = Number(process.env.SERVICE_BENCH_EXTERNAL ?? 2_000)
const CONCURRENCY = Number(process.env.SERVICE_BENCH_CONCURRENCY ?? 32)
const RUNS = Number(process.env.SERVICE_BENCH_RUNS ?? 100)
const PROFILE = process.env.SERVICE_BENCH_PROFILE === '1'
const CPUPROF = process.env.SERVICE_BENCH_CPUPROF ?? ''
const SERIAL = Number(process.env.SERVICE_BENCH_SERIAL ?? 20)
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(2000).fill(7)])

async function pool(n: number, work: (i: number) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await work(next++)
    }),
  )
}

/** CPU time (ms) the database's backends have used so far (/proc, same machine; exited ones not counted). */
async function pgCpuMs(database: { rows<T>(q: ReturnType<typeof sql>): Promise<T[]> }): Promise<number> {
  const pids = await database.rows<{ pid: number }>(
    sql`select pid from pg_stat_activity where datname = current_database()`,
  )
  let ticks = 0
  for (const { pid } of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      ticks += Number(f[11]) + Number(f[12])
    } catch {}
  }
  return ticks * 10
}

async function main() {
  const bench = await createBenchDatabase('service', CONCURRENCY + 4)
  const { database } = bench
  try {
    const org = await database.db.transaction((tx) =>
      seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: newId('tk') }),
    )
    const as = (key: string): ServiceContext => ({
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: org.users[key] ?? '', via: 'api' },
      db: database.db,
      clock: { now: () => new Date() },
      logger: silent,
    })
    const roleId = newId('rol')
    await database.db.insert(roles).values({
      id: roleId,
      tenantId: org.tenantId,
      key: 'svc',
      name: '客服经理',
      dataScope: 'department_tree',
      permissions: ['service.manage'],
    })
    await database.db
      .insert(userRoles)
      .values({ tenantId: org.tenantId, userId: org.users.zhangwei ?? '', roleId })
    const reps = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin'].map(
      (k) => org.users[k] ?? '',
    )
    let t0 = performance.now()
    const repArray = sql.raw(`array[${reps.map((r) => `'${r}'`).join(',')}]`)
    // One transaction without the pool's statement timeout: a big load outlasts it on a loaded machine.
    // The tickets go through the customer-owner trigger as intake does.
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local statement_timeout = 0`)
      await tx.execute(sql`
        insert into crm_customers (id, tenant_id, name, name_norm, owner_id, address)
        select 'cus_b' || i, ${org.tenantId}, '客户' || i || '号有限公司', '客户' || i || '号', (${repArray})[1 + i % 6],
          (array['上海市','江苏省','浙江省','北京市'])[1 + i % 4]
        from generate_series(1, ${N_CUSTOMERS}) i`)
      await tx.execute(sql`
        insert into service_tickets (id, tenant_id, number, customer_id, channel, type, priority, subject, status, owner_id,
          assigned_at, first_response_due_at, first_responded_at, response_sla, resolution_due_at, resolved_at,
          resolution_sla, status_token, rating, created_at, updated_at)
        select 'tkb_' || lpad(i::text, 8, '0'), ${org.tenantId}, 'GD-B-' || i, 'cus_b' || (1 + i % ${N_CUSTOMERS}),
          (array['chat','phone','miniapp','form','qr','api'])[1 + i % 6]::service_ticket_channel,
          (array['咨询','故障','安装','维修','投诉'])[1 + i % 5],
          (array['low','normal','high','urgent'])[1 + i % 4]::service_ticket_priority,
          '工单' || i,
          (case when i % 12 = 0 then 'in_progress' when i % 25 = 0 then 'assigned' when i % 3 = 0 then 'resolved' else 'closed' end)::service_ticket_status,
          case when i % 50 = 0 then null else (${repArray})[1 + i % 6] end,
          c, c + interval '1 hour', case when i % 12 = 0 then null else c + interval '40 minutes' end,
          (case when i % 12 = 0 then 'pending' when i % 9 = 0 then 'breached' else 'met' end)::service_sla_state,
          c + interval '1 day', case when i % 12 = 0 or i % 25 = 0 then null else c + interval '20 hours' end,
          (case when i % 12 = 0 or i % 25 = 0 then 'pending' when i % 11 = 0 then 'breached' else 'met' end)::service_sla_state,
          md5('t' || i) || md5('u' || i), case when i % 3 = 0 then 1 + i % 5 else null end, c, c
        from (select i, now() - ((i::bigint * 7919) % (730 * 86400)) * interval '1 second' as c
              from generate_series(1, ${N_TICKETS}) i) s`)
    })
    await database.db.execute(sql`analyze`)
    console.log(
      `loaded ${N_TICKETS} tickets, ${N_CUSTOMERS} customers in ${fmt((performance.now() - t0) / 1000)} s`,
    )

    // Public intake over HTTP: the device QR form, multipart with one photo, dispatch rules on.
    await createDispatchRule({
      ctx: as('wangjianguo'),
      input: {
        name: 'bench',
        method: 'least_open',
        members: reps.map((userId) => ({ userId, capacity: 100_000 })),
      },
    })
    const code = await createIntakeCode({
      ctx: as('wangjianguo'),
      input: { label: '设备', customerId: 'cus_b1', deviceLabel: 'SN-1' },
    })
    const storage = createMemoryStorage()
    // Statements on the wire (postgres.js debug hook): per ticket, and by kind with SERVICE_BENCH_PROFILE=1.
    let statements = 0
    const kinds = new Map<string, number>()
    const counted = openPostgres(bench.url, {
      max: CONCURRENCY + 4,
      onStatement: (text) => {
        statements++
        if (PROFILE) {
          const k = text.replace(/\s+/g, ' ').slice(0, 90)
          kinds.set(k, (kinds.get(k) ?? 0) + 1)
        }
      },
    })
    const { app } = testApp(counted, { storage })
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    // The client: node:http over kept-alive sockets with the multipart body encoded by hand (the same parts
    // FormData sends), so the bench process spends its CPU on the server rather than on fetch's streams and
    // Blobs; SERVICE_BENCH_CLIENT=fetch sends with fetch and FormData as before.
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
    const boundary = '----flowcardbench7MA4YWxkTrZu0gW'
    const part = (name: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
    const post = (i: number): Promise<void> => {
      const body = Buffer.concat([
        Buffer.from(
          part('name', `客户${i}`) +
            part('phone', `139${String(i).padStart(8, '0')}`) +
            part('subject', `扫码报修 ${i}`) +
            part('type', '维修') +
            `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.png"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        PNG,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ])
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          `${base}/s/${code.code}`,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': `multipart/form-data; boundary=${boundary}`,
              'content-length': body.length,
              'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
            },
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () =>
              res.statusCode === 303
                ? resolve()
                : reject(new Error(`intake ${res.statusCode} ${Buffer.concat(chunks).toString()}`)),
            )
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    }
    const submit = async (i: number) => {
      if (process.env.SERVICE_BENCH_CLIENT !== 'fetch') return post(i)
      const f = new FormData()
      f.set('name', `客户${i}`)
      f.set('phone', `139${String(i).padStart(8, '0')}`)
      f.set('subject', `扫码报修 ${i}`)
      f.set('type', '维修')
      f.append('photos', new File([PNG], 'p.png'))
      const res = await fetch(`${base}/s/${code.code}`, {
        method: 'POST',
        body: f,
        redirect: 'manual',
        headers: { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
      })
      if (res.status !== 303) throw new Error(`intake ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
    }
    // Round trips of one submission alone (no batching): socket writes to the database, one per flush of
    // pipelined statements, counted over SERIAL submissions one after another.
    const pgPort = Number(new URL(bench.url).port || 5432)
    let pgWrites = 0
    const origWrite = Socket.prototype.write
    Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === pgPort) pgWrites++
      return (origWrite as (...a: unknown[]) => boolean).apply(this, args)
    } as typeof origWrite
    for (let i = 0; i < SERIAL; i++) await submit(N_INTAKE + i)
    // Warmed up (statements prepared on the connection): count the next ones.
    pgWrites = 0
    for (let i = SERIAL; i < 2 * SERIAL; i++) await submit(N_INTAKE + i)
    const serialTrips = pgWrites / SERIAL
    Socket.prototype.write = origWrite
    statements = 0
    kinds.clear()
    // SERVICE_BENCH_CPUPROF=file: a CPU profile of this process (server and bench client) over the intake only.
    const profiler = CPUPROF ? new Session() : null
    if (profiler) {
      profiler.connect()
      await profiler.post('Profiler.enable')
      await profiler.post('Profiler.start')
    }
    const intakeCpu0 = { pg: await pgCpuMs(database), node: process.cpuUsage() }
    t0 = performance.now()
    await pool(N_INTAKE, submit)
    const intakeS = (performance.now() - t0) / 1000
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop')
      writeFileSync(CPUPROF, JSON.stringify(profile))
      profiler.disconnect()
    }
    const nodeCpu = process.cpuUsage(intakeCpu0.node)
    const intakeCpu = {
      pg: ((await pgCpuMs(database)) - intakeCpu0.pg) / N_INTAKE,
      node: (nodeCpu.user + nodeCpu.system) / 1000 / N_INTAKE,
    }
    const intakeStatements = statements / N_INTAKE
    if (PROFILE)
      for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 25))
        console.log(`${fmt(n / N_INTAKE, 2).padStart(6)}  ${k}`)
    const [made] = await database.db
      .select({ n: count() })
      .from(serviceTickets)
      .where(
        and(
          eq(serviceTickets.tenantId, org.tenantId),
          eq(serviceTickets.channel, 'qr'),
          isNotNull(serviceTickets.deviceLabel),
        ),
      )

    // Baseline: a bare insert of the same row, one transaction each, same concurrency (no HTTP, no dispatch).
    t0 = performance.now()
    await pool(N_INTAKE, async (i) => {
      await database.db.insert(serviceTickets).values({
        id: newId('tkt'),
        tenantId: org.tenantId,
        number: `GD-BASE-${i}`,
        customerId: 'cus_b1',
        channel: 'qr',
        type: '维修',
        subject: `扫码报修 ${i}`,
        reporterName: `客户${i}`,
        reporterPhone: `139${String(i).padStart(8, '0')}`,
        photos: [`base/${i}.png`],
        statusToken: `base${i}${newId('x')}`,
        status: 'closed',
      })
    })
    const bareS = (performance.now() - t0) / 1000

    // The signed external API, every ticket delivered twice at once.
    const reg = await registerExternalSystem({
      ctx: as('wangjianguo'),
      input: { name: 'hotline', webhookUrl: 'https://hotline.example/hook' },
    })
    const signed = async (i: number): Promise<void> => {
      const raw = JSON.stringify({
        subject: `热线 ${i}`,
        type: '故障',
        customerId: `cus_b${1 + (i % N_CUSTOMERS)}`,
      })
      const ts = String(Math.floor(Date.now() / 1000))
      const nonce = randomBytes(16).toString('hex')
      const sig = `v1=${createHmac('sha256', reg.secret).update(`${ts}.${nonce}.${raw}`).digest('hex')}`
      const res = await fetch(`${base}/api/v1/external/service/tickets`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-flowcard-system': reg.system.id,
          'x-flowcard-timestamp': ts,
          'x-flowcard-nonce': nonce,
          'x-flowcard-signature': sig,
          'idempotency-key': `CALL-${i}`,
        },
        body: raw,
      })
      if (res.status === 429) {
        // As a hotline system would: wait as told, then send again (new nonce and timestamp, same key).
        await res.arrayBuffer()
        const wait = Number(res.headers.get('retry-after') ?? 1)
        await new Promise((r) => setTimeout(r, Math.max(1, wait) * 1000))
        return signed(i)
      }
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`external ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
    }
    t0 = performance.now()
    await pool(N_EXTERNAL * 2, (i) => signed(i >> 1))
    const externalS = (performance.now() - t0) / 1000
    const [ext] = await database.db
      .select({ n: count() })
      .from(serviceTickets)
      .where(and(eq(serviceTickets.tenantId, org.tenantId), eq(serviceTickets.externalSystem, reg.system.id)))
    agent.destroy()
    server.close()
    await counted.close()

    // The list, first page with filters, for three scopes.
    const filters = [
      {},
      { status: 'open' },
      { status: 'open', priority: 'urgent' },
      { ownerId: 'me' },
      { type: '故障', breached: 'true' },
    ]
    const lists: Record<string, number[]> = { admin: [], manager: [], engineer: [] }
    const who = { admin: 'wangjianguo', manager: 'zhangwei', engineer: 'liuyang' } as const
    for (let r = 0; r < RUNS; r++)
      for (const [k, key] of Object.entries(who)) {
        const s = performance.now()
        await listTickets({ ctx: as(key), input: filters[r % filters.length] })
        lists[k]?.push(performance.now() - s)
      }

    // SERVICE_BENCH_EXPLAIN=1: the plan and time of each role's page query (the scope test included).
    if (process.env.SERVICE_BENCH_EXPLAIN === '1')
      for (const [k, key] of Object.entries(who))
        for (const f of filters) {
          const ctx = as(key)
          const access = await loadServiceAccess(ctx)
          const q = ctx.db
            .select({ id: serviceTickets.id })
            .from(serviceTickets)
            .where(ticketFilter(ctx, access, ticketListInput.parse(f)))
            .orderBy(desc(serviceTickets.createdAt), desc(serviceTickets.id))
            .limit(21)
          const plan = await database.rows<{ 'QUERY PLAN': string }>(
            sql`explain (analyze, costs off, timing off, summary on) ${q}`,
          )
          console.log(`-- ${k} ${JSON.stringify(f)}`)
          for (const r of plan) console.log(`   ${r['QUERY PLAN']}`)
        }

    // Baseline of a list query: a primary-key lookup (one round trip's floor).
    const pk: number[] = []
    for (let r = 0; r < RUNS; r++) {
      const s = performance.now()
      await database.db
        .select()
        .from(serviceTickets)
        .where(eq(serviceTickets.id, `tkb_${String(1 + ((r * 7919) % N_TICKETS)).padStart(8, '0')}`))
      pk.push(performance.now() - s)
    }

    // The list lines now: a big scan that fails later must not lose them.
    for (const k of ['admin', 'manager', 'engineer'] as const)
      console.log(
        `BENCH service list_p95_${k} ${fmt(percentile(lists[k] ?? [], 95))} ms target <=20 baseline ${fmt(percentile(pk, 95))} ratio ${fmt(percentile(lists[k] ?? [], 95) / percentile(pk, 95), 2)}`,
      )

    // The SLA scan over every open ticket (their deadlines lie in the past); baseline: counting them.
    const b0 = performance.now()
    await database.db.execute(
      sql`select count(*) from service_tickets where tenant_id = ${org.tenantId} and status in ('new','assigned','in_progress','waiting_customer')`,
    )
    const countS = (performance.now() - b0) / 1000
    // Load-independent evidence: the database backends' CPU time for the scan, and how many of its row
    // updates were heap-only (HOT: no index entry written). Table stats reach the view asynchronously.
    const updates = async () => {
      const [r] = await database.rows<{ upd: string; hot: string }>(
        sql`select n_tup_upd as upd, n_tup_hot_upd as hot from pg_stat_user_tables where relname = 'service_tickets'`,
      )
      return { upd: Number(r?.upd ?? 0), hot: Number(r?.hot ?? 0) }
    }
    const u0 = await updates()
    const cpu0 = await pgCpuMs(database)
    t0 = performance.now()
    const flagged = await scanServiceSla({ ...as('wangjianguo'), actor: { kind: 'system', reason: 'bench' } })
    const scanS = (performance.now() - t0) / 1000
    const scanCpuS = ((await pgCpuMs(database)) - cpu0) / 1000
    let u1 = await updates()
    for (let i = 0; i < 50 && u1.upd - u0.upd < flagged.response; i++) {
      await new Promise((r) => setTimeout(r, 200))
      u1 = await updates()
    }
    const hotShare = (u1.hot - u0.hot) / Math.max(1, u1.upd - u0.upd)
    const [openN] = await database.db
      .select({ n: count() })
      .from(serviceTickets)
      .where(
        sql`${serviceTickets.tenantId} = ${org.tenantId} and ${serviceTickets.status} in ('new','assigned','in_progress','waiting_customer')`,
      )

    table([
      {
        measure: 'public QR intake tickets/s (HTTP multipart + photo)',
        value: fmt(N_INTAKE / intakeS, 0),
        target: '≥ 500',
      },
      {
        measure: 'intake tickets created (must equal submissions)',
        value: made?.n ?? 0,
        target: N_INTAKE + 2 * SERIAL,
      },
      { measure: 'database round trips per intake, one at a time', value: fmt(serialTrips, 1), target: '' },
      { measure: 'statements per public intake (on the wire)', value: fmt(intakeStatements, 1), target: '' },
      { measure: 'baseline: bare row inserts/s', value: fmt(N_INTAKE / bareS, 0), target: '' },
      {
        measure: 'external deliveries/s (each twice)',
        value: fmt((N_EXTERNAL * 2) / externalS, 0),
        target: '',
      },
      { measure: 'external tickets (must equal distinct ids)', value: ext?.n ?? 0, target: N_EXTERNAL },
      {
        measure: 'list first page p95 ms (admin)',
        value: fmt(percentile(lists.admin ?? [], 95)),
        target: '≤ 20',
      },
      {
        measure: 'list first page p95 ms (service manager)',
        value: fmt(percentile(lists.manager ?? [], 95)),
        target: '≤ 20',
      },
      {
        measure: 'list first page p95 ms (engineer)',
        value: fmt(percentile(lists.engineer ?? [], 95)),
        target: '≤ 20',
      },
      { measure: 'baseline: primary-key lookup p95 ms', value: fmt(percentile(pk, 95)), target: '' },
      {
        measure: `SLA scan s (${openN?.n ?? 0} open; flagged ${flagged.response}+${flagged.resolution})`,
        value: fmt(scanS, 2),
        target: '≤ 10',
      },
    ])
    const line = (measure: string, value: number, unit: string, target: string, baseline: number) =>
      console.log(
        `BENCH service ${measure} ${fmt(value)} ${unit} target ${target} baseline ${fmt(baseline)} ratio ${fmt(value / baseline, 2)}`,
      )
    line('qr_intake_per_s', N_INTAKE / intakeS, 'tickets/s', '>=500', N_INTAKE / bareS)
    line('qr_intake_statements_per_ticket', intakeStatements, 'statements', 'n/a', 1)
    line('qr_intake_round_trips_serial', serialTrips, 'round-trips', 'n/a', 1)
    console.log(
      `BENCH service qr_intake_cpu_per_ticket ${fmt(intakeCpu.pg + intakeCpu.node, 2)} ms target <=4 (2 cores at 500/s) db ${fmt(intakeCpu.pg, 2)} node ${fmt(intakeCpu.node, 2)} (server and bench client)`,
    )
    console.log(`BENCH service external_duplicates ${(ext?.n ?? 0) - N_EXTERNAL} tickets target 0`)
    line('sla_scan', scanS, 's', '<=10', countS)
    line('sla_scan_db_cpu', scanCpuS, 's', '<=10', countS)
    console.log(`BENCH service sla_scan_hot_update_share ${fmt(hotShare * 100)} % target n/a`)
    if ((made?.n ?? 0) !== N_INTAKE + 2 * SERIAL) throw new Error('intake lost or duplicated tickets')
    if ((ext?.n ?? 0) !== N_EXTERNAL) throw new Error('duplicates or losses across redelivery')
  } finally {
    await bench.drop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
