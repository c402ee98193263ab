/**
 * Sliding-window request limiter for the fake. Sliding (not fixed) windows are the stricter reading of
 * Feishu's "50/s and 1000/min": a client that never trips this never trips the real gateway either.
 */

export interface WindowRule {
  /** Requests allowed per window. */
  limit: number
  windowMs: number
}

export type LimitDecision =
  | { ok: true }
  | { ok: false; limit: number; windowMs: number; resetSeconds: number }

class TimeLog {
  private times: number[] = []
  private head = 0

  trim(before: number): void {
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= before) this.head++
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head)
      this.head = 0
    }
  }

  /** Timestamps strictly after `since`, oldest first (a view; do not keep). */
  countSince(since: number): { count: number; oldestIndex: number } {
    let lo = this.head
    let hi = this.times.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.times[mid] ?? 0) <= since) lo = mid + 1
      else hi = mid
    }
    return { count: this.times.length - lo, oldestIndex: lo }
  }

  at(i: number): number {
    return this.times[i] ?? 0
  }

  push(t: number): void {
    this.times.push(t)
  }

  get size(): number {
    return this.times.length - this.head
  }
}

/** Keyed sliding-window limiter; a request is recorded only when every rule admits it. */
export class SlidingWindowLimiter {
  private readonly logs = new Map<string, TimeLog>()

  /** Admits and records one request under `key`, or says which rule refused it and when to retry. */
  hit(key: string, rules: WindowRule[], now: number): LimitDecision {
    const active = rules.filter((r) => r.limit > 0 && Number.isFinite(r.limit))
    if (active.length === 0) return { ok: true }
    let log = this.logs.get(key)
    if (!log) {
      log = new TimeLog()
      this.logs.set(key, log)
    }
    const longest = Math.max(...active.map((r) => r.windowMs))
    log.trim(now - longest)
    for (const rule of active) {
      const { count, oldestIndex } = log.countSince(now - rule.windowMs)
      if (count >= rule.limit) {
        // The request fits again once (count - limit + 1) entries have left this window.
        const freeAt = log.at(oldestIndex + (count - rule.limit)) + rule.windowMs
        const resetSeconds = Math.max(1, Math.ceil((freeAt - now) / 1000))
        return { ok: false, limit: rule.limit, windowMs: rule.windowMs, resetSeconds }
      }
    }
    log.push(now)
    return { ok: true }
  }

  /** Forgets all history (e.g. between bench phases). */
  reset(): void {
    this.logs.clear()
  }

  /** Number of keys currently tracked, for leak checks in long benches. */
  get keyCount(): number {
    return this.logs.size
  }

  /** Requests currently inside the longest window for `key`. */
  pending(key: string): number {
    return this.logs.get(key)?.size ?? 0
  }
}
