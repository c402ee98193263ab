import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'

export interface AimdOptions {
  min: number
  max: number
  /** Start value (default `max`). */
  initial?: number
  /** Added per calm step (default 1). */
  increase?: number
  /** Multiplied per overloaded step (default 0.5). */
  decrease?: number
}

/**
 * Additive-increase / multiplicative-decrease limit, as TCP uses for its window: halve at once when the
 * signal says overloaded, creep back one step per calm interval. A burst of background work therefore
 * backs off within one interval and returns only as fast as the interactive side stays calm.
 */
export class AimdLimit {
  private current: number
  readonly min: number
  readonly max: number
  private readonly increase: number
  private readonly decrease: number

  constructor(options: AimdOptions) {
    this.min = Math.max(1, Math.floor(options.min))
    this.max = Math.max(this.min, Math.floor(options.max))
    this.increase = options.increase ?? 1
    this.decrease = options.decrease ?? 0.5
    this.current = clamp(Math.floor(options.initial ?? this.max), this.min, this.max)
  }

  get value(): number {
    return this.current
  }

  /** One control step; returns the new limit. */
  update(overloaded: boolean): number {
    const next = overloaded
      ? Math.floor(this.current * this.decrease)
      : Math.floor(this.current + this.increase)
    this.current = clamp(next, this.min, this.max)
    return this.current
  }
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n))

export interface GovernorOptions {
  /** Event-loop delay (p99 over one interval, ms) above which background work backs off (default 20). */
  targetMs?: number
  /** Control interval (default 250 ms). */
  intervalMs?: number
  /** A delay reported by another process (the HTTP parent) counts for this long (default 1000 ms). */
  externalTtlMs?: number
  /** Source of the local delay; default `perf_hooks.monitorEventLoopDelay`. Tests inject one. */
  sample?: () => number
}

interface Control {
  limit: AimdLimit
  apply: (n: number) => void
}

/**
 * Adapts background work to event-loop delay: every interval it reads the p99 delay of this loop (and the
 * latest one the HTTP process reported, when jobs run in a child), and steps each registered AIMD limit
 * (worker concurrency per lane, relay batch size), applying changed values. Interactive requests are not
 * governed; only what can wait is.
 */
export class LoopDelayGovernor {
  private readonly controls: Control[] = []
  private readonly targetMs: number
  private readonly intervalMs: number
  private readonly externalTtlMs: number
  private histogram: IntervalHistogram | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private external = { ms: 0, at: 0 }
  private readonly resolutionMs = 5
  /** The delay the last step saw (diagnostics). */
  lastDelayMs = 0

  constructor(private readonly options: GovernorOptions = {}) {
    this.targetMs = options.targetMs ?? 20
    this.intervalMs = options.intervalMs ?? 250
    this.externalTtlMs = options.externalTtlMs ?? 1000
  }

  /** Registers a limit; `apply` is called with the initial value and on every change. */
  add(limit: AimdLimit, apply: (n: number) => void): this {
    this.controls.push({ limit, apply })
    apply(limit.value)
    return this
  }

  /** A delay measured by another process whose latency this work must protect. */
  observeExternal(ms: number, now = Date.now()): void {
    if (Number.isFinite(ms) && ms >= 0) this.external = { ms, at: now }
  }

  /** One control step with `localMs` as this loop's delay; returns whether it backed off. */
  step(localMs: number, now = Date.now()): boolean {
    const external = now - this.external.at <= this.externalTtlMs ? this.external.ms : 0
    const delay = Math.max(localMs, external)
    this.lastDelayMs = delay
    const overloaded = delay > this.targetMs
    for (const c of this.controls) {
      const before = c.limit.value
      const after = c.limit.update(overloaded)
      if (after !== before) c.apply(after)
    }
    return overloaded
  }

  /** This loop's p99 delay since the last read, in ms (resolution subtracted). */
  readLocal(): number {
    if (this.options.sample) return this.options.sample()
    const h = this.histogram
    if (!h) return 0
    const p99 = h.count > 0 ? h.percentile(99) / 1e6 : 0
    h.reset()
    return Math.max(0, p99 - this.resolutionMs)
  }

  start(): this {
    if (this.timer) return this
    if (!this.options.sample) {
      this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs })
      this.histogram.enable()
    }
    this.timer = setInterval(() => this.step(this.readLocal()), this.intervalMs)
    this.timer.unref?.()
    return this
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.histogram?.disable()
    this.histogram = null
  }
}

/**
 * Measures this loop's delay and hands it to `report` every interval (the HTTP process of `npm start`
 * sends it to its job children). Returns a stop function.
 */
export function reportLoopDelay(report: (ms: number) => void, intervalMs = 250): () => void {
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  const timer = setInterval(() => {
    const p99 = h.count > 0 ? h.percentile(99) / 1e6 : 0
    h.reset()
    report(Math.max(0, p99 - 5))
  }, intervalMs)
  timer.unref?.()
  return () => {
    clearInterval(timer)
    h.disable()
  }
}
