import { and, eq, inArray, sql } from 'drizzle-orm'
import { noticeRecipients, notices, tenants } from '../../../db/schema'
import type { PlatformName } from '../../chat/model'
import { notifyMessage, SEND_MESSAGE, type SendMessagePayload, updateViewMessage } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { emit, type OutboxMessage } from '../outbox'
import { loadNotice, type NoticeRow } from './access'
import { noticeSnapshot, refreshSummaryCard } from './card-data'
import { NOTICE_TOPICS, noticeCardRef, noticeReminderRef } from './schemas'
import {
  freezeReceipt,
  noticeChatView,
  noticeRecipientView,
  noticeReminderView,
  noticeRetractedView,
} from './views'

/**
 * How fast notice cards may go out per tenant (the platform app's send limits). The platform adapter's
 * sender-side limiter enforces the real limits for all traffic at request time; the fan-out only keeps a
 * short queue ahead of it (so 10,000 sends never sit in the job queue in front of an approval card) and
 * checks the recorded windows as a safety net. Defaults are the platforms' published limits;
 * a tenant can override with `tenants.settings.noticeSendRate = {perSecond, perMinute}` (e.g. to leave room
 * for other traffic, or for a fake with raised limits).
 */
export interface SendRate {
  perSecond: number
  perMinute: number
}

export const DEFAULT_SEND_RATES: Record<PlatformName, SendRate> = {
  feishu: { perSecond: 50, perMinute: 1000 },
  dingtalk: { perSecond: 20, perMinute: 1200 },
  devchat: { perSecond: 1000, perMinute: 60_000 },
}

/** Largest number of send rows one fan-out step writes. */
export const FANOUT_CHUNK = 500
/**
 * Seconds of the sustained send rate kept in flight ahead of the adapter's pacing. Measured: counting the
 * in-flight sends against the minute window too (as if they had all gone out now) starved the adapter, and
 * a 10,000-recipient fan-out ran at ~15.5/s against the adapter's 16.5/s.
 */
const LOOKAHEAD_S = 2.5
/**
 * A send queued longer ago than this and still not recorded is taken to sit with a dead worker (BullMQ
 * hands its job to another worker once the lock expires, 30 s): it no longer holds back new sends, or a
 * SIGKILL would stall the fan-out for that long (measured: 50 s at ~2 cards/s). The platform limiter still
 * counts it when it is finally sent.
 */
const STUCK_INFLIGHT_S = 6
/**
 * A send that stayed in flight longer than this may have reached the platform twice: its first worker died
 * after the platform call but before recording it, and the job was re-run. BullMQ re-runs such a job only
 * after its lock expires (30 s); a Redis loss re-relays after the relay's `staleAfterMs` (production 120 s)
 * and cannot repeat a call by itself (the live worker records its send). Such sends weigh double.
 */
const SLOW_SEND_MS = 20_000
/** A fan-out that only waits for stuck in-flight sends gives up after this (the read poll reconciles later). */
const STUCK_AFTER_MS = 15 * 60_000

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? [])

export async function sendRateFor(ctx: ServiceContext): Promise<SendRate> {
  const [t] = await ctx.db
    .select({ platform: tenants.platform, settings: tenants.settings })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  const base = DEFAULT_SEND_RATES[t?.platform ?? 'feishu']
  const override = t?.settings.noticeSendRate as Partial<SendRate> | undefined
  return {
    perSecond: Number(override?.perSecond) > 0 ? Number(override?.perSecond) : base.perSecond,
    perMinute: Number(override?.perMinute) > 0 ? Number(override?.perMinute) : base.perMinute,
  }
}

/**
 * Copies the outcome of finished sends (the `messages` row the send processor wrote, found by the card's
 * ref) onto the tenant's in-flight recipient rows: sent with the platform message id and time, or failed
 * with the platform's reason. Set-based; a card that went out older than the notice (edited or retracted
 * while in flight) is refreshed at once.
 */
export async function reconcileDeliveries(ctx: ServiceContext): Promise<number> {
  const done = rowsOf<{ notice_id: string; target: string; status: string; card_version: number }>(
    await ctx.db.execute(sql`
      update notice_recipients r
      set status = m.status, sent_at = m.created_at, platform_message_id = m.platform_message_id,
          error = m.error
      from messages m
      where r.tenant_id = ${ctx.tenantId} and r.status = 'queued'
        and m.tenant_id = ${ctx.tenantId} and m.ref = 'notice:' || r.notice_id || ':' || r.target
        and m.direction = 'out' and m.status in ('sent', 'failed')
      returning r.notice_id, r.target, r.status, m.card_version`),
  )
  const stale = new Map<string, string[]>()
  const noticeIds = [...new Set(done.map((d) => d.notice_id))]
  if (noticeIds.length > 0) {
    const versions = await ctx.db
      .select({ id: notices.id, version: notices.version })
      .from(notices)
      .where(and(eq(notices.tenantId, ctx.tenantId), inArray(notices.id, noticeIds)))
    const versionOf = new Map(versions.map((v) => [v.id, v.version]))
    for (const d of done) {
      if (d.status === 'sent' && Number(d.card_version) < (versionOf.get(d.notice_id) ?? 0)) {
        stale.set(d.notice_id, [...(stale.get(d.notice_id) ?? []), d.target])
      }
    }
  }
  for (const [noticeId, targets] of stale) {
    const n = await loadNotice(ctx, noticeId)
    await emitCardUpdates(ctx, n, targets)
  }
  return done.length
}

/**
 * Each target's current card (its receipt state) as `send.card_update` rows at the notice's version; each
 * copy is rendered in its reader's language when sent.
 */
export async function emitCardUpdates(ctx: ServiceContext, n: NoticeRow, targets: string[]): Promise<number> {
  if (targets.length === 0) return 0
  const rows = await ctx.db
    .select({
      target: noticeRecipients.target,
      readAt: noticeRecipients.readAt,
      ackAt: noticeRecipients.ackAt,
    })
    .from(noticeRecipients)
    .where(
      and(
        eq(noticeRecipients.tenantId, ctx.tenantId),
        eq(noticeRecipients.noticeId, n.id),
        inArray(noticeRecipients.target, targets),
      ),
    )
  const notice = n.status === 'retracted' ? null : await noticeSnapshot(ctx, n)
  const messages: OutboxMessage[] = rows.map((r) =>
    updateViewMessage(ctx, {
      ref: noticeCardRef(n.id, r.target),
      view: !notice
        ? noticeRetractedView({ id: n.id, title: n.title })
        : r.target.startsWith('chat:')
          ? noticeChatView({ notice })
          : noticeRecipientView({ notice, receipt: freezeReceipt(r) }),
      version: n.version,
    }),
  )
  await emit(ctx, messages)
  return messages.length
}

export interface FanoutStep {
  /** The job was from an older chain (a redelivery): nothing done. */
  stale: boolean
  emitted: number
  pending: number
  inFlight: number
  /** When the next step is due, or null when the fan-out is over. */
  nextInMs: number | null
}

interface Budget {
  inflight: number
  s1: number
  s60: number
  free1_ms: number
  free60_ms: number
}

/**
 * One step of a notice's fan-out, in one transaction under a per-tenant advisory lock:
 * 1. reconcile finished sends; 2. compute the send budget: at most {@link LOOKAHEAD_S} seconds of the
 * sustained rate in flight (a slow send counts twice, as its first attempt may have reached the platform
 * before the worker died), and within what the sends recorded in the last second / minute leave of the
 * platform limits; 3. take up to that many `pending` recipients, mark them `queued` and
 * write their `send.message` outbox rows in the same statement (a re-run finds them no longer pending, so it
 * never emits twice); 4. chain the next step (a new `fanoutSeq`, so a redelivered old job is a no-op).
 */
export async function fanOutStep(
  ctx: ServiceContext,
  input: { noticeId: string; seq: number },
): Promise<FanoutStep> {
  return withTransaction(ctx, async (_tx, txCtx) => {
    await txCtx.db.execute(sql`select pg_advisory_xact_lock(hashtext(${`notice-fanout:${txCtx.tenantId}`}))`)
    const n = await loadNotice(txCtx, input.noticeId, true)
    if (n.fanoutSeq !== input.seq) return { stale: true, emitted: 0, pending: 0, inFlight: 0, nextInMs: null }
    await reconcileDeliveries(txCtx)
    let emitted = 0
    let limitedBy: 'chunk' | 'ahead' | 'second' | 'minute' | 'none' = 'none'
    let budget: Budget | undefined
    if (n.status === 'published') {
      const rate = await sendRateFor(txCtx)
      // A send that took long (a killed worker's job re-run) may have reached the platform twice (the
      // platform dedupes the uuid, but its limiter counts both requests): it weighs double.
      const w = sql.raw(
        `(case when coalesce(sent_at, clock_timestamp()) - queued_at > interval '${SLOW_SEND_MS} milliseconds' then 2 else 1 end)`,
      )
      ;[budget] = rowsOf<Budget>(
        await txCtx.db.execute(sql`
          select
            coalesce(sum(${w}) filter (where status = 'queued'
              and queued_at > clock_timestamp() - ${sql.raw(`interval '${STUCK_INFLIGHT_S} seconds'`)}), 0)::int as inflight,
            coalesce(sum(${w}) filter (where status <> 'queued' and sent_at > clock_timestamp() - interval '1 second'), 0)::int as s1,
            coalesce(sum(${w}) filter (where status <> 'queued' and sent_at > clock_timestamp() - interval '60 seconds'), 0)::int as s60,
            coalesce(extract(epoch from (min(sent_at) filter (where status <> 'queued'
              and sent_at > clock_timestamp() - interval '1 second') + interval '1 second' - clock_timestamp())) * 1000, 0)::float8 as free1_ms,
            coalesce(extract(epoch from (min(sent_at) filter (where status <> 'queued'
              and sent_at > clock_timestamp() - interval '60 seconds') + interval '60 seconds' - clock_timestamp())) * 1000, 0)::float8 as free60_ms
          from notice_recipients
          where tenant_id = ${txCtx.tenantId}
            and (status = 'queued' or (status in ('sent', 'failed') and sent_at > clock_timestamp() - interval '60 seconds'))`),
      )
      const b = budget ?? { inflight: 0, s1: 0, s60: 0, free1_ms: 0, free60_ms: 0 }
      const sustained = Math.min(rate.perSecond, rate.perMinute / 60)
      const ahead = Math.ceil(sustained * LOOKAHEAD_S) - b.inflight
      const perSecond = rate.perSecond - b.s1
      const perMinute = rate.perMinute - b.s60
      const k = Math.max(0, Math.min(ahead, perSecond, perMinute, FANOUT_CHUNK))
      limitedBy =
        k === FANOUT_CHUNK
          ? 'chunk'
          : perMinute <= Math.min(ahead, perSecond)
            ? 'minute'
            : perSecond <= ahead
              ? 'second'
              : 'ahead'
      if (k > 0) emitted = await emitSendChunk(txCtx, n, k)
    }
    const [left] = rowsOf<{ pending: number; inflight: number; oldest_ms: number }>(
      await txCtx.db.execute(sql`
        select count(*) filter (where status = 'pending')::int as pending,
               count(*) filter (where status = 'queued')::int as inflight,
               coalesce(extract(epoch from clock_timestamp() - min(queued_at) filter (where status = 'queued')) * 1000, 0)::float8 as oldest_ms
        from notice_recipients where tenant_id = ${txCtx.tenantId} and notice_id = ${n.id}
          and status in ('pending', 'queued')`),
    )
    const pending = left?.pending ?? 0
    const inFlight = left?.inflight ?? 0
    const stuck = pending === 0 && (left?.oldest_ms ?? 0) > STUCK_AFTER_MS
    if ((pending === 0 && inFlight === 0) || stuck || (n.status !== 'published' && inFlight === 0)) {
      await refreshSummaryCard(txCtx, n.id, 0) // the final counts, not throttled
      return { stale: false, emitted, pending, inFlight, nextInMs: null }
    }
    const b = budget ?? { free1_ms: 0, free60_ms: 0 }
    const nextInMs =
      pending === 0
        ? 250
        : limitedBy === 'chunk'
          ? 0
          : limitedBy === 'ahead'
            ? 500 // a fifth of the queue ahead has drained by then
            : limitedBy === 'minute'
              ? Math.min(60_000, Math.max(20, b.free60_ms))
              : Math.min(1000, Math.max(20, b.free1_ms || 50))
    const nextSeq = input.seq + 1
    await txCtx.db
      .update(notices)
      .set({ fanoutSeq: nextSeq })
      .where(and(eq(notices.tenantId, txCtx.tenantId), eq(notices.id, n.id)))
    await emit(txCtx, {
      topic: NOTICE_TOPICS.fanout,
      payload: { tenantId: txCtx.tenantId, noticeId: n.id, seq: nextSeq },
      ...(nextInMs > 0 ? { availableAt: new Date(Date.now() + nextInMs) } : {}),
    })
    await refreshSummaryCard(txCtx, n.id)
    return { stale: false, emitted, pending, inFlight, nextInMs }
  })
}

/**
 * `notice.fanout_watch`: keeps a fan-out moving when the job holding its chain is stuck with a dead worker.
 * If the chain has not advanced since the watchdog last looked (same `fanoutSeq`), it runs the step itself
 * (the stuck job, when it finally runs, finds a newer number and does nothing). Re-arms while recipients
 * are pending or in flight.
 */
export async function watchFanout(
  ctx: ServiceContext,
  input: { noticeId: string; seq: number },
  everyMs: number,
): Promise<{ tookOver: boolean; rearmed: boolean }> {
  const n = await loadNotice(ctx, input.noticeId)
  let tookOver = false
  if (n.fanoutSeq === input.seq) {
    const step = await fanOutStep(ctx, input)
    tookOver = !step.stale
  }
  return withTransaction(ctx, async (_tx, txCtx) => {
    const current = await loadNotice(txCtx, input.noticeId)
    const [open] = rowsOf<{ n: number }>(
      await txCtx.db.execute(sql`
        select count(*)::int as n from notice_recipients
        where tenant_id = ${txCtx.tenantId} and notice_id = ${current.id} and status in ('pending', 'queued')`),
    )
    if ((open?.n ?? 0) === 0) return { tookOver, rearmed: false }
    await emit(txCtx, {
      topic: NOTICE_TOPICS.fanoutWatch,
      payload: { tenantId: txCtx.tenantId, noticeId: current.id, seq: current.fanoutSeq },
      availableAt: new Date(Date.now() + everyMs),
    })
    return { tookOver, rearmed: true }
  })
}

/**
 * Takes `k` pending recipients and, in one statement, marks them queued and writes one `send.message`
 * outbox row each (card ref `notice:<id>:<target>`, so edits and the retraction find every copy).
 */
async function emitSendChunk(ctx: ServiceContext, n: NoticeRow, k: number): Promise<number> {
  const notice = await noticeSnapshot(ctx, n)
  const dm = JSON.stringify(noticeRecipientView({ notice, receipt: { readAt: null, ackAt: null } }))
  // In a group the card is for reading only: receipts are per person (the app or the DM card).
  const chat = JSON.stringify(noticeChatView({ notice }))
  const rows = rowsOf<{ n: number }>(
    await ctx.db.execute(sql`
      with picked as (
        select target from notice_recipients
        where notice_id = ${n.id} and status = 'pending'
        order by target limit ${k}
        for update skip locked
      ), upd as (
        update notice_recipients r set status = 'queued', queued_at = clock_timestamp()
        from picked p
        where r.notice_id = ${n.id} and r.target = p.target and r.tenant_id = ${ctx.tenantId}
        returning r.target, r.kind, r.user_id, r.chat_id
      ), ins as (
        insert into outbox (tenant_id, topic, payload)
        select ${ctx.tenantId}, ${SEND_MESSAGE}, jsonb_build_object(
          'tenantId', ${ctx.tenantId}::text,
          'to', case when upd.kind = 'user' then jsonb_build_object('userId', upd.user_id)
                     else jsonb_build_object('chatId', upd.chat_id) end,
          'content', jsonb_build_object('kind', 'view', 'view',
            case when upd.kind = 'chat' then ${chat}::jsonb else ${dm}::jsonb end),
          'ref', 'notice:' || ${n.id}::text || ':' || upd.target,
          'version', ${n.version}::int)
        from upd
        returning 1
      )
      select count(*)::int as n from ins`),
  )
  return rows[0]?.n ?? 0
}

/** A `send.message` payload type check for readers of the SQL above. */
export type NoticeSendPayload = SendMessagePayload

/**
 * `notice.refresh_cards`: after an edit or the retraction, every delivered card gets the notice's current
 * state (chunked by target). Updates are versioned, so running this twice, or out of order with a newer
 * refresh, never shows an older state.
 */
export async function refreshNoticeCards(
  ctx: ServiceContext,
  input: { noticeId: string; version: number },
): Promise<number> {
  let after = ''
  let total = 0
  for (;;) {
    const step = await withTransaction(ctx, async (_tx, txCtx) => {
      const n = await loadNotice(txCtx, input.noticeId)
      if (n.version !== input.version) return null // a newer refresh covers it
      const batch = await txCtx.db
        .select({ target: noticeRecipients.target })
        .from(noticeRecipients)
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, n.id),
            eq(noticeRecipients.status, 'sent'),
            sql`${noticeRecipients.target} > ${after}`,
          ),
        )
        .orderBy(noticeRecipients.target)
        .limit(FANOUT_CHUNK)
      await emitCardUpdates(
        txCtx,
        n,
        batch.map((b) => b.target),
      )
      return batch
    })
    if (!step || step.length === 0) return total
    total += step.length
    after = step[step.length - 1]?.target ?? after
    if (step.length < FANOUT_CHUNK) return total
  }
}

/**
 * One reminder step for a notice: claims, chunk by chunk, the recipients still unread (unacknowledged when
 * required) whose `reminder_step` is below this step, raises it and writes the reminder in the same
 * transaction — a reminder card (step 1) or an urgent job (step 2). Claimed once, reminded once.
 */
export async function runReminderStep(
  ctx: ServiceContext,
  input: { noticeId: string; step: 1 | 2 },
): Promise<number> {
  let total = 0
  for (;;) {
    const claimed = await withTransaction(ctx, async (_tx, txCtx) => {
      const n = await loadNotice(txCtx, input.noticeId)
      if (n.status !== 'published') return 0
      const rows = rowsOf<{
        target: string
        user_id: string
        platform_message_id: string | null
      }>(
        await txCtx.db.execute(sql`
          with picked as (
            select target from notice_recipients
            where tenant_id = ${txCtx.tenantId} and notice_id = ${n.id} and kind = 'user' and status = 'sent'
              and reminder_step < ${input.step}
              and ${n.requireAck ? sql`ack_at is null` : sql`read_at is null`}
            order by target limit ${FANOUT_CHUNK}
            for update skip locked
          )
          update notice_recipients r set reminder_step = ${input.step}, reminded_at = clock_timestamp()
          from picked p
          where r.notice_id = ${n.id} and r.target = p.target
          returning r.target, r.user_id, r.platform_message_id`),
      )
      if (rows.length === 0) return 0
      if (input.step === 1) {
        const view = noticeReminderView({ notice: await noticeSnapshot(txCtx, n) })
        await emit(
          txCtx,
          rows.map((r) =>
            notifyMessage(txCtx, {
              to: { userId: r.user_id },
              view,
              ref: noticeReminderRef(n.id, r.target),
              version: n.version,
            }),
          ),
        )
      } else {
        await emit(
          txCtx,
          rows
            .filter((r) => r.platform_message_id)
            .map((r) => ({
              topic: NOTICE_TOPICS.urgent,
              payload: {
                tenantId: txCtx.tenantId,
                noticeId: n.id,
                userId: r.user_id,
                platformMessageId: r.platform_message_id,
              },
            })),
        )
      }
      return rows.length
    })
    total += claimed
    if (claimed < FANOUT_CHUNK) return total
  }
}

/** Recipients whose platform read status to ask for next (oldest-polled first). */
export async function unreadToPoll(ctx: ServiceContext, noticeId: string, limit: number) {
  return rowsOf<{ target: string; platform_message_id: string; open_id: string | null }>(
    await ctx.db.execute(sql`
      select r.target, r.platform_message_id,
        (select i.open_id from user_identities i join tenants t on t.id = ${ctx.tenantId}
          where i.tenant_id = ${ctx.tenantId} and i.user_id = r.user_id and i.platform = t.platform limit 1) as open_id
      from notice_recipients r
      where r.tenant_id = ${ctx.tenantId} and r.notice_id = ${noticeId} and r.kind = 'user'
        and r.status = 'sent' and r.read_at is null and r.platform_message_id is not null
      order by r.read_polled_at nulls first, r.target
      limit ${limit}`),
  )
}

/** Records what the platform's read receipts said, and when each row was asked. */
export async function recordPlatformReads(
  ctx: ServiceContext,
  noticeId: string,
  polled: string[],
  reads: Array<{ target: string; readAt: Date }>,
): Promise<void> {
  await withTransaction(ctx, async (_tx, txCtx) => {
    if (polled.length > 0) {
      await txCtx.db
        .update(noticeRecipients)
        .set({ readPolledAt: sql`clock_timestamp()` })
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, noticeId),
            inArray(noticeRecipients.target, polled),
          ),
        )
    }
    for (const r of reads) {
      await txCtx.db
        .update(noticeRecipients)
        .set({
          readAt: sql`coalesce(${noticeRecipients.readAt}, ${r.readAt.toISOString()}::timestamptz)`,
          readVia: sql`coalesce(${noticeRecipients.readVia}, 'platform')`,
        })
        .where(
          and(
            eq(noticeRecipients.tenantId, txCtx.tenantId),
            eq(noticeRecipients.noticeId, noticeId),
            eq(noticeRecipients.target, r.target),
          ),
        )
    }
    if (reads.length > 0) await refreshSummaryCard(txCtx, noticeId)
  })
}
