/**
 * Sender-side rate limiting (GCRA). A key is a budget (`feishu:cli_x:app`, `feishu:cli_x:user:ou_…`); a rate
 * is its steady pace plus how many calls may go back to back. `acquire` reserves the next slot and says how
 * long to wait for it, or refuses without reserving when the wait would exceed `maxWaitMs`.
 */
export interface Rate {
  ratePerSec: number
  /** Calls allowed back to back before pacing starts (≥ 1). */
  burst: number
}

export type Acquired = { ok: true; waitMs: number } | { ok: false; retryAfterMs: number }

export interface RateLimiter {
  acquire(key: string, rate: Rate, options?: { maxWaitMs?: number }): Promise<Acquired>
  close?(): Promise<void>
}

/** One GCRA step on a theoretical arrival time (ms): shared by the in-memory and the Lua implementation. */
export function gcra(
  tat: number | undefined,
  now: number,
  rate: Rate,
  maxWaitMs: number,
): { ok: true; waitMs: number; tat: number } | { ok: false; retryAfterMs: number } {
  const interval = 1000 / rate.ratePerSec
  const tolerance = (Math.max(1, rate.burst) - 1) * interval
  const current = Math.max(tat ?? now, now)
  const at = Math.max(now, current - tolerance)
  const waitMs = at - now
  if (waitMs > maxWaitMs) return { ok: false, retryAfterMs: Math.ceil(waitMs) }
  return { ok: true, waitMs, tat: current + interval }
}

/** Waits for every budget in order (app budget first, then the receiver's); throws nothing. */
export async function acquireAll(
  limiter: RateLimiter,
  budgets: Array<{ key: string; rate: Rate }>,
  maxWaitMs: number,
): Promise<Acquired> {
  let waited = 0
  for (const b of budgets) {
    const r = await limiter.acquire(b.key, b.rate, { maxWaitMs: Math.max(0, maxWaitMs - waited) })
    if (!r.ok) return r
    if (r.waitMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, r.waitMs))
      waited += r.waitMs
    }
  }
  return { ok: true, waitMs: waited }
}
