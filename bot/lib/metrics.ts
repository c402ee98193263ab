/**
 * What the service counts for operations, as a small port every layer may call without knowing the
 * exporter: the Node entry plugs in Prometheus (`bot/entry/prometheus.ts`), tests and the Workers entry
 * leave the no-op. Labels are low-cardinality names (a route pattern, a platform, an error code), never
 * ids or user text.
 */
export interface Metrics {
  /** One HTTP answer: the route pattern (`/api/v1/crm/customers/:id`), method, status, seconds. */
  httpRequest(route: string, method: string, status: number, seconds: number): void
  /** One inbound platform event accepted (`platform`, `kind`: message, card, contact, …). */
  inboundEvent(platform: string, kind: string): void
  /** One platform send or card update: `ok`, `rate_limited`, `permanent` (with the platform's code), `error`. */
  platformSend(platform: string, operation: 'send' | 'update', result: string, code: string): void
  /** One job try finished: its name, `ok` / `retry_later` / `failed`, seconds. */
  job(name: string, result: 'ok' | 'retry_later' | 'failed', seconds: number): void
  /** One request refused by a rate budget (`login`, `external`, `import`, …). */
  rateLimited(budget: string): void
}

export const noMetrics: Metrics = {
  httpRequest: () => {},
  inboundEvent: () => {},
  platformSend: () => {},
  job: () => {},
  rateLimited: () => {},
}
