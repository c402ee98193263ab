import { createApp } from '../../bot/app'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import type { Geocoder } from '../../bot/lib/geocoder'
import { type AppLogger, createLogger } from '../../bot/lib/logger'
import type { BlobStorage } from '../../bot/lib/storage/types'
import type { RateLimiter } from '../../bot/platforms/rate-limit'
import type { Database } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import type { JobQueue } from '../../jobs/queue'

/** Strong enough for a production-mode process (the Workers test boots the entry as production). */
export const TEST_SESSION_SECRET = 'Qm7vT2xL9pR4kW8nZ3yB6cH1jD5fG0sAeU'
/** A fixed `ENCRYPTION_KEYS` for processes a test starts in production mode or several at once. */
export const TEST_ENCRYPTION_KEYS = 'test1:2n3oqUjzB1cAvT0mRtIr0rP4lGkQ3d3KfP1jv4Z8S9w='

/** The real app over a test database and queue, for `app.request()` tests. */
export function testApp(
  database: Database,
  options: {
    queue?: JobQueue
    env?: Record<string, string>
    storage?: BlobStorage
    rateLimiter?: RateLimiter
    geocoder?: Geocoder
    /** The app's logger (default: silent). */
    logger?: AppLogger
  } = {},
) {
  const env = parseEnv({ LOG_LEVEL: 'silent', ...options.env })
  const queue = options.queue ?? new InlineQueue()
  const logger = options.logger ?? createLogger('silent')
  const sessionSecret = TEST_SESSION_SECRET
  return {
    app: createApp({
      env,
      database,
      queue,
      logger,
      clock: systemClock,
      sessionSecret,
      ...(options.storage ? { storage: options.storage } : {}),
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
      ...(options.geocoder ? { geocoder: options.geocoder } : {}),
    }),
    queue,
    env,
    logger,
  }
}
