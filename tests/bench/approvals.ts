/**
 * Approvals bench (`npx tsx tests/bench/approvals.ts`), against PostgreSQL in a bench database it creates
 * and drops (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
 *
 * 1. Card tap → response with the updated card, server side (dispatchEvent, devchat card_action), offered
 *    open-loop at 200 taps/s; latency measured from the scheduled send time. Once with no job workers, once
 *    with the outbox relay and processors running in the same process.
 * 2. 50 concurrent taps on one 或签 task set (40 approvers once, 10 of them twice), repeated: exactly one
 *    transition and 50 well-formed answers each round.
 * 3. Starting 10,000 instances of a 3-node template: instances/s, and the outbox delivery lag (created →
 *    done) with the relay and the processors on the devchat platform.
 *
 * Environment: TAPS (default 2000), RATE (200), ROUNDS (20), STARTS (10000), CONCURRENCY (16).
 */
import { and, eq, type SQL, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { dispatchEvent } from '../../bot/chat/dispatch'
import type { CardActionResult } from '../../bot/chat/model'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import type { TemplateDefinitionInput } from '../../bot/domain/approvals/schemas'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import type { ServiceContext } from '../../bot/domain/context'
import { systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import { type Database, type Db, rowsOf } from '../../db/client'
import * as schema from '../../db/schema'
import { approvalTasks, userDepartments, userIdentities, users } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { demoOrg } from '../../db/seed/demo'
import { type SeededOrg, seedOrg } from '../../db/seed/org'
import { InlineQueue } from '../../jobs/drivers/inline'
import { startWorkers } from '../../jobs/workers'
import { createBenchDatabase, outboxRowSizes } from './bench-db'
import { benchLine, fmt, median, percentile, table } from './stats'

const TAPS = Number(process.env.TAPS ?? 2000)
const RATE = Number(process.env.RATE ?? 200)
const ROUNDS = Number(process.env.ROUNDS ?? 20)
const STARTS = Number(process.env.STARTS ?? 10_000)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16)
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const TENANT_KEY = 'bench'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const need = (m: Record<string, string>, k: string) => {
  const v = m[k]
  if (!v) throw new Error(`missing ${k}`)
  return v
}

function ctxAs(database: Database, org: SeededOrg, userId: string): ServiceContext {
  return {
    tenantId: org.tenantId,
    actor: { kind: 'user', userId, via: 'devchat' },
    db: database.db,
    clock: systemClock,
    logger: silent,
  }
}

/** 50 extra approvers (devchat open ids `ap00`…`ap49`) for the 或签 race. */
async function addApprovers(database: Database, org: SeededOrg, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const id = newId('usr')
    const key = `ap${String(i).padStart(2, '0')}`
    ids.push(id)
    await database.db.insert(users).values({
      id,
      tenantId: org.tenantId,
      name: `审批人${i}`,
      departmentId: need(org.departments, 'finance'),
    })
    await database.db
      .insert(userDepartments)
      .values({ tenantId: org.tenantId, userId: id, departmentId: need(org.departments, 'finance') })
    await database.db.insert(userIdentities).values({
      id: newId('idn'),
      tenantId: org.tenantId,
      userId: id,
      platform: 'devchat',
      openId: key,
      platformUserId: key,
    })
  }
  return ids
}

function template(key: string, nodes: TemplateDefinitionInput['flow']['nodes']): TemplateDefinitionInput {
  return {
    key,
    name: key,
    form: [{ key: 'note', label: '说明', type: 'text', required: true }],
    flow: { nodes },
    settings: { dedupe: 'none', initiatorAutoPass: false, escalateAction: 'to_manager' },
  }
}

function tapEvent(openId: string, taskId: string, version: number) {
  return {
    kind: 'card_action' as const,
    platform: 'devchat' as const,
    tenantKey: TENANT_KEY,
    eventId: newId('evt'),
    operator: { openId },
    payload: { a: 'approval.approve', task: taskId, v: version },
    formValues: { comment: '同意' },
  }
}

const wellFormed = (r: CardActionResult): boolean =>
  !!r.card && typeof r.card.header.title === 'string' && r.card.elements.length > 0 && !!r.toast?.text

async function workers(database: Database, tenantId: string) {
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  const w = await startWorkers({
    database,
    queue,
    logger: silent,
    clock: systemClock,
    platforms,
    concurrency: Number(process.env.JOB_CONCURRENCY ?? 16),
    relay: { tenantId, pollMs: 100 },
  })
  return {
    queue,
    async stop() {
      await w.stop()
      await queue.close(30_000)
    },
  }
}

async function pendingOutbox(database: Database, tenantId: string): Promise<number> {
  const [r] = await database.rows<{ n: number }>(
    sql`select count(*)::int as n from outbox where tenant_id = ${tenantId} and status in ('pending','relayed') and available_at <= now()`,
  )
  return r?.n ?? 0
}

async function startMany(
  database: Database,
  org: SeededOrg,
  key: string,
  n: number,
  initiators: string[],
  concurrency: number,
) {
  const ids: string[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++
        if (i >= n) return
        const who = initiators[i % initiators.length] ?? ''
        const view = await startInstance({
          ctx: ctxAs(database, org, who),
          input: { templateKey: key, form: { note: `#${i}` } },
        })
        ids.push(view.instance.id)
      }
    }),
  )
  return { ids, ms: performance.now() - started }
}

/**
 * The in-script baseline: the least a tap could cost — one transaction that locks the task row by key and
 * inserts one audit row, committed (the same commit and fsync a tap pays, none of its work).
 */
async function bareTransaction(database: Database, tenantId: string, taskId: string): Promise<boolean> {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`select id from approval_tasks where id = ${taskId} for update`)
    await tx.execute(
      sql`insert into audit_log (tenant_id, actor_kind, action, target_type, target_id) values (${tenantId}, 'system', 'bench.bare', 'approval_task', ${taskId})`,
    )
  })
  return true
}

/** Offers operations open-loop at `rate`/s; latency counts from each one's scheduled time. */
async function atRate(
  tasks: Array<{ id: string; version: number }>,
  rate: number,
  op: (task: { id: string; version: number }) => Promise<boolean>,
) {
  const latencies: number[] = []
  let ok = 0
  const t0 = performance.now()
  const gap = 1000 / rate
  const inflight: Array<Promise<void>> = []
  for (const [i, task] of tasks.entries()) {
    const due = t0 + i * gap
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    inflight.push(
      (async () => {
        if (await op(task)) ok++
        latencies.push(performance.now() - due)
      })(),
    )
  }
  await Promise.all(inflight)
  return { latencies, ok, achieved: tasks.length / ((performance.now() - t0) / 1000) }
}

/** Offers taps open-loop at `rate`/s; latency counts from each tap's scheduled time. */
async function tapAtRate(
  database: Database,
  tasks: Array<{ id: string; version: number }>,
  openId: string,
  rate: number,
) {
  const latencies: number[] = []
  const service: number[] = []
  let ok = 0
  const t0 = performance.now()
  const gap = 1000 / rate
  const inflight: Array<Promise<void>> = []
  for (const [i, task] of tasks.entries()) {
    const due = t0 + i * gap
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    inflight.push(
      (async () => {
        const s = performance.now()
        const r = await dispatchEvent(
          { database, logger: silent, clock: systemClock },
          tapEvent(openId, task.id, task.version),
        )
        const e = performance.now()
        if (r?.toast?.kind === 'success' && r.card) ok++
        latencies.push(e - due)
        service.push(e - s)
      })(),
    )
  }
  await Promise.all(inflight)
  const seconds = (performance.now() - t0) / 1000
  return { latencies, service, ok, achieved: tasks.length / seconds }
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000

function openLoopRow(run: string, r: { latencies: number[]; achieved: number }) {
  return {
    run,
    taps: r.latencies.length,
    'offered/s': RATE,
    'achieved/s': fmt(r.achieved),
    ok: r.latencies.length,
    'p50 ms': fmt(median(r.latencies), 2),
    'p90 ms': fmt(percentile(r.latencies, 90), 2),
    'p99 ms': fmt(percentile(r.latencies, 99), 2),
    'max ms': fmt(Math.max(...r.latencies), 1),
    'service p50': '-',
    'p99 / 50ms target': fmt(percentile(r.latencies, 99) / 50, 2),
  }
}

/** A second handle on the bench database whose drizzle logger counts the statements sent. */
function countingDatabase(base: Database, url: string) {
  let n = 0
  const client = postgres(url, { max: 4, onnotice: () => {} })
  const db = drizzle({
    client,
    schema,
    casing: 'snake_case',
    logger: { logQuery: () => void n++ },
  }) as unknown as Db
  const database: Database = { ...base, db, rows: async <T>(q: SQL) => rowsOf<T>(await db.execute(q)) }
  return {
    database,
    reset: () => {
      n = 0
    },
    count: () => n,
    close: () => client.end({ timeout: 5 }),
  }
}

async function main() {
  const bench = await createBenchDatabase('approvals', 20)
  const { database } = bench
  try {
    const org = await database.db.transaction((tx) =>
      seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: TENANT_KEY }),
    )
    await database.db.transaction((tx) => seedApprovalTemplates(tx, org))
    const admin = ctxAs(database, org, need(org.users, 'wangjianguo'))
    const approverIds = await addApprovers(database, org, 50)
    await createTemplate({
      ctx: admin,
      input: template('bench_one', [
        { id: 'start', type: 'start', next: 'a' },
        {
          id: 'a',
          type: 'approval',
          name: '审批',
          approvers: { kind: 'users', userIds: [need(org.users, 'zhangwei')] },
          next: 'end',
        },
        { id: 'end', type: 'end' },
      ]),
    })
    await createTemplate({
      ctx: admin,
      input: template('bench_or50', [
        { id: 'start', type: 'start', next: 'a' },
        {
          id: 'a',
          type: 'approval',
          name: '或签',
          mode: 'any',
          approvers: { kind: 'users', userIds: approverIds },
          next: 'end',
        },
        { id: 'end', type: 'end' },
      ]),
    })
    await createTemplate({
      ctx: admin,
      input: template('bench3', [
        { id: 'start', type: 'start', next: 'm' },
        { id: 'm', type: 'approval', name: '直属上级', approvers: { kind: 'manager', level: 1 }, next: 'h' },
        {
          id: 'h',
          type: 'approval',
          name: '部门负责人',
          approvers: { kind: 'department_head', level: 1 },
          next: 'f',
        },
        {
          id: 'f',
          type: 'approval',
          name: '财务',
          approvers: { kind: 'users', userIds: [need(org.users, 'zhuhong')] },
          next: 'end',
        },
        { id: 'end', type: 'end' },
      ]),
    })
    const reps = ['liuyang', 'chenjing', 'yangfan', 'huangli', 'zhoujie', 'wumin'].map((k) =>
      need(org.users, k),
    )

    // ---- 0. statements per operation (independent of machine load)
    const counting = countingDatabase(database, bench.url)
    const cdb = counting.database
    await startInstance({
      ctx: ctxAs(cdb, org, reps[0] ?? ''),
      input: { templateKey: 'bench3', form: { note: 'warm' } },
    })
    counting.reset()
    const probe = await startInstance({
      ctx: ctxAs(cdb, org, reps[0] ?? ''),
      input: { templateKey: 'bench3', form: { note: 'probe' } },
    })
    const perStart = counting.count()
    const probeTask = probe.tasks.find((t) => t.status === 'pending')
    const probeTap = () =>
      dispatchEvent(
        { database: cdb, logger: silent, clock: systemClock },
        tapEvent('zhangwei', probeTask?.id ?? '', probeTask?.version ?? 1),
      )
    counting.reset()
    await probeTap()
    const perTap = counting.count()
    counting.reset()
    await probeTap()
    const perLosingTap = counting.count()
    await counting.close()
    console.log('\n## 0. SQL statements per operation (BEGIN/COMMIT not counted)\n')
    table([{ 'start (3-node)': perStart, 'tap (incl. dispatch)': perTap, 'losing tap': perLosingTap }])

    // ---- 1. tap latency at RATE taps/s
    const tapRows: Array<Record<string, string | number>> = []
    const benchStart = new Date()
    let tapsOnly: { latencies: number[]; achieved: number } | null = null
    let bareAtRate: { latencies: number[]; achieved: number } | null = null
    for (const withWorkers of [false, true]) {
      const { ids } = await startMany(database, org, 'bench_one', TAPS, reps, CONCURRENCY)
      const tasks = await database.db
        .select({
          id: approvalTasks.id,
          version: approvalTasks.version,
          instanceId: approvalTasks.instanceId,
        })
        .from(approvalTasks)
        .where(
          and(
            eq(approvalTasks.tenantId, org.tenantId),
            eq(approvalTasks.status, 'pending'),
            eq(approvalTasks.nodeId, 'a'),
          ),
        )
      const wanted = new Set(ids)
      const mine = tasks.filter((t) => wanted.has(t.instanceId))
      const w = withWorkers ? await workers(database, org.tenantId) : null
      // Warm-up: 50 taps unmeasured.
      await tapAtRate(database, mine.slice(0, 50), 'zhangwei', RATE)
      const r = await tapAtRate(database, mine.slice(50), 'zhangwei', RATE)
      await w?.stop()
      if (!withWorkers) {
        tapsOnly = r
        // Baseline: the bare transaction offered the same way, on the same (now decided) task rows.
        bareAtRate = await atRate(mine.slice(50), RATE, (t) => bareTransaction(database, org.tenantId, t.id))
        tapRows.push(openLoopRow('baseline: bare lock + insert + commit', bareAtRate))
      }
      tapRows.push({
        run: withWorkers ? 'relay + workers running' : 'taps only',
        taps: r.latencies.length,
        'offered/s': RATE,
        'achieved/s': fmt(r.achieved),
        ok: r.ok,
        'p50 ms': fmt(median(r.latencies), 2),
        'p90 ms': fmt(percentile(r.latencies, 90), 2),
        'p99 ms': fmt(percentile(r.latencies, 99), 2),
        'max ms': fmt(Math.max(...r.latencies), 1),
        'service p50': fmt(median(r.service), 2),
        'p99 / 50ms target': fmt(percentile(r.latencies, 99) / 50, 2),
      })
    }
    {
      // The floor: one tap at a time, no queueing.
      const { ids } = await startMany(database, org, 'bench_one', 150, reps, CONCURRENCY)
      const wanted = new Set(ids)
      const tasks = (
        await database.db
          .select({
            id: approvalTasks.id,
            version: approvalTasks.version,
            instanceId: approvalTasks.instanceId,
          })
          .from(approvalTasks)
          .where(and(eq(approvalTasks.tenantId, org.tenantId), eq(approvalTasks.status, 'pending')))
      ).filter((t) => wanted.has(t.instanceId))
      const one: number[] = []
      const cpu0 = process.cpuUsage()
      for (const t of tasks) {
        const s = performance.now()
        await dispatchEvent(
          { database, logger: silent, clock: systemClock },
          tapEvent('zhangwei', t.id, t.version),
        )
        one.push(performance.now() - s)
      }
      const tapCpu = cpuMs(process.cpuUsage(cpu0)) / Math.max(1, tasks.length)
      const bare: number[] = []
      const cpu1 = process.cpuUsage()
      for (const t of tasks) {
        const s = performance.now()
        await bareTransaction(database, org.tenantId, t.id)
        bare.push(performance.now() - s)
      }
      const bareCpu = cpuMs(process.cpuUsage(cpu1)) / Math.max(1, tasks.length)
      tapRows.push({
        run: 'one at a time (floor)',
        taps: one.length,
        'offered/s': '-',
        'achieved/s': fmt(one.length / (one.reduce((a, b) => a + b, 0) / 1000)),
        ok: one.length,
        'p50 ms': fmt(median(one), 2),
        'p90 ms': fmt(percentile(one, 90), 2),
        'p99 ms': fmt(percentile(one, 99), 2),
        'max ms': fmt(Math.max(...one), 1),
        'service p50': fmt(median(one), 2),
        'p99 / 50ms target': fmt(percentile(one, 99) / 50, 2),
      })
      console.log(`\n## 1. card tap → updated card (dispatchEvent, devchat), open loop at ${RATE}/s\n`)
      table(tapRows)
      console.log()
      const bareP50 = { value: median(bare), what: 'bare transaction one at a time' }
      benchLine('approvals', 'tap_alone_p50', median(one), 'ms', 'n/a', bareP50, 2)
      benchLine(
        'approvals',
        'tap_cpu_per_tap',
        tapCpu,
        'ms',
        'n/a',
        {
          value: bareCpu,
          what: 'bare transaction CPU in this process',
        },
        2,
      )
      if (tapsOnly && bareAtRate) {
        const base = (p: number) => ({
          value: percentile(bareAtRate?.latencies ?? [], p),
          what: `bare transaction at ${RATE}/s`,
        })
        benchLine('approvals', `tap_p50_at_${RATE}`, median(tapsOnly.latencies), 'ms', 'n/a', base(50), 2)
        benchLine(
          'approvals',
          `tap_p99_at_${RATE}`,
          percentile(tapsOnly.latencies, 99),
          'ms',
          '<=50',
          base(99),
          2,
        )
        benchLine('approvals', `taps_achieved_at_${RATE}`, tapsOnly.achieved, 'taps/s', `>=${RATE}`, {
          value: bareAtRate.achieved,
          what: 'bare transactions achieved',
        })
      }
    }

    // ---- 2. 50 concurrent taps on one 或签
    const raceLatency: number[] = []
    const batchMs: number[] = []
    let allGood = 0
    for (let round = 0; round < ROUNDS; round++) {
      const view = await startInstance({
        ctx: ctxAs(database, org, reps[round % reps.length] ?? ''),
        input: { templateKey: 'bench_or50', form: { note: `race ${round}` } },
      })
      const tasks = view.tasks.filter((t) => t.status === 'pending')
      const keyOf = new Map(approverIds.map((id, i) => [id, `ap${String(i).padStart(2, '0')}`]))
      const plan = [...tasks.slice(0, 40), ...tasks.slice(0, 10)]
      const t0 = performance.now()
      const results = await Promise.all(
        plan.map(async (t) => {
          const s = performance.now()
          const r = await dispatchEvent(
            { database, logger: silent, clock: systemClock },
            tapEvent(keyOf.get(t.assigneeId) ?? '', t.id, t.version),
          )
          raceLatency.push(performance.now() - s)
          return r
        }),
      )
      batchMs.push(performance.now() - t0)
      const wins = results.filter((r) => r?.toast?.kind === 'success').length
      const formed = results.filter((r) => r && wellFormed(r)).length
      const [counts] = await database.rows<{ approves: number; approved: number; status: string }>(sql`
        select (select count(*)::int from approval_timeline where instance_id = ${view.instance.id} and action = 'approve') as approves,
               (select count(*)::int from approval_tasks where instance_id = ${view.instance.id} and status = 'approved') as approved,
               (select status from approval_instances where id = ${view.instance.id}) as status`)
      if (
        wins === 1 &&
        formed === 50 &&
        counts?.approves === 1 &&
        counts.approved === 1 &&
        counts.status === 'approved'
      )
        allGood++
      else console.log(`round ${round}: wins=${wins} formed=${formed} ${JSON.stringify(counts)}`)
    }
    console.log(`\n## 2. 50 concurrent taps on one 或签 (40 approvers + 10 repeats), ${ROUNDS} rounds\n`)
    table([
      {
        rounds: ROUNDS,
        'rounds with exactly 1 transition + 50 well-formed answers': allGood,
        'tap p50 ms': fmt(median(raceLatency), 1),
        'tap p99 ms': fmt(percentile(raceLatency, 99), 1),
        'batch median ms': fmt(median(batchMs), 1),
      },
    ])

    // ---- 3. 10,000 starts of a 3-node template, with the relay and workers delivering
    await database.db.execute(sql`update outbox set status = 'done' where status in ('pending','relayed')`)
    const w = await workers(database, org.tenantId)
    const startedAt = new Date()
    const { ms } = await startMany(database, org, 'bench3', STARTS, reps, CONCURRENCY)
    const startsDone = performance.now()
    while ((await pendingOutbox(database, org.tenantId)) > 0) await sleep(100)
    const drainMs = performance.now() - startsDone
    await w.stop()
    const lag = await database.rows<{ ms: number }>(sql`
      select extract(epoch from (finished_at - created_at)) * 1000 as ms from outbox
      where tenant_id = ${org.tenantId} and created_at >= ${startedAt.toISOString()}::timestamptz and status = 'done'`)
    const lags = lag.map((r) => Number(r.ms))
    const [msgs] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from messages where tenant_id = ${org.tenantId} and created_at >= ${startedAt.toISOString()}::timestamptz`,
    )
    console.log(
      `\n## 3. ${STARTS} starts of a 3-node template (${CONCURRENCY} concurrent), relay + processors on devchat\n`,
    )
    table([
      {
        instances: STARTS,
        'instances/s': fmt(STARTS / (ms / 1000)),
        'start p-avg ms': fmt((ms / STARTS) * CONCURRENCY, 2),
        'outbox rows': lags.length,
        'messages sent': msgs?.n ?? 0,
        'lag p50 ms': fmt(median(lags), 0),
        'lag p99 ms': fmt(percentile(lags, 99), 0),
        'drain after last start ms': fmt(drainMs, 0),
        'rows/s delivered': fmt(lags.length / ((ms + drainMs) / 1000)),
      },
    ])
    // Baseline: the bare transaction, as many and as concurrent as the starts.
    const bareTasks = await database.rows<{ id: string }>(
      sql`select id from approval_tasks where tenant_id = ${org.tenantId} limit ${Math.min(STARTS, 2000)}`,
    )
    let nextBare = 0
    const bareStarted = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = nextBare++; i < bareTasks.length; i = nextBare++)
          await bareTransaction(database, org.tenantId, bareTasks[i]?.id ?? '')
      }),
    )
    const barePerS = bareTasks.length / ((performance.now() - bareStarted) / 1000)

    const sizes = await outboxRowSizes(database, org.tenantId, benchStart)
    console.log(
      `\noutbox rows since section 1: ${sizes.notifications} notifications (JSON median ${fmt(sizes.notificationJson, 0)} B, stored median ${fmt(sizes.notificationStored, 0)} B), ${sizes.idOnly} id-only rows (JSON median ${fmt(sizes.idOnlyJson, 0)} B)\n`,
    )
    benchLine('approvals', 'starts_per_s', STARTS / (ms / 1000), 'instances/s', 'n/a', {
      value: barePerS,
      what: `bare transactions/s at ${CONCURRENCY} concurrent`,
    })
    benchLine(
      'approvals',
      'outbox_notification_row_median',
      sizes.notificationJson,
      'bytes',
      '<4096',
      { value: sizes.idOnlyJson, what: 'id-only outbox row' },
      0,
    )
  } finally {
    await bench.drop()
  }
}

await main()
