import { createApp } from '../../bot/app'
import { parseEnv } from '../../bot/env'
import { type Clock, systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { createFeishuPlatform, type FeishuPlatform } from '../../bot/platforms/feishu/adapter'
import type { FeishuInboundDeps, FeishuInboundOptions } from '../../bot/platforms/feishu/inbound'
import { MemoryRateLimiter, type RateLimiter } from '../../bot/platforms/rate-limit'
import { PlatformRegistry } from '../../bot/platforms/registry'
import { type Database, openDatabase } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import type { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import { createFakeFeishu, createPushBuilder, type FakeFeishu, type FakeFeishuOptions } from '../fakes/feishu'
import { TEST_SESSION_SECRET } from './app'
import { createOwnDatabase, openTestDatabase, redisUrl, testDatabaseUrl } from './db'
import { createSyncedTenant, settleOutbox } from './platform-tenant'

export const VERIFICATION_TOKEN = 'vt-feishu-test-0123456789'
export const ENCRYPT_KEY = 'ek-feishu-test-abcdefghijklmnop'

/**
 * A database of this test file alone: inbound events are outbox rows without a tenant, so a relay of
 * another test file sharing the run's database could take them. PGlite when PostgreSQL is absent.
 */
export async function openOwnDatabase(): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (!testDatabaseUrl()) {
    const database = await openTestDatabase()
    return { database, drop: () => database.close() }
  }
  const own = await createOwnDatabase('flowcard_feishu')
  const database = await openDatabase({ url: own.url, max: 8 })
  return {
    database,
    drop: async () => {
      await database.close()
      await own.drop()
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
  /** Extra environment (FLOWCARD_ADMINS). */
  env?: Record<string, string>
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
  const env = parseEnv({ LOG_LEVEL: 'silent', DEVCHAT: 'off', ...options.env })
  const { relay } = await startWorkers({
    database,
    queue,
    logger,
    clock,
    platforms,
    concurrency: 8,
    relay: { pollMs: 50 },
    processors: { bootstrapAdmins: env.FLOWCARD_ADMINS },
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
  const app = createApp({
    env,
    platforms,
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
    tenantId = await createSyncedTenant(database, {
      platform,
      tenantKey: fake.tenantKey,
      name: 'Feishu test',
      clock,
      logger,
    })
  }
  const settle = (timeoutMs?: number) => settleOutbox(database, timeoutMs)
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

/** Everything a Feishu integration test file starts with: the fake, its own database, the stack, a push builder. */
export interface FeishuWorld {
  fake: FakeFeishu
  own: { database: Database; drop: () => Promise<void> }
  stack: FeishuStack
  push: ReturnType<typeof createPushBuilder>
  close(): Promise<void>
}

export async function startFeishuWorld(
  options: { fake?: FakeFeishuOptions; stack?: StackOptions } = {},
): Promise<FeishuWorld> {
  const fake = await createFakeFeishu(options.fake)
  const own = await openOwnDatabase()
  const stack = await startFeishuStack(fake, own.database, options.stack)
  const push = createPushBuilder({
    appId: fake.appId,
    tenantKey: fake.tenantKey,
    verificationToken: VERIFICATION_TOKEN,
    encryptKey: ENCRYPT_KEY,
  })
  return {
    fake,
    own,
    stack,
    push,
    close: async () => {
      await stack.close()
      await own.drop()
      await fake.close()
    },
  }
}
