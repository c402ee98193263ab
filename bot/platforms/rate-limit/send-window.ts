/**
 * The last guard before a request leaves this process: at most `limit` requests per key in any `windowMs`,
 * counted at the moment each one actually departs. The GCRA limiter reserves slots ahead of time, so a
 * caller that wakes late (a busy event loop) and the next one that wakes on time can put 21 requests into
 * one second of the platform's sliding window; the platform then refuses the 21st (DingTalk's
 * `QpsLimitForAppkeyAndApi`), which costs a retry. Here a request waits for the request `limit` places
 * before it to have departed and for `windowMs` to have passed since: lateness can only slow later requests
 * down, never bunch them up. Per process; the shared GCRA limiter still paces across processes.
 */
interface Departure {
  at: number
  departed: Promise<void>
  markDeparted: () => void
}

export class SendWindow {
  private readonly queues = new Map<string, Departure[]>()

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when a request under `key` may depart; the caller sends right after. */
  async admit(key: string, limit: number, windowMs: number): Promise<void> {
    let queue = this.queues.get(key)
    if (!queue) {
      queue = []
      this.queues.set(key, queue)
    }
    const before = queue.length >= limit ? queue[queue.length - limit] : undefined
    let markDeparted = () => {}
    const departed = new Promise<void>((resolve) => {
      markDeparted = resolve
    })
    const me: Departure = { at: Number.POSITIVE_INFINITY, departed, markDeparted }
    queue.push(me)
    // Only the last `limit` departures can hold anyone back (earlier ones stay reachable from their waiters).
    if (queue.length > limit) queue.splice(0, queue.length - limit)
    try {
      if (before) {
        await before.departed
        for (let wait = before.at + windowMs - this.now(); wait > 0; wait = before.at + windowMs - this.now())
          await this.sleep(wait)
      }
    } finally {
      me.at = this.now()
      me.markDeparted()
    }
  }
}
