import { describe, expect, it } from 'vitest'
import { PriorityGate } from './priority-gate'

/** An operation the test finishes by hand, recording when it started. */
function manual(log: string[], name: string) {
  let finish!: () => void
  const done = new Promise<void>((r) => {
    finish = r
  })
  return {
    op: async () => {
      log.push(name)
      await done
      return name
    },
    finish: () => finish(),
  }
}

const flush = () => new Promise((r) => setImmediate(r))

describe('PriorityGate', () => {
  it('runs one operation at a time and lets waiting interactive work go before earlier background work', async () => {
    const gate = new PriorityGate()
    const log: string[] = []
    const first = manual(log, 'bg1')
    const running = gate.run('background', first.op)
    const [bg2, bg3, tap1, tap2] = [
      manual(log, 'bg2'),
      manual(log, 'bg3'),
      manual(log, 'tap1'),
      manual(log, 'tap2'),
    ]
    const results = [
      gate.run('background', bg2.op),
      gate.run('background', bg3.op),
      gate.run('interactive', tap1.op),
      gate.run('interactive', tap2.op),
    ]
    await flush()
    expect(log).toEqual(['bg1'])
    expect(gate.depth).toEqual({ interactive: 2, background: 2 })
    first.finish()
    await running
    for (const [name, op] of [
      ['tap1', tap1],
      ['tap2', tap2],
      ['bg2', bg2],
      ['bg3', bg3],
    ] as const) {
      await flush()
      expect(log.at(-1)).toBe(name)
      op.finish()
    }
    expect(await Promise.all(results)).toEqual(['bg2', 'bg3', 'tap1', 'tap2'])
    expect(gate.granted).toEqual({ interactive: 2, background: 3 })
  })

  it('lets one background operation through after `fairness` interactive ones while it waits', async () => {
    const gate = new PriorityGate(2)
    const log: string[] = []
    const order: string[] = []
    const hold = manual(log, 'hold')
    const held = gate.run('interactive', hold.op)
    const all = [
      gate.run('background', async () => void order.push('bg')),
      ...Array.from({ length: 5 }, (_, i) => gate.run('interactive', async () => void order.push(`i${i}`))),
    ]
    hold.finish()
    await held
    await Promise.all(all)
    expect(order).toEqual(['i0', 'i1', 'bg', 'i2', 'i3', 'i4'])
  })

  it('releases the gate when an operation fails', async () => {
    const gate = new PriorityGate()
    await expect(gate.run('interactive', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    )
    expect(await gate.run('background', async () => 'next')).toBe('next')
    expect(gate.depth).toEqual({ interactive: 0, background: 0 })
  })
})
