import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../domain/errors'
// Not the package index: it pulls in the Redis driver, which the Workers bundle must not carry.
import { MemoryRateLimiter } from '../../platforms/rate-limit/memory'
import type { Rate, RateLimiter } from '../../platforms/rate-limit/types'
import { errorBody } from '../errors'
import type { AppEnv } from '../types'

/**
 * Request budgets (GCRA, the same limiter the platform senders use; shared through Redis when REDIS_URL is
 * set, so several instances draw from one budget). Over budget: 429 with `Retry-After`, nothing done.
 */
export const HTTP_RATES = {
  /** Each login attempt costs the app an Open API call with its secret. */
  loginPerClient: { ratePerSec: 10 / 60, burst: 10 },
  loginPerPlatform: { ratePerSec: 20, burst: 200 },
  /** Signed calls from one external system (per calling address). */
  external: { ratePerSec: 20, burst: 100 },
  /** Imports and exports are CPU-heavy: per person. */
  import: { ratePerSec: 20 / 3600, burst: 5 },
  export: { ratePerSec: 60 / 3600, burst: 10 },
  /** Address lookups cost the deployment's map-service quota: per person. */
  geocode: { ratePerSec: 1, burst: 20 },
} satisfies Record<string, Rate>

const fallback = new WeakMap<object, RateLimiter>()

function limiterOf(c: Context<AppEnv>): RateLimiter {
  const deps = c.get('deps')
  if (deps.rateLimiter) return deps.rateLimiter
  let own = fallback.get(deps)
  if (!own) {
    own = new MemoryRateLimiter()
    fallback.set(deps, own)
  }
  return own
}

export { clientAddress } from '../client-address'

/**
 * Refuses the request with 429 when any of its budgets is spent. A budget's key of null skips it. When the
 * limiter itself fails (Redis away), the request goes through: availability over strictness.
 */
export function rateLimit(
  name: string,
  budgets: (c: Context<AppEnv>) => Array<{ key: string | null; rate: Rate }>,
) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const limiter = limiterOf(c)
    for (const b of budgets(c)) {
      if (b.key === null) continue
      let result: Awaited<ReturnType<RateLimiter['acquire']>>
      try {
        result = await limiter.acquire(`http:${name}:${b.key}`, b.rate, { maxWaitMs: 0 })
      } catch (err) {
        c.get('logger')?.warn({ err, limit: name }, 'rate limiter unavailable; request let through')
        continue
      }
      if (!result.ok) {
        const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000))
        c.get('deps').onRateLimited?.(name)
        c.header('retry-after', String(seconds))
        return c.json(
          errorBody(c, 'rate_limited', `too many requests (${name}); try again in ${seconds} s`),
          429,
        )
      }
    }
    await next()
  })
}

/**
 * Per signed-in person, called at the start of a handler (after `requireSession`): throws `rate_limited`
 * (429 with Retry-After through the error mapper) when the person's budget is spent.
 */
export async function enforceUserBudget(
  c: Context<AppEnv>,
  name: 'import' | 'export' | 'geocode',
): Promise<void> {
  const s = c.get('session')
  if (!s) return
  let result: Awaited<ReturnType<RateLimiter['acquire']>>
  try {
    result = await limiterOf(c).acquire(`http:${name}:${s.tenantId}:${s.userId}`, HTTP_RATES[name], {
      maxWaitMs: 0,
    })
  } catch (err) {
    c.get('logger')?.warn({ err, limit: name }, 'rate limiter unavailable; request let through')
    return
  }
  if (result.ok) return
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000))
  c.get('deps').onRateLimited?.(name)
  throw new DomainError('rate_limited', `too many ${name}s; try again in ${seconds} s`, {
    retryAfterSeconds: seconds,
  })
}
