import { createApp } from '../../bot/app'
import { parseEnv } from '../../bot/env'
import { type Clock, systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import {
  cardApiSecretOf,
  createDingtalkPlatform,
  type DingtalkPlatform,
} from '../../bot/platforms/dingtalk/adapter'
import type { DingtalkInboundDeps, DingtalkInboundOptions } from '../../bot/platforms/dingtalk/inbound'
import { createDingtalkMeter } from '../../bot/platforms/dingtalk/usage-meter'
import { CARD_CALLBACK_ROUTE_KEY } from '../../bot/platforms/dingtalk/wiring'
import { MemoryRateLimiter, type RateLimiter } from '../../bot/platforms/rate-limit'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import type { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import type { FakeDingtalk } from '../fakes/dingtalk'
import { TEST_SESSION_SECRET } from './app'
import { createSyncedTenant, settleOutbox } from './platform-tenant'

export const DINGTALK_EVENT_TOKEN = 'dt-event-token-test'
export const DINGTALK_AES_KEY = 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7'
export const DINGTALK_TEMPLATE_ID = 'fc000000-0000-0000-0000-000000000001.schema'
export const PUBLIC_URL = 'https://flow.example.com'

export interface DingtalkStack {
  database: Database
  platform: DingtalkPlatform
  relay: OutboxRelay
  queue: InlineQueue
  inbound: DingtalkInboundDeps
  app: ReturnType<typeof createApp>
  tenantId: string
  clock: Clock
  cardApiSecret: string
  settle(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/**
 * The whole DingTalk path over the fake Open API: the real adapter (fetch client, GCRA limiter), the app
 * with the `/webhooks/dingtalk/*` routes, the outbox relay and the in-process queue running the real
 * processors, and a `dingtalk` tenant whose directory was synced from the fake with `applyDirectory`.
 */
export async function startDingtalkStack(
  fake: FakeDingtalk,
  database: Database,
  options: {
    limiter?: RateLimiter
    /** Cards' callbacks: `HTTP` (webhook mode, the default) or `STREAM` (stream mode: no HTTP routes). */
    callbacks?: 'HTTP' | 'STREAM'
    /** Pace per API per app (default: the adapter's). */
    apiRatePerSec?: number
    /** Read each user's manager during the directory sync (one call per user; default true). */
    syncManagers?: boolean
    concurrency?: number
    /** Skip creating the tenant and syncing the fake's directory (first contact creates it). */
    noTenant?: boolean
    /** Extra environment (FLOWCARD_ADMINS). */
    env?: Record<string, string>
  } = {},
): Promise<DingtalkStack> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent')
  const clock = systemClock
  const cardApiSecret = cardApiSecretOf(fake.appSecret)
  const platform = createDingtalkPlatform(
    {
      clientId: fake.appKey,
      clientSecret: fake.appSecret,
      apiBase: fake.url,
      oapiBase: fake.url,
      robotCode: fake.robotCode,
      cardTemplateId: DINGTALK_TEMPLATE_ID,
    },
    logger,
    {
      limiter: options.limiter ?? new MemoryRateLimiter(),
      publicUrl: PUBLIC_URL,
      corpId: fake.corpId,
      ...(options.apiRatePerSec ? { apiRate: { ratePerSec: options.apiRatePerSec, burst: 1 } } : {}),
      ...(options.syncManagers === false ? { syncManagers: false } : {}),
      ...(options.callbacks === 'STREAM'
        ? {}
        : {
            cardCallback: {
              routeKey: CARD_CALLBACK_ROUTE_KEY,
              url: `${PUBLIC_URL}/webhooks/dingtalk/cards`,
              apiSecret: cardApiSecret,
            },
          }),
    },
  )
  const meter = createDingtalkMeter(database, clock, logger)
  platform.useMeter(meter)
  const queue = new InlineQueue()
  const env = parseEnv({ LOG_LEVEL: 'silent', DEVCHAT: 'off', ...options.env })
  const platforms = new PlatformRegistry().register(platform)
  const { relay } = await startWorkers({
    database,
    queue,
    logger,
    clock,
    platforms,
    concurrency: options.concurrency ?? 8,
    relay: { pollMs: 50 },
    processors: { bootstrapAdmins: env.FLOWCARD_ADMINS },
  })
  if (!relay) throw new Error('startWorkers started no relay')
  const inboundOptions: DingtalkInboundOptions = {
    clientId: fake.appKey,
    clientSecret: fake.appSecret,
    cardApiSecret,
    eventToken: DINGTALK_EVENT_TOKEN,
    aesKey: DINGTALK_AES_KEY,
    render: platform.render,
    meter,
  }
  const app = createApp({
    env,
    platforms,
    database,
    queue,
    logger,
    clock,
    sessionSecret: TEST_SESSION_SECRET,
    ...(options.callbacks === 'STREAM' ? {} : { dingtalk: inboundOptions }),
    loginExchangers: {
      dingtalk: (code) => {
        if (!platform.exchangeLoginCode) throw new Error('no login exchange')
        return platform.exchangeLoginCode(code)
      },
    },
  })
  const tenantId = options.noTenant
    ? ''
    : await createSyncedTenant(database, {
        platform,
        tenantKey: fake.corpId,
        name: 'DingTalk test',
        clock,
        logger,
      })
  const settle = (timeoutMs?: number) => settleOutbox(database, timeoutMs)
  return {
    database,
    platform,
    relay,
    queue,
    inbound: { ...inboundOptions, database, logger, clock },
    app,
    tenantId,
    clock,
    cardApiSecret,
    settle,
    close: async () => {
      await relay.stop()
      await queue.close(2000)
    },
  }
}
