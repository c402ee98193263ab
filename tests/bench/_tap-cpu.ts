/**
 * Node-side CPU and SQL statements per approval card tap (`npx tsx tests/bench/_tap-cpu.ts`; not in the
 * `npm run bench` list). Starts N one-step requests, counts the statements of one tap, then taps the rest
 * one after another through `dispatchEvent` (devchat) and reports process CPU time per tap. PROF=1 writes a
 * CPU profile of the tap loop to /tmp/tap.cpuprofile. After the taps, the same number of bare transactions (lock
 * the task, insert an audit row) as the floor. CG=1 waits at each phase for a file in CG_DIR (`tap-instructions.ts`
 * counts instructions under callgrind between them). BENCH_POSTGRES_URL as for the other benches.
 */
import { and, eq } from 'drizzle-orm'
import { dispatchEvent } from '../../bot/chat/dispatch'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import { approvalTasks } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { demoOrg } from '../../db/seed/demo'
import { seedOrg } from '../../db/seed/org'
import { createBenchDatabase } from './bench-db'

const N = Number(process.env.N ?? 600)
const silent = { debug() {}, info() {}, warn() {}, error() {} }
async function main() {
  const bench = await createBenchDatabase('tapcpu', 10)
  const { database } = bench
  try {
    const org = await database.db.transaction((tx) =>
      seedOrg(tx, demoOrg, { name: 'bench', platform: 'devchat', tenantKey: 'bench' }),
    )
    await database.db.transaction((tx) => seedApprovalTemplates(tx, org))
    const ctx = (u: string) => ({
      tenantId: org.tenantId,
      actor: { kind: 'user' as const, userId: u, via: 'devchat' as const },
      db: database.db,
      clock: systemClock,
      logger: silent,
    })
    await createTemplate({
      ctx: ctx(org.users.wangjianguo ?? ''),
      input: {
        key: 'b1',
        name: 'b1',
        form: [{ key: 'note', label: '说明', type: 'text', required: true }],
        flow: {
          nodes: [
            { id: 'start', type: 'start', next: 'a' },
            {
              id: 'a',
              type: 'approval',
              name: '审批',
              approvers: { kind: 'users', userIds: [org.users.zhangwei ?? ''] },
              next: 'end',
            },
            { id: 'end', type: 'end' },
          ],
        },
      },
    })
    for (let i = 0; i < N; i++)
      await startInstance({
        ctx: ctx(org.users.liuyang ?? ''),
        input: { templateKey: 'b1', form: { note: `#${i}` } },
      })
    const tasks = await database.db
      .select()
      .from(approvalTasks)
      .where(
        and(
          eq(approvalTasks.tenantId, org.tenantId),
          eq(approvalTasks.status, 'pending'),
          eq(approvalTasks.nodeId, 'a'),
        ),
      )
    const tap = (t: { id: string; version: number }) =>
      dispatchEvent(
        { database, logger: silent, clock: systemClock },
        {
          kind: 'card_action',
          platform: 'devchat',
          tenantKey: 'bench',
          eventId: newId('evt'),
          operator: { openId: 'zhangwei' },
          payload: { a: 'approval.approve', task: t.id, v: t.version },
          formValues: { comment: '同意' },
        },
      )
    {
      const { drizzle } = await import('drizzle-orm/postgres-js')
      const postgres = (await import('postgres')).default
      const schema = await import('../../db/schema')
      const { rowsOf } = await import('../../db/client')
      const client = postgres(bench.url, { max: 2, onnotice: () => {} })
      const log: string[] = []
      const db = drizzle({
        client,
        schema,
        casing: 'snake_case',
        logger: { logQuery: (q: string) => void log.push(q.slice(0, Number(process.env.QLEN ?? 90))) },
      })
      const cdb = { ...database, db: db as never, rows: async (q: never) => rowsOf(await db.execute(q)) }
      const t = tasks[tasks.length - 1]
      if (t)
        await dispatchEvent(
          { database: cdb as never, logger: silent, clock: systemClock },
          {
            kind: 'card_action',
            platform: 'devchat',
            tenantKey: 'bench',
            eventId: newId('evt'),
            operator: { openId: 'zhangwei' },
            payload: { a: 'approval.approve', task: t.id, v: t.version },
            formValues: { comment: '同意' },
          },
        )
      tasks.pop()
      console.log(`statements per tap: ${log.length}`)
      if (process.env.SHOW) for (const q of log) console.log('  ', q)
      await client.end()
    }
    const warm = tasks.slice(0, 100)
    for (const t of warm) await tap(t)
    const rest = tasks.slice(100)
    const { Session } = await import('node:inspector/promises')
    const session = new Session()
    if (process.env.PROF) {
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.setSamplingInterval', { interval: 100 })
      await session.post('Profiler.start')
    }
    const { readFileSync } = await import('node:fs')
    const { sql: q } = await import('drizzle-orm')
    const pgCpu = async () => {
      const pids = (await database.db.execute(
        q`select pid from pg_stat_activity where datname = current_database()`,
      )) as unknown as Array<{ pid: number }>
      let ticks = 0
      for (const { pid } of pids) {
        try {
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
          ticks += Number(f[11]) + Number(f[12])
        } catch {}
      }
      return ticks * 10
    }
    const outboxBytes = async () => {
      const [r] = (await database.db.execute(
        q`select coalesce(sum(pg_column_size(o.*)),0)::bigint as b, count(*)::int as n from outbox o`,
      )) as unknown as Array<{ b: string; n: number }>
      return { b: Number(r?.b ?? 0), n: r?.n ?? 0 }
    }
    const net = await import('node:net')
    let writes = 0
    let wbytes = 0
    const origWrite = net.Socket.prototype.write
    net.Socket.prototype.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
      writes++
      wbytes += (chunk as { length?: number })?.length ?? 0
      return (origWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof origWrite
    const pg0 = await pgCpu()
    const wr0 = { writes, wbytes }
    const ob0 = await outboxBytes()
    const { existsSync } = await import('node:fs')
    const gate = async (f: string) => {
      if (!process.env.CG) return
      console.log(`CG-${f}`)
      while (!existsSync(`${process.env.CG_DIR ?? '/tmp/perfprof'}/cg-${f}`))
        await new Promise((r) => setTimeout(r, 200))
    }
    await gate('go')
    const c0 = process.cpuUsage()
    const w0 = performance.now()
    for (const t of rest) {
      const r = await tap(t)
      if (r?.toast?.kind !== 'success') throw new Error(`tap failed ${JSON.stringify(r?.toast)}`)
    }
    const c = process.cpuUsage(c0)
    const wall = performance.now() - w0
    await gate('stop')
    const wr1 = { writes: writes - wr0.writes, wbytes: wbytes - wr0.wbytes }
    const pgMs = (await pgCpu()) - pg0
    const ob1 = await outboxBytes()
    if (process.env.PROF) {
      const { profile } = await session.post('Profiler.stop')
      const { writeFileSync } = await import('node:fs')
      writeFileSync('/tmp/tap.cpuprofile', JSON.stringify(profile))
    }
    // The floor: a bare transaction per tapped task (lock the task, insert one audit row, commit).
    const { sql: raw } = await import('drizzle-orm')
    await gate('bare-go')
    const b0 = process.cpuUsage()
    for (const t of rest)
      await database.db.transaction(async (tx) => {
        await tx.execute(raw`select id from approval_tasks where id = ${t.id} for update`)
        await tx.execute(
          raw`insert into audit_log (tenant_id, actor_kind, action, target_type, target_id) values (${org.tenantId}, 'system', 'bench.bare', 'approval_task', ${t.id})`,
        )
      })
    const b = process.cpuUsage(b0)
    await gate('bare-stop')
    console.log(
      `taps=${rest.length} bare-cpu/tx=${((b.user + b.system) / 1000 / rest.length).toFixed(2)}ms cpu/tap=${((c.user + c.system) / 1000 / rest.length).toFixed(2)}ms (user ${(c.user / 1000 / rest.length).toFixed(2)} sys ${(c.system / 1000 / rest.length).toFixed(2)}) wall/tap=${(wall / rest.length).toFixed(2)}ms pg-cpu/tap=${(pgMs / rest.length).toFixed(2)}ms outbox rows/tap=${((ob1.n - ob0.n) / rest.length).toFixed(2)} bytes/row=${((ob1.b - ob0.b) / Math.max(1, ob1.n - ob0.n)).toFixed(0)} socket writes/tap=${(wr1.writes / rest.length).toFixed(2)} bytes/tap=${(wr1.wbytes / rest.length).toFixed(0)}`,
    )
  } finally {
    await bench.drop()
  }
}
await main()
