import { MemoryRateLimiter } from './memory'
import { RedisRateLimiter } from './redis'
import type { RateLimiter } from './types'

export { MemoryRateLimiter } from './memory'
export { RedisRateLimiter } from './redis'
export * from './types'

/** The shared Redis limiter when REDIS_URL is set (several workers, one budget), else in-memory. */
export function createRateLimiter(redisUrl: string | undefined): RateLimiter {
  return redisUrl ? new RedisRateLimiter(redisUrl) : new MemoryRateLimiter()
}
