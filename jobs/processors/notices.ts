import { and, eq, sql } from 'drizzle-orm'
import { PermanentSendError, RateLimitedSendError, type TenantRef } from '../../bot/chat/port'
import { type ServiceContext, systemContext, withTransaction } from '../../bot/domain/context'
import { DomainError } from '../../bot/domain/errors'
import type { PlatformSendRates } from '../../bot/domain/notices'
import {
  FANOUT_WATCH_MS,
  fanOutStep,
  loadNotice,
  NOTICE_TOPICS,
  publishLocked,
  reconcileDeliveries,
  recordPlatformReads,
  refreshNoticeCards,
  runReminderStep,
  unreadToPoll,
  watchFanout,
} from '../../bot/domain/notices'
import { emit } from '../../bot/domain/outbox'
import { noticeRecipients, notices, tenants, userIdentities } from '../../db/schema'
import { processors } from '../catalogue'
import { PermanentJobError, type Processor, RetryLaterError } from '../queue'
import type { ProcessorDeps } from './types'

/** Read receipts are polled this often while a notice is younger than Feishu's 7-day read_users window. */
export const READ_POLL_INTERVAL_MS = 60_000
/** Recipients asked per poll run (one read_users call each: the API takes one message at a time). */
export const READ_POLL_BATCH = 100
/** Spacing of read_users calls: 20/s keeps a poll run far below Feishu's 50/s and 1000/min per API. */
export const READ_POLL_SPACING_MS = 50
const READ_WINDOW_MS = 7 * 24 * 3600_000

/**
 * Notice jobs: scheduled publish, the paced fan-out, card refresh after edit/retract, the reminder ladder
 * (reminder card, then urgent/buzz) and the platform read-status poll. Delivery state is reconciled from the
 * `messages` rows the send processor writes (by card ref), so the send path needs no notice-specific hook.
 */
export function noticeProcessors(deps: ProcessorDeps): Record<string, Processor> {
  const ctxFor = (tenantId: string): ServiceContext =>
    systemContext(
      { db: deps.database.db, clock: deps.clock, logger: deps.logger },
      { tenantId, reason: 'notices' },
    )
  const tenantOf = async (tenantId: string): Promise<TenantRef & { platform: string }> => {
    const [t] = await deps.database.db
      .select({ id: tenants.id, platformTenantKey: tenants.platformTenantKey, platform: tenants.platform })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
    if (!t) throw new PermanentJobError(`tenant ${tenantId} not found`)
    return t
  }

  // The fan-out paces itself under the send limits the tenant's adapter declares.
  const rates: PlatformSendRates = (platform) => deps.platforms.get(platform).sendRate

  return processors({
    [NOTICE_TOPICS.publishScheduled]: async (p) => {
      const ctx = ctxFor(p.tenantId)
      const noticeId = p.noticeId
      try {
        await withTransaction(ctx, async (_tx, txCtx) => {
          const n = await loadNotice(txCtx, noticeId, true)
          // Moved, published early, or retracted since: this row is stale.
          if (n.status !== 'scheduled' || n.scheduledAt?.toISOString() !== p.scheduledAt) return
          // Published as the publisher: their scope and permission at publish time apply.
          await publishLocked({ ...txCtx, actor: { kind: 'user', userId: n.publisherId, via: 'api' } }, n)
        })
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        deps.logger.warn(
          { noticeId, err: err.message },
          'scheduled notice could not be published; back to draft',
        )
        await deps.database.db
          .update(notices)
          .set({ status: 'draft', updatedAt: sql`now()` })
          .where(
            and(
              eq(notices.tenantId, ctx.tenantId),
              eq(notices.id, noticeId),
              eq(notices.status, 'scheduled'),
            ),
          )
      }
    },

    [NOTICE_TOPICS.fanout]: async (p) => {
      await fanOutStep(ctxFor(p.tenantId), { noticeId: p.noticeId, seq: p.seq }, rates)
    },

    [NOTICE_TOPICS.fanoutWatch]: async (p) => {
      await watchFanout(ctxFor(p.tenantId), { noticeId: p.noticeId, seq: p.seq }, FANOUT_WATCH_MS, rates)
    },

    [NOTICE_TOPICS.refreshCards]: async (p) => {
      await refreshNoticeCards(ctxFor(p.tenantId), {
        noticeId: p.noticeId,
        version: p.version,
      })
    },

    [NOTICE_TOPICS.remindStep]: async (p) => {
      const step = p.step === 2 ? 2 : 1
      await runReminderStep(ctxFor(p.tenantId), { noticeId: p.noticeId, step })
    },

    [NOTICE_TOPICS.urgent]: async (p) => {
      const tenant = await tenantOf(p.tenantId)
      if (!deps.platforms.has(tenant.platform as 'feishu')) return
      const platform = deps.platforms.get(tenant.platform as 'feishu')
      if (!platform.urgent) return // the platform has no buzz: the reminder card was the last step
      const [identity] = await deps.database.db
        .select({ openId: userIdentities.openId })
        .from(userIdentities)
        .where(
          and(
            eq(userIdentities.tenantId, tenant.id),
            eq(userIdentities.userId, p.userId),
            eq(userIdentities.platform, tenant.platform as 'feishu'),
          ),
        )
      if (!identity?.openId) return
      try {
        await platform.urgent(tenant, p.platformMessageId, [identity.openId])
      } catch (err) {
        if (err instanceof RateLimitedSendError) throw new RetryLaterError(err.retryAfterMs, err.message)
        if (err instanceof PermanentSendError) {
          deps.logger.warn({ code: err.platformCode, noticeId: p.noticeId }, 'urgent not delivered')
          return
        }
        throw err
      }
    },

    [NOTICE_TOPICS.pollReads]: async (p) => {
      const tenantId = p.tenantId
      const noticeId = p.noticeId
      const ctx = ctxFor(tenantId)
      const tenant = await tenantOf(tenantId)
      await withTransaction(ctx, async (_tx, txCtx) => reconcileDeliveries(txCtx))
      const n = await loadNotice(ctx, noticeId)
      if (n.status !== 'published') return
      if (p.seq !== undefined && p.seq !== n.pollSeq) return // an older chain
      const platform = deps.platforms.has(tenant.platform as 'feishu')
        ? deps.platforms.get(tenant.platform as 'feishu')
        : null
      let rateLimitedMs = 0
      if (platform?.readUsers) {
        const rows = await unreadToPoll(ctx, noticeId, READ_POLL_BATCH)
        const reads: Array<{ target: string; readAt: Date }> = []
        const polled: string[] = []
        for (const [i, r] of rows.entries()) {
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, READ_POLL_SPACING_MS))
          if (!r.open_id) {
            polled.push(r.target)
            continue
          }
          try {
            const readers = await platform.readUsers(tenant, r.platform_message_id)
            polled.push(r.target)
            const mine = readers.find((x) => x.openId === r.open_id)
            if (mine) reads.push({ target: r.target, readAt: mine.readAt })
          } catch (err) {
            if (err instanceof RateLimitedSendError) {
              rateLimitedMs = err.retryAfterMs
              break
            }
            if (err instanceof PermanentSendError) {
              polled.push(r.target)
              continue
            }
            throw err
          }
        }
        await recordPlatformReads(ctx, noticeId, polled, reads)
      }
      // Keep polling while the platform can still answer and someone is unread (or, without read
      // receipts, only while sends are in flight and need reconciling).
      const [open] = await deps.database.db
        .select({
          unread: sql<number>`count(*) filter (where ${noticeRecipients.status} in ('pending', 'queued') or (${noticeRecipients.status} = 'sent' and ${noticeRecipients.readAt} is null))::int`,
          inFlight: sql<number>`count(*) filter (where ${noticeRecipients.status} in ('pending', 'queued'))::int`,
        })
        .from(noticeRecipients)
        .where(and(eq(noticeRecipients.tenantId, tenantId), eq(noticeRecipients.noticeId, noticeId)))
      const age = deps.clock.now().getTime() - (n.publishedAt?.getTime() ?? 0)
      const keepPolling =
        age < READ_WINDOW_MS && (platform?.readUsers ? (open?.unread ?? 0) > 0 : (open?.inFlight ?? 0) > 0)
      if (!keepPolling) return
      await withTransaction(ctx, async (_tx, txCtx) => {
        const [claimed] = await txCtx.db
          .update(notices)
          .set({ pollSeq: sql`${notices.pollSeq} + 1` })
          .where(
            and(eq(notices.tenantId, tenantId), eq(notices.id, noticeId), eq(notices.pollSeq, n.pollSeq)),
          )
          .returning({ pollSeq: notices.pollSeq })
        if (!claimed) return
        await emit(txCtx, {
          topic: NOTICE_TOPICS.pollReads,
          payload: { tenantId, noticeId, seq: claimed.pollSeq },
          availableAt: new Date(deps.clock.now().getTime() + Math.max(READ_POLL_INTERVAL_MS, rateLimitedMs)),
        })
      })
    },
  })
}
