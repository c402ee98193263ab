import { createRequire } from 'node:module'
import type { Redis } from 'ioredis'
import type { Acquired, Rate, RateLimiter } from './types'

/** ioredis, loaded when the first Redis limiter is made: a start without REDIS_URL never pays its load. */
const ioredis = (): typeof import('ioredis') => createRequire(import.meta.url)('ioredis')

/**
 * GCRA in one Lua script, so every worker process draws from the same budget atomically. Time is Redis's own
 * clock (TIME), so workers with skewed clocks still agree. The key expires once its budget is full again.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local at = tat - tolerance
if at < now then at = now end
local wait = at - now
if wait > maxWait then return {0, math.ceil(wait)} end
local newTat = tat + interval
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now + tolerance) + 1000)
return {1, math.ceil(wait)}
`

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis
  private readonly owned: boolean

  constructor(
    redis: Redis | string,
    private readonly prefix = 'fc:rl:',
  ) {
    this.owned = typeof redis === 'string'
    this.redis = typeof redis === 'string' ? new (ioredis().Redis)(redis, { maxRetriesPerRequest: 3 }) : redis
    this.redis.defineCommand('gcraAcquire', { numberOfKeys: 1, lua: SCRIPT })
  }

  async acquire(key: string, rate: Rate, options: { maxWaitMs?: number } = {}): Promise<Acquired> {
    const interval = 1000 / rate.ratePerSec
    const tolerance = (Math.max(1, rate.burst) - 1) * interval
    const maxWait = options.maxWaitMs ?? 3_600_000
    const run = (
      this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<[number, number]>>
    ).gcraAcquire
    if (!run) throw new Error('gcra script not defined')
    const [ok, wait] = await run.call(this.redis, `${this.prefix}${key}`, interval, tolerance, maxWait)
    return ok === 1 ? { ok: true, waitMs: wait } : { ok: false, retryAfterMs: wait }
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit()
  }
}
