import { describe, expect, it } from 'vitest'
import { SendWindow } from './send-window'

/** A simulated clock: `sleep` wakes a waiter at its due time plus a lateness drawn by `late`. */
function simulatedClock(late: () => number) {
  let now = 0
  const timers: Array<{ at: number; wake: () => void }> = []
  return {
    now: () => now,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + ms + late(), wake: resolve })
      }),
    /** Runs every timer in time order until none is left. */
    async drain() {
      for (;;) {
        await new Promise((r) => setImmediate(r))
        if (timers.length === 0) return
        timers.sort((a, b) => a.at - b.at)
        const t = timers.shift() as { at: number; wake: () => void }
        now = Math.max(now, t.at)
        t.wake()
      }
    },
  }
}

const maxInWindow = (times: number[], windowMs: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= windowMs) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}

describe('SendWindow', () => {
  it('never lets more than `limit` depart in any window, however late the waiters wake', async () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    // Half the wake-ups on time, half up to 120 ms late: the bunching that got GCRA-paced calls refused.
    const clock = simulatedClock(() => (random() < 0.5 ? 0 : random() * 120))
    const window = new SendWindow(clock.now, clock.sleep)
    const departures: number[] = []
    const senders = Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 25; i++) {
        await window.admit('api', 20, 1000)
        departures.push(clock.now())
      }
    })
    const all = Promise.all(senders)
    await clock.drain()
    await all
    expect(departures).toHaveLength(400)
    expect(maxInWindow(departures, 1000)).toBe(20)
    // Lateness slows the pace a little but never by more than the late wake-ups themselves.
    const span = Math.max(...departures) - Math.min(...departures)
    expect(400 / (span / 1000)).toBeGreaterThan(17)
  })

  it('lets the first `limit` go at once and keeps keys apart', async () => {
    const clock = simulatedClock(() => 0)
    const window = new SendWindow(clock.now, clock.sleep)
    const a: number[] = []
    const b: number[] = []
    const run = Promise.all([
      ...Array.from({ length: 6 }, () => window.admit('a', 3, 1000).then(() => a.push(clock.now()))),
      ...Array.from({ length: 3 }, () => window.admit('b', 3, 1000).then(() => b.push(clock.now()))),
    ])
    await clock.drain()
    await run
    expect(a).toEqual([0, 0, 0, 1000, 1000, 1000])
    expect(b).toEqual([0, 0, 0])
  })
})
