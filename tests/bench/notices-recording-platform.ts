import type { Card, OutboundMessage, PlatformName } from '../../bot/chat/model'
import {
  type ChatPlatform,
  PermanentSendError,
  RateLimitedSendError,
  type SendRate,
  type TenantRef,
} from '../../bot/chat/port'
import type { Locale } from '../../bot/domain/locale'
import { DEVCHAT_SEND_RATE } from '../../bot/platforms/devchat/adapter'
import { DINGTALK_SEND_RATE } from '../../bot/platforms/dingtalk/adapter'
import { FEISHU_SEND_RATE } from '../../bot/platforms/feishu/adapter'
import { SlidingWindowLimiter } from '../fakes/feishu/rate-limiter'

export interface RecordedSend {
  platformMessageId: string
  to: string
  card: Card | null
  idempotencyKey: string
  at: number
}

/**
 * An in-process `ChatPlatform` that records every send and card update, enforces the platform limits
 * (50/s and 1000/min per app, 5 QPS per receiver — configurable) and counts duplicates by idempotency key
 * (a repeated key is answered with the first message, like Feishu's `uuid`). It also answers the optional
 * read-receipt and urgent ports from what a test marks as read.
 */
export class RecordingPlatform implements ChatPlatform {
  readonly sends: RecordedSend[] = []
  readonly byKey = new Map<string, RecordedSend>()
  readonly updates: Array<{ platformMessageId: string; card: Card; at: number }> = []
  readonly urgents: Array<{ platformMessageId: string; openIds: string[] }> = []
  readonly reads = new Map<string, Array<{ openId: string; readAt: Date }>>()
  readonly unreachable = new Set<string>()
  duplicateKeys = 0
  throttled = 0
  readUsersCalls = 0
  private readonly limiter = new SlidingWindowLimiter()
  private seq = 0
  /** The send rate of the adapter it stands in for (a tenant setting may lower or raise it). */
  readonly sendRate: SendRate

  constructor(
    readonly name: PlatformName = 'devchat',
    readonly limits = { perSecond: 50, perMinute: 1000, perReceiverPerSecond: 5 },
    withReceipts = true,
  ) {
    this.sendRate = { feishu: FEISHU_SEND_RATE, dingtalk: DINGTALK_SEND_RATE, devchat: DEVCHAT_SEND_RATE }[
      name
    ]
    if (!withReceipts) {
      // Platforms without read receipts or buzz (the optional ports are absent).
      ;(this as { readUsers?: unknown }).readUsers = undefined
      ;(this as { urgent?: unknown }).urgent = undefined
    }
  }

  async send(_tenant: TenantRef, message: OutboundMessage) {
    const to = message.to.kind === 'user' ? message.to.openId : message.to.chatId
    const first = this.byKey.get(message.idempotencyKey)
    if (first) {
      this.duplicateKeys++
      return { platformMessageId: first.platformMessageId, chatId: `p2p:${to}` }
    }
    if (this.unreachable.has(to))
      throw new PermanentSendError('230013', 'Bot has NO availability to this user.')
    const now = Date.now()
    const app = this.limiter.hit(
      'app',
      [
        { limit: this.limits.perSecond, windowMs: 1000 },
        { limit: this.limits.perMinute, windowMs: 60_000 },
      ],
      now,
    )
    const user = app.ok
      ? this.limiter.hit(`to:${to}`, [{ limit: this.limits.perReceiverPerSecond, windowMs: 1000 }], now)
      : app
    if (!user.ok) {
      this.throttled++
      throw new RateLimitedSendError(user.resetSeconds * 1000, 'frequency limit')
    }
    const rec: RecordedSend = {
      platformMessageId: `rpm_${++this.seq}`,
      to,
      card: message.content.kind === 'card' ? message.content.card : null,
      idempotencyKey: message.idempotencyKey,
      at: now,
    }
    this.sends.push(rec)
    this.byKey.set(message.idempotencyKey, rec)
    return { platformMessageId: rec.platformMessageId, chatId: `p2p:${to}` }
  }

  async updateCard(_tenant: TenantRef, platformMessageId: string, card: Card, _locale: Locale) {
    this.updates.push({ platformMessageId, card, at: Date.now() })
  }

  async readUsers(_tenant: TenantRef, platformMessageId: string) {
    this.readUsersCalls++
    return this.reads.get(platformMessageId) ?? []
  }

  async urgent(_tenant: TenantRef, platformMessageId: string, openIds: string[]) {
    this.urgents.push({ platformMessageId, openIds })
    return { invalidOpenIds: [] }
  }

  /** Marks a delivered message as read by its receiver (what read_users will report). */
  markRead(platformMessageId: string, openId: string, at = new Date()): void {
    this.reads.set(platformMessageId, [...(this.reads.get(platformMessageId) ?? []), { openId, readAt: at }])
  }

  sendsTo(openId: string): RecordedSend[] {
    return this.sends.filter((s) => s.to === openId)
  }

  /** The newest card a message shows (after updates). */
  currentCard(platformMessageId: string): Card | null {
    const upd = this.updates.filter((u) => u.platformMessageId === platformMessageId)
    return (
      upd[upd.length - 1]?.card ??
      this.sends.find((s) => s.platformMessageId === platformMessageId)?.card ??
      null
    )
  }
}
