import { describe, expect, it } from 'vitest'
import { MemoryRateLimiter } from './memory'

describe('GCRA limiter (in-memory)', () => {
  it('lets a burst through, then paces at the rate, and refuses waits beyond maxWaitMs', async () => {
    let now = 1_000_000
    const limiter = new MemoryRateLimiter(() => now)
    const rate = { ratePerSec: 5, burst: 2 }
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const r = await limiter.acquire('k', rate)
      if (!r.ok) throw new Error('refused')
      waits.push(Math.round(r.waitMs))
    }
    expect(waits).toEqual([0, 0, 200, 400, 600])
    expect(await limiter.acquire('k', rate, { maxWaitMs: 100 })).toEqual({ ok: false, retryAfterMs: 800 })
    now += 2000
    expect(await limiter.acquire('k', rate)).toEqual({ ok: true, waitMs: 0 })
    expect(await limiter.acquire('other', rate)).toEqual({ ok: true, waitMs: 0 })
  })

  it('never admits more than 50 in a second or 1000 in a minute at the app rate', async () => {
    let now = 0
    const limiter = new MemoryRateLimiter(() => now)
    const sent: number[] = []
    for (let i = 0; i < 1200; i++) {
      const r = await limiter.acquire('app', { ratePerSec: 16, burst: 20 })
      if (!r.ok) throw new Error('refused')
      now += r.waitMs
      sent.push(now)
    }
    const maxIn = (windowMs: number) => {
      let best = 0
      let lo = 0
      for (let hi = 0; hi < sent.length; hi++) {
        while ((sent[hi] ?? 0) - (sent[lo] ?? 0) >= windowMs) lo++
        best = Math.max(best, hi - lo + 1)
      }
      return best
    }
    expect(maxIn(1000)).toBeLessThanOrEqual(50)
    expect(maxIn(60_000)).toBeLessThanOrEqual(1000)
  })
})
