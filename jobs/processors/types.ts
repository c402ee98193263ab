import type { PlatformName } from '../../bot/chat/model'
import type { Clock } from '../../bot/lib/clock'
import type { Logger } from '../../bot/lib/logger'
import type { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import type { JobQueue } from '../queue'

/** What processors are built from; the entry wires concrete drivers. */
export interface ProcessorDeps {
  database: Database
  queue: JobQueue
  logger: Logger
  clock: Clock
  platforms: PlatformRegistry
  /** Timeout of one approval webhook POST to an external system (default 10 s). */
  webhookTimeoutMs?: number
  /** Refuse approval webhooks whose host resolves to a private, loopback or link-local address. */
  webhookPublicOnly?: boolean
  /** FLOWCARD_ADMINS: emails, mobiles or platform user ids made admins on every directory sync. */
  bootstrapAdmins?: readonly string[]
  /** Called after a message was sent or a card updated (devchat pushes it to open pages). */
  onDelivered?: (info: {
    tenantId: string
    platform: PlatformName
    ref: string | null
  }) => Promise<void> | void
}
