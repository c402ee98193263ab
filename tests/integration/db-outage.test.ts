import type { AddressInfo } from 'node:net'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, migrateDatabase, openDatabase, waitForDatabase } from '../../db/client'
import type { SeededOrg } from '../../db/seed/org'
import { uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase, testDatabaseUrl } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

/**
 * A PostgreSQL outage seen through a TCP proxy on loopback that is cut and restored: requests answer 503 JSON
 * with Retry-After (never 500), /readyz says `down` without the driver's text, and the first request after
 * the database is back does not stall on the driver's reconnect backoff.
 */
let setup: Database
let org: SeededOrg
let proxy: Server
let open = true
const sockets = new Set<Socket>()
let proxied: Database
let proxiedUrl = ''

beforeAll(async () => {
  const url = testDatabaseUrl()
  if (!url) return
  setup = await openTestDatabase()
  org = await createTestTenant(setup)
  const target = new URL(url)
  proxy = createServer((client) => {
    if (!open) return client.destroy()
    const upstream = connect(Number(target.port || 5432), target.hostname)
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
  const via = new URL(url)
  via.hostname = '127.0.0.1'
  port = (proxy.address() as AddressInfo).port
  via.port = String(port)
  proxiedUrl = via.toString()
  proxied = await openDatabase({ url: proxiedUrl, max: 3 })
})
afterAll(async () => {
  await proxied?.close()
  proxy?.close()
  for (const s of sockets) s.destroy()
  await setup?.close()
})

let port = 0
/** Stops listening (new connections are refused, as with a stopped server) and drops the open ones. */
const cut = async () => {
  open = false
  const closed = new Promise<void>((r) => proxy.close(() => r()))
  for (const s of sockets) s.destroy()
  sockets.clear()
  await closed
}
const restore = async () => {
  open = true
  await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', () => r()))
}

describe('a PostgreSQL outage', () => {
  it('answers 503 with Retry-After, says down on /readyz, and recovers without a stall', async (t) => {
    if (!proxied) return t.skip()
    const { app } = testApp(proxied)
    const me = await sessionHeader(org.tenantId, uid(org, 'liuyang'))
    expect((await app.request('/api/v1/me', { headers: me })).status).toBe(200)
    await cut()
    for (let i = 0; i < 8; i++) {
      const res = await app.request('/api/v1/me', { headers: me })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      const body = (await res.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('unavailable')
      expect(body.error.message).not.toMatch(/127\.0\.0\.1|ECONN|params/)
    }
    const ready = await app.request('/readyz')
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { checks: { database: string } }).checks.database).toBe('down')
    await restore()
    const started = performance.now()
    const back = await app.request('/api/v1/me', { headers: me })
    const ms = performance.now() - started
    expect(back.status).toBe(200)
    // Not the ~6 s stall of a pool waiting out dead connections (tests share the machine: a wide margin).
    expect(ms).toBeLessThan(4000)
  })
})

describe('starting while PostgreSQL is down', () => {
  it('waits for the database instead of failing, then migrates on one connection and leaves no lock', async (t) => {
    if (!proxied) return t.skip()
    await cut()
    const starting = await openDatabase({ url: proxiedUrl, max: 3 })
    try {
      let waiting!: () => void
      const sawRefusal = new Promise<void>((r) => {
        waiting = r
      })
      const ready = waitForDatabase(starting, { timeoutMs: 30_000, onWait: () => waiting() })
      await sawRefusal
      await restore()
      await ready
      await migrateDatabase(starting)
      // The lock was released on the connection that took it: none is left on any connection.
      const held = await setup.rows<{ n: number }>(
        sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 727274`,
      )
      expect(held[0]?.n).toBe(0)
    } finally {
      await starting.close()
    }
  })

  it('fails fast on an error that is not about reaching the database', async (t) => {
    if (!proxied) return t.skip()
    const wrong = new URL(testDatabaseUrl() ?? '')
    wrong.pathname = '/no_such_database_here'
    const database = await openDatabase({ url: wrong.toString(), max: 1 })
    try {
      await expect(waitForDatabase(database, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: '3D000' })
    } finally {
      await database.close()
    }
  })
})
