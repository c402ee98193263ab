import { describe, expect, it } from 'vitest'
import { GroupCommit, groupCommitPer } from './group-commit'

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

describe('groupCommitPer', () => {
  it('keeps one queue per owner and key: the same key batches together, other keys never share a batch', async () => {
    const batches: string[][] = []
    const queueOf = groupCommitPer<string, string>(
      async (items) => {
        batches.push(items)
        await new Promise((r) => setImmediate(r))
        return items.map((x) => x.toUpperCase())
      },
      { maxBatch: 8, maxInFlight: 1 },
    )
    const db1 = {}
    const db2 = {}
    expect(queueOf(db1, 't1')).toBe(queueOf(db1, 't1'))
    expect(queueOf(db1, 't1')).not.toBe(queueOf(db1, 't2'))
    expect(queueOf(db1, 't1')).not.toBe(queueOf(db2, 't1'))
    const out = await Promise.all([
      queueOf(db1, 't1').submit('a1'),
      queueOf(db1, 't2').submit('b1'),
      queueOf(db1, 't1').submit('a2'),
      queueOf(db1, 't1').submit('a3'),
      queueOf(db2, 't1').submit('c1'),
    ])
    expect(out).toEqual(['A1', 'B1', 'A2', 'A3', 'C1'])
    for (const b of batches) expect(new Set(b.map((x) => x[0])).size).toBe(1)
    expect(batches).toContainEqual(['a2', 'a3'])
  })
})

describe('GroupCommit with weights', () => {
  it('fills a batch up to maxBatch weight, and a heavier item than that still runs alone', async () => {
    const batches: number[][] = []
    const g = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items)
        await new Promise((r) => setImmediate(r))
        return items
      },
      { maxBatch: 10, maxInFlight: 1, weight: (x) => x },
    )
    const out = await Promise.all([1, 4, 5, 2, 30, 3].map((x) => g.submit(x)))
    expect(out).toEqual([1, 4, 5, 2, 30, 3])
    // 1 runs at once; then 4+5 (10), 2 (2+30 > 10), 30 alone, 3.
    expect(batches).toEqual([[1], [4, 5], [2], [30], [3]])
  })
})
