import type { Database } from '../../db/client'
import type { JobQueue } from '../../jobs/queue'
import type { Env } from '../env'
import type { Clock } from '../lib/clock'
import type { AppLogger } from '../lib/logger'
import type { DingtalkInboundOptions } from '../platforms/dingtalk/inbound'
import type { FeishuInboundOptions } from '../platforms/feishu/inbound'

/** What the HTTP app is built from; the entry files pick the concrete drivers. */
export interface AppDeps {
  env: Env
  database: Database
  queue: JobQueue
  logger: AppLogger
  clock: Clock
  /** HMAC secret for session tokens (SESSION_SECRET, or a generated one kept in DATA_DIR). */
  sessionSecret: string
  /** Platform login-code exchangers (Feishu, DingTalk) by platform name. */
  /** Blob storage (visit photos); local disk on Node. Photo upload answers 400 without it. */
  storage?: import('../lib/storage/types').BlobStorage
  /** Address lookup for customer locations and check-in addresses; none by default (see bot/lib/geocoder.ts). */
  geocoder?: import('../lib/geocoder').Geocoder
  loginExchangers?: Partial<
    Record<'feishu' | 'dingtalk', (code: string) => Promise<{ tenantKey: string; openId: string }>>
  >
  /**
   * The chat platform adapters, for first contact: a login on a tenant or by a person not synced yet
   * fetches them from the platform on the spot.
   */
  platforms?: import('../platforms/bootstrap').BootstrapDeps['platforms']
  /** Feishu HTTP callbacks (`/webhooks/feishu/*`), mounted only when Feishu is configured. */
  feishu?: FeishuInboundOptions
  /** DingTalk HTTP callbacks (`/webhooks/dingtalk/*`), mounted only when DingTalk is configured. */
  dingtalk?: DingtalkInboundOptions
  /** Request budgets (login, external API, imports, exports); one in-memory limiter per app when unset. */
  rateLimiter?: import('../platforms/rate-limit').RateLimiter
  /** Called with the budget's name when a request is refused for rate (metrics). */
  onRateLimited?: (name: string) => void
  /** HTTP latency and status by route pattern (Prometheus on Node when METRICS_TOKEN is set). */
  metrics?: import('../lib/metrics').Metrics
}

export interface SessionInfo {
  tenantId: string
  userId: string
  platform: string
  locale: 'zh-CN' | 'en'
  /** The zone the user chose or the directory gives; null = the company's (`readerTimeZone`). */
  ownTimeZone: string | null
}

export interface AppEnv {
  Variables: {
    deps: AppDeps
    requestId: string
    logger: AppLogger
    session?: SessionInfo
  }
}
