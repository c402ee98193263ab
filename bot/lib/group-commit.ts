/**
 * Group commit: work items arriving while a batch is in flight are handed to `run` together as the next
 * batch, so under load one transaction (and one WAL flush) serves many requests, and at low load an item
 * runs at once (no timer). `run` answers one result per item, in order. When a batch fails, its items are
 * run again one by one, so a bad item fails alone and the others still succeed. An item may carry work of
 * its own (a push of many leads): `weight` says how much, and a batch takes items up to `maxBatch` weight
 * (always at least one item), so a transaction stays bounded whatever the mix.
 */
export interface GroupCommitOptions<In> {
  /** Most weight per batch (items, when there is no `weight`). */
  maxBatch: number
  maxInFlight: number
  /** An item's share of `maxBatch` (default 1). */
  weight?: (item: In) => number
}

export class GroupCommit<In, Out> {
  private readonly queue: Array<{ item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> =
    []
  private inFlight = 0

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly options: GroupCommitOptions<In> = { maxBatch: 64, maxInFlight: 2 },
  ) {}

  submit = (item: In): Promise<Out> =>
    new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      this.pump()
    })

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.take())
      this.inFlight++
      void this.flush(batch).finally(() => {
        this.inFlight--
        this.pump()
      })
    }
  }

  /** How many queued items the next batch takes: up to `maxBatch` weight, at least one. */
  private take(): number {
    const { weight, maxBatch } = this.options
    if (!weight) return maxBatch
    let n = 0
    let sum = 0
    for (const p of this.queue) {
      const w = Math.max(1, weight(p.item))
      if (n > 0 && sum + w > maxBatch) break
      sum += w
      n++
    }
    return n
  }

  private async flush(batch: GroupCommit<In, Out>['queue']): Promise<void> {
    try {
      const out = await this.run(batch.map((p) => p.item))
      for (const [i, p] of batch.entries()) p.resolve(out[i] as Out)
      return
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err)
        return
      }
    }
    for (const p of batch) {
      try {
        const [out] = await this.run([p.item])
        p.resolve(out as Out)
      } catch (err) {
        p.reject(err)
      }
    }
  }
}

/**
 * One {@link GroupCommit} per (owner object, key) — e.g. per database handle and tenant, so concurrent work
 * of one tenant shares a transaction and tenants never wait on each other. Queues die with their owner.
 */
export function groupCommitPer<In, Out>(
  run: (items: In[]) => Promise<Out[]>,
  options?: GroupCommitOptions<In>,
): (owner: object, key: string) => GroupCommit<In, Out> {
  const queues = new WeakMap<object, Map<string, GroupCommit<In, Out>>>()
  return (owner, key) => {
    let byKey = queues.get(owner)
    if (!byKey) {
      byKey = new Map()
      queues.set(owner, byKey)
    }
    let queue = byKey.get(key)
    if (!queue) {
      queue = new GroupCommit(run, options)
      byKey.set(key, queue)
    }
    return queue
  }
}
