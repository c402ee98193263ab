import { and, eq, sql } from 'drizzle-orm'
import { notices } from '../../../db/schema'
import { resultRows as rowsOf } from '../../lib/sql-rows'
import { SEND_MESSAGE, type SendMessagePayload } from '../chat/send'
import { type ServiceContext, withTransaction } from '../context'
import { emit } from '../outbox'
import { loadNotice, type NoticeRow } from './access'
import { reconcileDeliveries } from './card-updates'
import { noticeSnapshot, refreshSummaryCard } from './internal/card-data'
import { NOTICE_TOPICS } from './schemas'
import { FANOUT_CHUNK, type PlatformSendRates, sendRateFor } from './send-rate'
import { noticeChatView, noticeRecipientView } from './views'

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
  rates: PlatformSendRates,
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
      const rate = await sendRateFor(txCtx, rates)
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
  rates: PlatformSendRates,
): Promise<{ tookOver: boolean; rearmed: boolean }> {
  const n = await loadNotice(ctx, input.noticeId)
  let tookOver = false
  if (n.fanoutSeq === input.seq) {
    const step = await fanOutStep(ctx, input, rates)
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
