import { describe, expect, it } from 'vitest'
import { AimdLimit, LoopDelayGovernor } from './backpressure'
import { InlineQueue } from './drivers/inline'
import { laneOf } from './queue'

describe('AimdLimit', () => {
  it('halves at once when overloaded and creeps back one step per calm interval', () => {
    const limit = new AimdLimit({ min: 2, max: 16 })
    expect(limit.value).toBe(16)
    expect(limit.update(true)).toBe(8)
    expect(limit.update(true)).toBe(4)
    expect(limit.update(true)).toBe(2)
    expect(limit.update(true)).toBe(2)
    expect(limit.update(false)).toBe(3)
    expect(limit.update(false)).toBe(4)
    for (let i = 0; i < 50; i++) limit.update(false)
    expect(limit.value).toBe(16)
  })

  it('keeps a floor of one and clamps the start value', () => {
    const limit = new AimdLimit({ min: 0, max: 3, initial: 10, increase: 5 })
    expect(limit.value).toBe(3)
    expect(limit.update(true)).toBe(1)
    expect(limit.update(true)).toBe(1)
    expect(limit.update(false)).toBe(3)
  })
})

describe('LoopDelayGovernor', () => {
  it('applies each registered limit when the delay crosses the target, and only on change', () => {
    const applied: number[] = []
    const governor = new LoopDelayGovernor({ targetMs: 20, sample: () => 0 })
    governor.add(new AimdLimit({ min: 1, max: 8 }), (n) => applied.push(n))
    expect(applied).toEqual([8])
    expect(governor.step(5)).toBe(false)
    expect(applied).toEqual([8])
    expect(governor.step(45)).toBe(true)
    expect(governor.step(45)).toBe(true)
    expect(governor.step(3)).toBe(false)
    expect(applied).toEqual([8, 4, 2, 3])
  })

  it('backs off on a delay reported by the HTTP process until that report goes stale', () => {
    const limit = new AimdLimit({ min: 1, max: 8 })
    const governor = new LoopDelayGovernor({ targetMs: 20, externalTtlMs: 1000 }).add(limit, () => {})
    governor.observeExternal(80, 10_000)
    expect(governor.step(0, 10_500)).toBe(true)
    expect(governor.lastDelayMs).toBe(80)
    expect(limit.value).toBe(4)
    expect(governor.step(0, 11_500)).toBe(false)
    expect(limit.value).toBe(5)
  })

  it('measures the real event loop: a loop kept busy reads as late', async () => {
    const governor = new LoopDelayGovernor({ intervalMs: 10_000 }).start()
    await new Promise((r) => setTimeout(r, 30))
    governor.readLocal()
    // Tasks of 40 ms back to back, as a burst of synchronous background work would run.
    for (let k = 0; k < 8; k++) {
      await new Promise((r) => setTimeout(r, 1))
      const until = performance.now() + 40
      while (performance.now() < until) {
        // busy
      }
    }
    await new Promise((r) => setTimeout(r, 20))
    expect(governor.readLocal()).toBeGreaterThan(20)
    governor.stop()
  })
})

describe('lanes', () => {
  it('puts imports, exports, report rebuilds and periodic scans in the background lane', () => {
    expect(laneOf('crm.import.run')).toBe('background')
    expect(laneOf('crm.export.run')).toBe('background')
    expect(laneOf('reports.rebuild')).toBe('background')
    expect(laneOf('system.housekeeping')).toBe('background')
    expect(laneOf('org.sync_all_directories')).toBe('background')
    expect(laneOf('send.message')).toBe('send')
    expect(laneOf('inbound.event')).toBe('main')
    expect(laneOf('approval.remind')).toBe('main')
    expect(laneOf('crm.follow_up.remind')).toBe('main')
  })

  it('runs background jobs one at a time beside interactive ones, and follows a changed lane limit', async () => {
    const queue = new InlineQueue()
    let running = 0
    let peakBackground = 0
    const gates: Array<() => void> = []
    const started: string[] = []
    const hold = (name: string) => async () => {
      started.push(name)
      if (name === 'bg') {
        running++
        peakBackground = Math.max(peakBackground, running)
      }
      await new Promise<void>((r) => gates.push(r))
      if (name === 'bg') running--
    }
    await queue.work({ 'crm.import.run': hold('bg'), 'inbound.event': hold('main') }, { concurrency: 8 })
    for (let i = 0; i < 4; i++) await queue.add('crm.import.run', {})
    for (let i = 0; i < 3; i++) await queue.add('inbound.event', {})
    await new Promise((r) => setTimeout(r, 10))
    expect(started.filter((s) => s === 'bg')).toHaveLength(1)
    expect(started.filter((s) => s === 'main')).toHaveLength(3)
    queue.setConcurrency('background', 2)
    await new Promise((r) => setTimeout(r, 10))
    expect(started.filter((s) => s === 'bg')).toHaveLength(2)
    while (queue.pendingCount() > 0) {
      for (const g of gates.splice(0)) g()
      await new Promise((r) => setTimeout(r, 5))
    }
    expect(peakBackground).toBe(2)
    await queue.close(100)
  })
})
