import { describe, expect, it } from 'vitest'
import { GroupCommit } from './group-commit'

describe('GroupCommit', () => {
  it('hands items that arrive while a batch is in flight to the next batch, answering each in order', async () => {
    const batches: number[][] = []
    const g = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items)
        await new Promise((r) => setImmediate(r))
        return items.map((x) => x * 10)
      },
      { maxBatch: 4, maxInFlight: 1 },
    )
    const out = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => g.submit(x)))
    expect(out).toEqual([10, 20, 30, 40, 50, 60])
    expect(batches).toEqual([[1], [2, 3, 4, 5], [6]])
  })

  it('runs the items of a failed batch one by one, so only the bad one fails', async () => {
    const g = new GroupCommit<number, number>(
      async (items) => {
        await new Promise((r) => setImmediate(r))
        if (items.includes(3)) throw new Error('bad item 3')
        return items
      },
      { maxBatch: 8, maxInFlight: 1 },
    )
    const out = await Promise.allSettled([1, 2, 3, 4].map((x) => g.submit(x)))
    expect(out.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      1,
      2,
      'bad item 3',
      4,
    ])
  })
})
