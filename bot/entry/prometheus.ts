import { createHash, timingSafeEqual } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Context } from 'hono'
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client'
import type { Database } from '../../db/client'
import type { JobQueue } from '../../jobs/queue'
import type { Metrics } from '../lib/metrics'

/** What one process's registry hands to the process that answers `/metrics` (JSON over IPC). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[]

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300]

/**
 * Prometheus metrics for one process (prom-client). Every series carries `process` (`http`, `jobs-1`, …) so
 * the HTTP process can merge its job children's series into one answer. Counters and histograms are
 * recorded as things happen; the outbox, queue and database-pool gauges are read when scraped
 * ({@link PrometheusMetrics.watch}), from PostgreSQL and Redis, so they are the same whichever process asks.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry()
  private readonly http: Histogram<'route' | 'method' | 'status'>
  private readonly inbound: Counter<'platform' | 'kind'>
  private readonly sends: Counter<'platform' | 'operation' | 'result' | 'code'>
  private readonly jobs: Histogram<'job' | 'result'>
  private readonly limited: Counter<'budget'>

  constructor(processName: string) {
    this.registry.setDefaultLabels({ process: processName })
    collectDefaultMetrics({ register: this.registry, prefix: 'flowcard_' })
    const registers = [this.registry]
    this.http = new Histogram({
      name: 'flowcard_http_request_duration_seconds',
      help: 'HTTP answers by route pattern, method and status (webhook acks included)',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.inbound = new Counter({
      name: 'flowcard_inbound_events_total',
      help: 'Platform events accepted (redeliveries not counted), by platform and kind',
      labelNames: ['platform', 'kind'],
      registers,
    })
    this.sends = new Counter({
      name: 'flowcard_platform_sends_total',
      help: 'Platform sends and card updates by result (ok, rate_limited, permanent, error) and platform code',
      labelNames: ['platform', 'operation', 'result', 'code'],
      registers,
    })
    this.jobs = new Histogram({
      name: 'flowcard_job_duration_seconds',
      help: 'Job tries by job name and result (ok, retry_later, failed)',
      labelNames: ['job', 'result'],
      buckets: JOB_BUCKETS,
      registers,
    })
    this.limited = new Counter({
      name: 'flowcard_rate_limited_total',
      help: 'Requests refused by a rate budget (429), by budget',
      labelNames: ['budget'],
      registers,
    })
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.http.observe({ route, method, status: String(status) }, seconds)
  }

  inboundEvent(platform: string, kind: string): void {
    this.inbound.inc({ platform, kind })
  }

  platformSend(platform: string, operation: 'send' | 'update', result: string, code: string): void {
    this.sends.inc({ platform, operation, result, code })
  }

  job(name: string, result: 'ok' | 'retry_later' | 'failed', seconds: number): void {
    this.jobs.observe({ job: name, result }, seconds)
  }

  rateLimited(budget: string): void {
    this.limited.inc({ budget })
  }

  /**
   * Gauges read at scrape time: outbox rows by status and the age of the oldest due row (relay lag), queue
   * depth per lane and state, and database connections of this application by state.
   */
  watch(deps: { database: Database; queue: JobQueue; poolMax: number }): void {
    const registers = [this.registry]
    const { database, queue } = deps
    new Gauge({
      name: 'flowcard_outbox_rows',
      help: 'Outbox rows not yet done, by status (pending: waiting for the relay; relayed: queued or running; failed: gave up)',
      labelNames: ['status'],
      registers,
      async collect() {
        const rows = await database.rows<{ status: string; n: number }>(sql`
          select status, count(*)::int as n from outbox where status <> 'done' group by status`)
        this.reset()
        for (const s of ['pending', 'relayed', 'failed']) this.set({ status: s }, 0)
        for (const r of rows) this.set({ status: r.status }, Number(r.n))
      },
    })
    new Gauge({
      name: 'flowcard_outbox_lag_seconds',
      help: 'Age of the oldest due outbox row still waiting for the relay (0 when none)',
      registers,
      async collect() {
        const [row] = await database.rows<{ lag: number | null }>(sql`
          select extract(epoch from now() - min(available_at))::float8 as lag from outbox
          where status = 'pending' and available_at <= now()`)
        this.set(Math.max(0, Number(row?.lag ?? 0)))
      },
    })
    new Gauge({
      name: 'flowcard_queue_jobs',
      help: 'Jobs in the queue by lane and state',
      labelNames: ['lane', 'state'],
      registers,
      async collect() {
        if (!queue.counts) return
        const counts = await queue.counts()
        for (const [lane, c] of Object.entries(counts))
          for (const [state, n] of Object.entries(c)) this.set({ lane, state }, n)
      },
    })
    new Gauge({
      name: 'flowcard_db_connections',
      help: "This application's PostgreSQL connections by state (all processes), and the pool size of this one (state=max)",
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset()
        this.set({ state: 'max' }, deps.poolMax)
        if (database.kind !== 'postgres') return
        const rows = await database.rows<{ state: string | null; n: number }>(sql`
          select coalesce(state, 'unknown') as state, count(*)::int as n from pg_stat_activity
          where datname = current_database() and application_name = 'flowcard' group by 1`)
        for (const r of rows) this.set({ state: r.state ?? 'unknown' }, Number(r.n))
      },
    })
  }

  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON()
  }

  /** This process's series merged with other processes' snapshots, in the Prometheus text format. */
  async render(others: MetricsSnapshot[] = []): Promise<{ contentType: string; body: string }> {
    if (others.length === 0)
      return { contentType: this.registry.contentType, body: await this.registry.metrics() }
    const merged = AggregatorRegistry.aggregate([await this.snapshot(), ...others])
    return { contentType: merged.contentType, body: await merged.metrics() }
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * `GET /metrics`: 404 unless a token is configured (off by default), 401 without `Authorization: Bearer
 * <token>` (compared in constant time), else the text format.
 */
export function metricsHandler(options: {
  token: string | undefined
  render: () => Promise<{ contentType: string; body: string }>
}) {
  const expected = options.token ? digest(options.token) : null
  return async (c: Context) => {
    if (!expected)
      return c.json({ error: { code: 'not_found', message: 'metrics are off (set METRICS_TOKEN)' } }, 404)
    const header = c.req.header('authorization') ?? ''
    const given = header.startsWith('Bearer ') ? header.slice(7) : ''
    if (!timingSafeEqual(digest(given), expected))
      return c.json({ error: { code: 'unauthenticated', message: 'metrics need the bearer token' } }, 401, {
        'www-authenticate': 'Bearer realm="metrics"',
      })
    const { contentType, body } = await options.render()
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' })
  }
}
