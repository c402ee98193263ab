import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { inject } from 'vitest'
import { createApp } from '../../bot/app'
import { type Clock, systemClock } from '../../bot/domain/context'
import { applyDirectory } from '../../bot/domain/org/apply-directory'
import { parseEnv } from '../../bot/env'
import { newId } from '../../bot/lib/ids'
import { createLogger } from '../../bot/lib/logger'
import { createFeishuPlatform, type FeishuPlatform } from '../../bot/platforms/feishu/adapter'
import type { FeishuInboundDeps, FeishuInboundOptions } from '../../bot/platforms/feishu/inbound'
import { MemoryRateLimiter, type RateLimiter } from '../../bot/platforms/rate-limit'
import { PlatformRegistry } from '../../bot/platforms/registry'
import { type Database, migrateDatabase, openDatabase } from '../../db/client'
import { tenants } from '../../db/schema'
import { InlineQueue } from '../../jobs/drivers/inline'
import type { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import type { FakeFeishu } from '../fakes/feishu'
import { TEST_SESSION_SECRET } from './app'
import { openTestDatabase, redisUrl } from './db'

export const VERIFICATION_TOKEN = 'vt-feishu-test-0123456789'
export const ENCRYPT_KEY = 'ek-feishu-test-abcdefghijklmnop'

/**
 * A database of this test file alone: inbound events are outbox rows without a tenant, so a relay of
 * another test file sharing the run's database could take them. PGlite when PostgreSQL is absent.
 */
export async function openOwnDatabase(): Promise<{ database: Database; drop: () => Promise<void> }> {
  const runUrl = inject('databaseUrl')
  if (!runUrl) {
    const database = await openTestDatabase()
    return { database, drop: () => database.close() }
  }
  const name = `flowcard_feishu_${Date.now()}_${process.pid}_${Math.floor(Math.random() * 1e6)}`
  const adminUrl = new URL(runUrl)
  adminUrl.pathname = '/postgres'
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} })
  await admin.unsafe(
    `create database ${name} template template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`,
  )
  const url = new URL(runUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), max: 8 })
  await migrateDatabase(database)
  return {
    database,
    drop: async () => {
      await database.close()
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
    },
  }
}

export interface FeishuStack {
  database: Database
  platform: FeishuPlatform
  queue: InlineQueue
  relay: OutboxRelay
  inbound: FeishuInboundDeps
  app: ReturnType<typeof createApp>
  tenantId: string
  clock: Clock
  /** Waits until the relay and the queue have nothing left to do. */
  settle(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export interface StackOptions {
  encryptKey?: string | null
  limiter?: RateLimiter
  /** Skip creating the tenant and syncing the fake's directory. */
  noTenant?: boolean
}

/**
 * The whole Feishu path over a fake Open API: the real SDK platform, the app with the webhook routes, the
 * outbox relay and the in-process queue running the real processors, and a `feishu` tenant whose directory
 * was synced from the fake's org with `applyDirectory`.
 */
export async function startFeishuStack(
  fake: FakeFeishu,
  database: Database,
  options: StackOptions = {},
): Promise<FeishuStack> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent')
  const clock = systemClock
  const platform = createFeishuPlatform(
    { appId: fake.appId, appSecret: fake.appSecret, domain: fake.url },
    logger,
    { limiter: options.limiter ?? new MemoryRateLimiter(), publicUrl: 'https://flow.example.com' },
  )
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(platform)
  const { relay } = await startWorkers({
    database,
    queue,
    logger,
    clock,
    platforms,
    concurrency: 8,
    relay: { pollMs: 50 },
  })
  if (!relay) throw new Error('startWorkers started no relay')
  const encryptKey = options.encryptKey === undefined ? ENCRYPT_KEY : options.encryptKey
  const inboundOptions: FeishuInboundOptions = {
    verificationToken: VERIFICATION_TOKEN,
    ...(encryptKey ? { encryptKey } : {}),
    botOpenId: () => platform.botOpenId(),
    render: platform.render,
  }
  const inbound: FeishuInboundDeps = { ...inboundOptions, database, logger, clock }
  const env = parseEnv({ LOG_LEVEL: 'silent', DEVCHAT: 'off' })
  const app = createApp({
    env,
    database,
    queue,
    logger,
    clock,
    sessionSecret: TEST_SESSION_SECRET,
    feishu: inboundOptions,
    loginExchangers: {
      feishu: (code) => platform.exchangeLoginCode(code),
    },
  })
  let tenantId = ''
  if (!options.noTenant) {
    tenantId = newId('ten')
    await database.db
      .insert(tenants)
      .values({ id: tenantId, name: 'Feishu test', platform: 'feishu', platformTenantKey: fake.tenantKey })
    const snapshot = await platform.syncDirectory({ id: tenantId, platformTenantKey: fake.tenantKey })
    await applyDirectory({
      ctx: { tenantId, actor: { kind: 'system', reason: 'test' }, db: database.db, clock, logger },
      input: { platform: 'feishu', ...snapshot },
    })
  }
  const settle = async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const [row] = await database.rows<{ n: number }>(
        sql`select count(*)::int as n from outbox where status in ('pending', 'relayed') and available_at <= now()`,
      )
      if ((row?.n ?? 0) === 0) return
      if (Date.now() > deadline) throw new Error(`outbox not settled after ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return {
    database,
    platform,
    queue,
    relay,
    inbound,
    app,
    tenantId,
    clock,
    settle,
    close: async () => {
      await relay.stop()
      await queue.close(2000)
    },
  }
}

export { redisUrl }
