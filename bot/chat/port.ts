/**
 * The outbound chat port: what workers call to deliver, and the two failures a delivery can end in. Each
 * adapter in `bot/platforms/<name>/` implements `ChatPlatform`.
 */
import type { Locale } from '../domain/locale'
import type {
  Card,
  DirectoryDepartment,
  DirectorySnapshot,
  DirectoryUser,
  OutboundMessage,
  PlatformName,
  PlatformUserRef,
} from './model'

/** A permanent delivery failure (user unreachable, chat gone): recorded with its reason, never retried. */
export class PermanentSendError extends Error {
  constructor(
    readonly platformCode: string,
    message: string,
  ) {
    super(message)
    this.name = 'PermanentSendError'
  }
}

/** The platform asked us to slow down; retry after `retryAfterMs` without counting a failed try. */
export class RateLimitedSendError extends Error {
  constructor(
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(message)
    this.name = 'RateLimitedSendError'
  }
}

export interface TenantRef {
  id: string
  platformTenantKey: string
}

/**
 * How fast an app may send cards on a platform (its published per-app limits). Bulk senders (the notice
 * fan-out) pace themselves under it; the adapter's own limiter enforces the real limits at request time.
 */
export interface SendRate {
  perSecond: number
  perMinute: number
}

/** The outbound half of an adapter: what workers call. */
export interface ChatPlatform {
  readonly name: PlatformName
  /** The platform's per-app send limits. */
  readonly sendRate: SendRate
  send(tenant: TenantRef, message: OutboundMessage): Promise<{ platformMessageId: string; chatId?: string }>
  updateCard(tenant: TenantRef, platformMessageId: string, card: Card, locale: Locale): Promise<void>
  syncDirectory?(tenant: TenantRef): Promise<DirectorySnapshot>
  /**
   * The platform's current record of one user (by open id) or department (by external id), for applying a
   * contact event without a full sync; null when it no longer exists or left the app's contact scope.
   */
  fetchDirectoryEntry?(
    tenant: TenantRef,
    entity: 'user' | 'department',
    externalId: string,
  ): Promise<DirectoryUser | DirectoryDepartment | null>
  /**
   * The open ids of the app's administrators on the platform (Feishu app admins, DingTalk admins), re-read
   * on every directory sync; null when the platform or the app's permissions do not tell.
   */
  listAdmins?(tenant: TenantRef): Promise<string[] | null>
  /** Exchange a mini-app login code for the platform user. */
  exchangeLoginCode?(code: string): Promise<PlatformUserRef & { tenantKey: string; name?: string }>
  /** Who has read a message the bot sent (Feishu read_users), where the platform tells. */
  readUsers?(tenant: TenantRef, platformMessageId: string): Promise<Array<{ openId: string; readAt: Date }>>
  /** The platform's urgent notification on a sent message (Feishu in-app buzz), where it has one. */
  urgent?(
    tenant: TenantRef,
    platformMessageId: string,
    openIds: string[],
  ): Promise<{ invalidOpenIds: string[] }>
}
