/**
 * One statement (or transaction) at a time, interactive work first.
 *
 * The embedded database is one PGlite instance in this thread: it runs statements one after another in the
 * order they arrive. Without a gate, a card tap's statement queues behind every statement the relay and
 * the in-process jobs have already issued (a notice fan-out issues thousands), so its latency is the
 * backlog's. The gate keeps two queues in front of PGlite: a waiting interactive operation (HTTP, webhooks,
 * card taps) goes before any waiting background one (relay, jobs), so a tap waits for at most the one
 * operation in flight. Background work is not starved: after `fairness` interactive grants in a row while
 * background work waits, one background operation goes (one statement costs the tap a fraction of a ms).
 */
export type Lane = 'interactive' | 'background'

export class PriorityGate {
  private busy = false
  private readonly waiting: Record<Lane, Array<() => void>> = { interactive: [], background: [] }
  private streak = 0
  /** Operations granted per lane (diagnostics and tests). */
  readonly granted: Record<Lane, number> = { interactive: 0, background: 0 }

  constructor(private readonly fairness = 16) {}

  /** Runs `op` when the gate is free and it is `lane`'s turn; the gate is held until `op` settles. */
  async run<T>(lane: Lane, op: () => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting[lane].push(resolve))
    else this.busy = true
    this.granted[lane]++
    try {
      return await op()
    } finally {
      this.release()
    }
  }

  /** Operations waiting in each lane. */
  get depth(): Record<Lane, number> {
    return { interactive: this.waiting.interactive.length, background: this.waiting.background.length }
  }

  private release(): void {
    const { interactive, background } = this.waiting
    let next: (() => void) | undefined
    if (interactive.length > 0 && (background.length === 0 || this.streak < this.fairness)) {
      next = interactive.shift()
      this.streak = background.length > 0 ? this.streak + 1 : 0
    } else {
      next = background.shift()
      this.streak = 0
    }
    // The gate passes straight to the next holder (it stays busy), so nobody can slip in between.
    if (next) next()
    else this.busy = false
  }
}
