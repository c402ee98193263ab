import { createHmac, randomBytes } from 'node:crypto'
import type { Clock } from '../../bot/lib/clock'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import { testApp } from '../helpers/app'
import { bearer, type CrmTenant, silent } from './crm-harness'

/** A clock the test moves by hand (simulated days), shared by the verbs and the job processors. */
export interface SimClock extends Clock {
  set(d: Date): void
  advance(ms: number): void
}

export function simClock(start = new Date()): SimClock {
  let now = start
  return {
    now: () => now,
    set: (d) => {
      now = d
    },
    advance: (ms) => {
      now = new Date(now.getTime() + ms)
    },
  }
}

/** The real app (HTTP) and the real processors over an in-process queue, all on `clock`. */
export async function salesStack(database: Database, tenantId: string, clock: Clock) {
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  await startWorkers({
    database,
    queue,
    logger: silent,
    clock,
    platforms,
    concurrency: 8,
    relay: false,
    processors: { webhookTimeoutMs: 1000 },
  })
  const relay = new OutboxRelay(database, queue, { tenantId })
  const { app } = testApp(database, { queue })
  return {
    app,
    queue,
    /** Relays every row due at `clock.now()` and waits until the queue has run them (and what they emitted). */
    async drain(): Promise<void> {
      for (let i = 0; i < 20; i++) {
        const n = await relay.relayAll(new Date(Math.max(clock.now().getTime(), Date.now())))
        if (n === 0 && queue.pendingCount() === 0) return
        const deadline = Date.now() + 10_000
        while (queue.pendingCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      }
    },
    close: () => queue.close(),
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers loosely
export type Json = any

/** A session call of the mini-app API as a seeded person. */
export async function apiCall(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  tenant: CrmTenant,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await bearer(tenant, key)), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: await res.json() }
}

/** A call of an external system signed as the OpenAPI document says, computed with node:crypto. */
export async function signedCall(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  system: { id: string; secret: string },
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const raw = JSON.stringify(body)
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(16).toString('hex')
  const sig = `v1=${createHmac('sha256', system.secret).update(`${ts}.${nonce}.${raw}`).digest('hex')}`
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-flowcard-system': system.id,
      'x-flowcard-timestamp': ts,
      'x-flowcard-nonce': nonce,
      'x-flowcard-signature': sig,
      ...headers,
    },
    body: raw,
  })
  return { status: res.status, body: await res.json() }
}
