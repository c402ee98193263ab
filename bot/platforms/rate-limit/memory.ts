import { type Acquired, gcra, type Rate, type RateLimiter } from './types'

/** Single-process limiter: exact for one worker process; use the Redis one when several share a budget. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(key: string, rate: Rate, options: { maxWaitMs?: number } = {}): Promise<Acquired> {
    const now = this.now()
    const step = gcra(this.tats.get(key), now, rate, options.maxWaitMs ?? Number.POSITIVE_INFINITY)
    if (!step.ok) return step
    this.tats.set(key, step.tat)
    if (this.tats.size > 10_000) this.sweep(now)
    return { ok: true, waitMs: step.waitMs }
  }

  /** Drops keys whose budget is full again (their state equals a fresh key's). */
  private sweep(now: number): void {
    for (const [k, tat] of this.tats) if (tat <= now) this.tats.delete(k)
  }
}
