import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp } from '../../bot/app'
import type { ChatPlatform } from '../../bot/chat/port'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { type BlobStorage, createMemoryStorage } from '../../bot/lib/storage/types'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import type { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import { TEST_SESSION_SECRET } from './app'

export interface Stack {
  url: string
  app: ReturnType<typeof createApp>
  relay: OutboxRelay
  queue: InlineQueue
  platforms: PlatformRegistry
  close(): Promise<void>
}

/**
 * The whole product for one test tenant: HTTP server on loopback, relay (scoped to the tenant, so tests
 * sharing the run's database never take each other's rows), in-process workers and the devchat platform.
 */
export async function startStack(
  database: Database,
  tenant: { tenantId: string; tenantKey: string },
  options: {
    env?: Record<string, string>
    platforms?: ChatPlatform[]
    http?: boolean
    /** Where uploads go; an in-memory store by default, so uploads work as they do with `npm start`. */
    storage?: BlobStorage
  } = {},
): Promise<Stack> {
  const env = parseEnv({ LOG_LEVEL: 'silent', DEVCHAT: 'on', ...options.env })
  const logger = createLogger('silent')
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  for (const p of options.platforms ?? []) platforms.register(p)
  const { relay } = await startWorkers({
    database,
    queue,
    logger,
    clock: systemClock,
    platforms,
    concurrency: 8,
    relay: { ...tenant, pollMs: 200 },
  })
  if (!relay) throw new Error('startWorkers started no relay')
  const app = createApp({
    env,
    database,
    queue,
    logger,
    clock: systemClock,
    sessionSecret: TEST_SESSION_SECRET,
    storage: options.storage ?? createMemoryStorage(),
  })
  let url = ''
  let server: ReturnType<typeof serve> | null = null
  if (options.http !== false) {
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  return {
    url,
    app,
    relay,
    queue,
    platforms,
    close: async () => {
      await relay.stop()
      await queue.close(2000)
      if (server) {
        const s = server as Server
        s.closeAllConnections()
        await new Promise<void>((resolve) => s.close(() => resolve()))
      }
    },
  }
}
