import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { Redis } from 'ioredis'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import { demoOrg } from '../../db/seed/demo'
import { type SeededOrg, seedOrg } from '../../db/seed/org'
import type { FakeUserSeed } from '../fakes/feishu/org'

const ROOT = resolve(import.meta.dirname, '../..')

/** The open_id the fake and our directory share for bulk user `i` of a run. */
export const bulkOpenId = (run: string, i: number): string => `ou_${run}_${String(i).padStart(6, '0')}`

/**
 * A Feishu tenant with the demo org (the publisher, 王建国, is admin and has no Feishu identity, so only
 * recipients' cards reach the platform) plus one department of `n` people with Feishu identities, created
 * set-based. Returns the fake-org users to seed the fake Open API with.
 */
export async function createBulkFeishuTenant(
  database: Database,
  input: { n: number; tenantKey: string; run: string; sendRate?: { perSecond: number; perMinute: number } },
): Promise<{ org: SeededOrg; departmentId: string; fakeUsers: FakeUserSeed[] }> {
  const org = await database.db.transaction((tx) =>
    seedOrg(tx, demoOrg, { name: 'bulk tenant', platform: 'feishu', tenantKey: input.tenantKey }),
  )
  const t = org.tenantId
  const departmentId = newId('dep')
  const root = org.departments.root ?? ''
  const prefix = `usr_${input.run}_`
  await database.db.transaction(async (tx) => {
    if (input.sendRate) {
      await tx.execute(
        sql`update tenants set settings = settings || ${JSON.stringify({ noticeSendRate: input.sendRate })}::jsonb where id = ${t}`,
      )
    }
    await tx.execute(sql`
      insert into departments (id, tenant_id, name, parent_id, path)
      select ${departmentId}, ${t}, '全员批量部门', ${root}, d.path || ${departmentId} || '/'
      from departments d where d.id = ${root}`)
    await tx.execute(sql`
      insert into users (id, tenant_id, name, department_id)
      select ${prefix} || lpad(i::text, 6, '0'), ${t}, '员工' || i, ${departmentId}
      from generate_series(1, ${input.n}) i`)
    await tx.execute(sql`
      insert into user_departments (tenant_id, user_id, department_id)
      select ${t}, ${prefix} || lpad(i::text, 6, '0'), ${departmentId} from generate_series(1, ${input.n}) i`)
    await tx.execute(sql`
      insert into user_identities (id, tenant_id, user_id, platform, open_id, platform_user_id)
      select 'idn_' || ${input.run} || lpad(i::text, 6, '0'), ${t}, ${prefix} || lpad(i::text, 6, '0'), 'feishu',
        'ou_' || ${input.run} || '_' || lpad(i::text, 6, '0'), 'b' || ${input.run} || i
      from generate_series(1, ${input.n}) i`)
  })
  const fakeUsers: FakeUserSeed[] = Array.from({ length: input.n }, (_, k) => ({
    userId: `b${input.run}${k + 1}`,
    name: `员工${k + 1}`,
    openId: bulkOpenId(input.run, k + 1),
  }))
  return { org, departmentId, fakeUsers }
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

/**
 * A private, non-persistent redis-server on its own port, so a test can kill and restart "Redis" without
 * touching the shared instance other engineers use. Everything in it is lost on restart, like a Redis
 * without AOF/RDB.
 */
export class PrivateRedis {
  private proc: ChildProcess | null = null
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort())
    await r.start()
    return r
  }

  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    )
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    probe.on('error', () => {})
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        probe.disconnect()
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    throw new Error(`redis-server on ${this.port} did not start`)
  }

  /** Kills the server outright (SIGKILL): every job and lock in it is gone. */
  async kill(): Promise<void> {
    const p = this.proc
    this.proc = null
    if (!p || p.exitCode !== null) return
    p.kill('SIGKILL')
    await once(p, 'exit')
  }

  async restart(downMs = 300): Promise<void> {
    await this.kill()
    await new Promise((r) => setTimeout(r, downMs))
    await this.start()
  }
}

export interface WorkerHandle {
  proc: ChildProcess
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>
  stop(): Promise<void>
}

/** Starts `tests/bench/notices-worker.ts` in a child process and waits for `ready`. */
export async function spawnWorker(env: Record<string, string>, logFile?: string): Promise<WorkerHandle> {
  const proc = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'tests/bench/notices-worker.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (logFile) {
    const out = createWriteStream(logFile, { flags: 'a' })
    proc.stderr?.pipe(out)
  } else proc.stderr?.resume()
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not become ready in 90 s')), 90_000)
    let buf = ''
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      if (buf.includes('ready')) {
        clearTimeout(timer)
        resolveReady()
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`worker exited with ${code} before ready`))
    })
  })
  proc.stdout?.resume()
  return {
    proc,
    kill: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGKILL')
      await once(proc, 'exit')
    },
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 8000)
      await once(proc, 'exit')
      clearTimeout(timer)
    },
  }
}

/** Delivery state of a notice, from the database. */
export async function deliveryCounts(database: Database, noticeId: string) {
  const [row] = await database.rows<{
    pending: number
    queued: number
    sent: number
    failed: number
    total: number
  }>(sql`
    select count(*) filter (where status = 'pending')::int as pending,
           count(*) filter (where status = 'queued')::int as queued,
           count(*) filter (where status = 'sent')::int as sent,
           count(*) filter (where status = 'failed')::int as failed,
           count(*)::int as total
    from notice_recipients where notice_id = ${noticeId}`)
  return row ?? { pending: 0, queued: 0, sent: 0, failed: 0, total: 0 }
}
