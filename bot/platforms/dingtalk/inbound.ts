import { and, eq } from 'drizzle-orm'
import type { Database } from '../../../db/client'
import { messages, tenants, userIdentities } from '../../../db/schema'
import { dispatchEvent } from '../../chat/dispatch'
import type {
  CardActionHandler,
  CardActionResult,
  InboundContactChanged,
  InboundEvent,
  InboundReply,
} from '../../chat/model'
import type { CommandSpec } from '../../commands/types'
import type { Locale } from '../../domain/locale'
import type { Clock } from '../../lib/clock'
import type { Logger } from '../../lib/logger'
import { claimEvent, ingestEvent } from '../ingest'
import {
  cardCallbackSign,
  DingtalkCryptoError,
  decryptEvent,
  encryptedSuccess,
  eventSignature,
  robotSign,
  sameSecret,
} from './crypto'
import { cardActionEvent, contactEvents, robotMessageEvent, sha256 } from './events'
import { type DingtalkRenderOptions, renderCard } from './render'

/**
 * The inbound half of the DingTalk adapter in HTTP mode: three kinds of push, each authenticated before
 * anything is recorded:
 * - robot messages (`timestamp` + `sign` headers, HmacSHA256 with the app secret, ±1 h),
 * - card callbacks (`x-ddpaas-signature-timestamp` + `x-ddpaas-signature` with the registered apiSecret,
 *   ±5 min), answered synchronously through the same dispatch path as Feishu taps, the answer updating the
 *   card (the tapper's toast in `userPrivateData`, never in the public data every group member sees),
 * - event subscriptions (`msg_signature` over the AES envelope), answered with the encrypted `success`.
 * Both robot and card signatures cover only the timestamp, so each (timestamp, signature) pair is used once:
 * it is recorded before anything is acted on, and a tap counts only from the person its card was sent to.
 * Robot messages are pushed once (no redelivery): they are acknowledged always, recorded with local retries,
 * and when recording keeps failing the sender is told through the message's `sessionWebhook`.
 */

export interface DingtalkInboundOptions {
  /** AppKey: the owner key inside encrypted events. */
  clientId: string
  /** AppSecret: signs robot callbacks. */
  clientSecret: string
  /** The apiSecret registered with the card callback route. */
  cardApiSecret: string
  /** Event subscription token and EncodingAESKey; without them event pushes are refused. */
  eventToken?: string
  aesKey?: string
  render: DingtalkRenderOptions
  /** Accepted clock skew of robot timestamps, ms (default 1 hour, DingTalk's own window). */
  maxSkewMs?: number
  /** Accepted clock skew of card callback timestamps, ms (default 5 minutes). */
  cardMaxSkewMs?: number
  /** Old-API host: a robot message's `sessionWebhook` is used only when it points there. */
  oapiBase?: string
  /** Attempts to record a robot message before telling the sender the bot is busy (default 3). */
  recordAttempts?: number
  ingest?: (event: InboundEvent) => Promise<boolean>
  /** Counts robot messages and card callbacks against the org's monthly push budget. */
  meter?: { countPush(corpId: string): Promise<void> }
  commands?: readonly CommandSpec[]
  cardActions?: Record<string, CardActionHandler>
}

export interface DingtalkInboundDeps extends DingtalkInboundOptions {
  database: Database
  logger: Logger
  clock: Clock
}

export type { InboundReply }

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const reply = (status: number, body: Rec = {}): InboundReply => ({ status, body })
const refuse = (status: number, code: string, message: string): InboundReply =>
  reply(status, { error: { code, message } })
const decoder = new TextDecoder('utf-8', { fatal: true })
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const HOUR = 3600_000
const CARD_SKEW_MS = 5 * 60_000
const BUSY_TEXT =
  '系统繁忙，消息未能处理，请稍后重试。\nThe bot is busy and could not take your message, please try again.'

function parse(raw: Uint8Array): Rec | null {
  try {
    const v: unknown = JSON.parse(decoder.decode(raw))
    return isRec(v) ? v : null
  } catch {
    return null
  }
}

function freshTimestamp(deps: DingtalkInboundDeps, ts: string, windowMs = deps.maxSkewMs ?? HOUR): boolean {
  const n = Number(ts)
  return /^\d{10,16}$/.test(ts) && Math.abs(deps.clock.now().getTime() - n) <= windowMs
}

/**
 * Uses a signed (timestamp, signature) pair once: recorded before the push is acted on. False when it was
 * seen before (a replay of a captured header pair, whatever the body).
 */
async function claimSignature(
  deps: DingtalkInboundDeps,
  kind: string,
  ts: string,
  sig: string,
): Promise<boolean> {
  return claimEvent(deps.database.db, {
    platform: 'dingtalk',
    kind: 'message',
    tenantKey: '',
    eventId: `sig:${kind}:${sha256(`${ts}\n${sig}`)}`,
  } as unknown as InboundEvent)
}

function countPush(deps: DingtalkInboundDeps, corpId: string): void {
  if (!deps.meter || !corpId) return
  void deps.meter.countPush(corpId).catch((err: unknown) => {
    deps.logger.warn({ err }, 'dingtalk push not counted')
  })
}

async function record(deps: DingtalkInboundDeps, event: InboundEvent): Promise<boolean> {
  return deps.ingest ? deps.ingest(event) : ingestEvent(deps.database.db, event)
}

/** Which push this is, by its authentication headers/query; then handled. Never throws. */
export async function handlePush(
  deps: DingtalkInboundDeps,
  raw: Uint8Array,
  header: (name: string) => string | undefined,
  query: (name: string) => string | undefined,
): Promise<InboundReply> {
  if (header('x-ddpaas-signature') !== undefined) return handleCardCallback(deps, raw, header)
  if (header('sign') !== undefined) return handleRobotMessage(deps, raw, header)
  if (query('msg_signature') !== undefined || query('signature') !== undefined)
    return handleEventPush(deps, raw, query)
  deps.logger.warn({}, 'dingtalk push refused: no signature')
  return refuse(401, 'unauthenticated', 'missing signature')
}

export async function handleRobotMessage(
  deps: DingtalkInboundDeps,
  raw: Uint8Array,
  header: (name: string) => string | undefined,
): Promise<InboundReply> {
  const timestamp = header('timestamp') ?? ''
  const sign = header('sign') ?? ''
  if (!sameSecret(sign, robotSign(deps.clientSecret, timestamp)) || !freshTimestamp(deps, timestamp)) {
    deps.logger.warn({}, 'dingtalk robot callback refused: bad signature or stale timestamp')
    return refuse(401, 'unauthenticated', 'bad signature')
  }
  const payload = parse(raw)
  if (!payload) return refuse(400, 'invalid_input', 'body is not a JSON object')
  try {
    if (!(await claimSignature(deps, 'robot', timestamp, sign))) {
      deps.logger.warn({}, 'dingtalk robot callback replayed: signature already used')
      return reply(200)
    }
  } catch (err) {
    deps.logger.error({ err }, 'dingtalk robot signature not recorded')
  }
  // Always 200: DingTalk never pushes a robot message again, so a failure is handled here.
  await recordRobotMessage(deps, payload)
  return reply(200)
}

/**
 * Records a robot message once (HTTP and stream). DingTalk pushes it only once, acked or not: a failed
 * write is retried here, and when it keeps failing the sender is told through the message's
 * `sessionWebhook` that the bot is busy. False when the message could not be recorded.
 */
export async function recordRobotMessage(deps: DingtalkInboundDeps, payload: Rec): Promise<boolean> {
  const event = robotMessageEvent(payload)
  if (!event) {
    deps.logger.debug({ msgtype: payload.msgtype }, 'dingtalk robot message ignored')
    return true
  }
  countPush(deps, event.tenantKey)
  const attempts = deps.recordAttempts ?? 3
  for (let attempt = 1; ; attempt++) {
    try {
      if (!(await record(deps, event)))
        deps.logger.debug({ eventId: event.eventId }, 'dingtalk message seen before, ignored')
      return true
    } catch (err) {
      deps.logger.error({ err, eventId: event.eventId, attempt }, 'dingtalk message not recorded')
      if (attempt >= attempts) break
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
    }
  }
  await replyBusy(deps, payload)
  return false
}

/** Answers the sender through `sessionWebhook` (only a DingTalk-hosted one; it is valid ~90 minutes). */
async function replyBusy(deps: DingtalkInboundDeps, payload: Rec): Promise<void> {
  const hook = str(payload.sessionWebhook)
  const base = (deps.oapiBase ?? 'https://oapi.dingtalk.com').replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(hook)
  } catch {
    deps.logger.warn({ msgId: payload.msgId }, 'dingtalk busy reply impossible: no sessionWebhook')
    return
  }
  if (url.origin !== new URL(base).origin || url.pathname !== '/robot/sendBySession') {
    deps.logger.warn({ host: url.host }, 'dingtalk busy reply refused: sessionWebhook not on DingTalk')
    return
  }
  const expires = Number(payload.sessionWebhookExpiredTime ?? 0)
  if (expires && expires < deps.clock.now().getTime()) return
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'text', text: { content: BUSY_TEXT } }),
      signal: AbortSignal.timeout(5000),
    })
    if (!res.ok) deps.logger.warn({ status: res.status }, 'dingtalk busy reply not accepted')
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'dingtalk busy reply failed')
  }
}

const failure = (): CardActionResult => ({
  toast: { kind: 'error', text: '操作失败，请稍后再试 / Something went wrong, please try again' },
})

export async function handleCardCallback(
  deps: DingtalkInboundDeps,
  raw: Uint8Array,
  header: (name: string) => string | undefined,
): Promise<InboundReply> {
  const timestamp = header('x-ddpaas-signature-timestamp') ?? ''
  const signature = header('x-ddpaas-signature') ?? ''
  if (
    !sameSecret(signature, cardCallbackSign(deps.cardApiSecret, timestamp)) ||
    !freshTimestamp(deps, timestamp, deps.cardMaxSkewMs ?? CARD_SKEW_MS)
  ) {
    deps.logger.warn({}, 'dingtalk card callback refused: bad signature or stale timestamp')
    return refuse(401, 'unauthenticated', 'bad signature')
  }
  const payload = parse(raw)
  if (!payload) return refuse(400, 'invalid_input', 'body is not a JSON object')
  try {
    if (!(await claimSignature(deps, 'card', timestamp, signature))) {
      deps.logger.warn({}, 'dingtalk card callback replayed: signature already used')
      return reply(200)
    }
  } catch (err) {
    deps.logger.error({ err }, 'dingtalk card signature not recorded')
    return reply(200, cardCallbackResponse(failure(), 'zh-CN', deps.render))
  }
  return reply(200, await answerCardAction(deps, payload, sha256(`${timestamp}\n${decoder.decode(raw)}`)))
}

const notYours = (): CardActionResult => ({
  toast: { kind: 'error', text: '你没有权限操作这张卡片 / This card was not sent to you' },
})

/**
 * The card a tap belongs to, from what we stored when sending it (the callback names only `outTrackId`):
 * its chat, and whether the tapper may act on it — a card sent to one person counts only their taps.
 */
async function bindTap(
  deps: DingtalkInboundDeps,
  corpId: string,
  outTrackId: string,
  operatorUserId: string,
): Promise<{ ok: true; chatId: string | null } | { ok: false }> {
  const db = deps.database.db
  const [row] = await db
    .select({ userId: messages.userId, chatId: messages.chatId })
    .from(messages)
    .innerJoin(tenants, eq(tenants.id, messages.tenantId))
    .where(
      and(
        eq(tenants.platform, 'dingtalk'),
        eq(tenants.platformTenantKey, corpId),
        eq(messages.platform, 'dingtalk'),
        eq(messages.platformMessageId, outTrackId),
      ),
    )
    .limit(1)
  if (!row) return { ok: false }
  if (row.userId) {
    const [me] = await db
      .select({ userId: userIdentities.userId })
      .from(userIdentities)
      .innerJoin(tenants, eq(tenants.id, userIdentities.tenantId))
      .where(
        and(
          eq(tenants.platformTenantKey, corpId),
          eq(userIdentities.platform, 'dingtalk'),
          eq(userIdentities.openId, operatorUserId),
        ),
      )
      .limit(1)
    if (me?.userId !== row.userId) return { ok: false }
    return { ok: true, chatId: null }
  }
  const chat = row.chatId && !row.chatId.startsWith('dm:') ? row.chatId : null
  if (row.chatId?.startsWith('dm:') && row.chatId !== `dm:${operatorUserId}`) return { ok: false }
  return { ok: true, chatId: chat }
}

/**
 * The synchronous answer to a card tap (HTTP and stream): the object that updates the card, `{}` when there
 * is nothing to change; never throws. `dedupeKey` names the delivery, so a replay is not acted on twice.
 */
export async function answerCardAction(
  deps: DingtalkInboundDeps,
  payload: Rec,
  dedupeKey: string,
): Promise<Rec> {
  const event = cardActionEvent(payload, dedupeKey)
  if (!event) {
    deps.logger.debug({ outTrackId: payload.outTrackId }, 'dingtalk card callback without our payload')
    return {}
  }
  countPush(deps, event.tenantKey)
  let result: CardActionResult | null
  try {
    const bound = await bindTap(deps, event.tenantKey, event.messageId ?? '', event.operator.openId)
    if (!bound.ok) {
      deps.logger.warn(
        { outTrackId: event.messageId },
        'dingtalk tap refused: not a card sent to this person',
      )
      return cardCallbackResponse(notYours(), 'zh-CN', deps.render)
    }
    if (bound.chatId) event.chatId = bound.chatId
    else delete event.chatId
    result = await dispatchEvent(
      {
        database: deps.database,
        logger: deps.logger,
        clock: deps.clock,
        ...(deps.commands ? { commands: deps.commands } : {}),
        ...(deps.cardActions ? { cardActions: deps.cardActions } : {}),
      },
      event,
      { claim: true },
    )
  } catch (err) {
    deps.logger.error({ err, eventId: event.eventId }, 'dingtalk card action failed')
    result = failure()
  }
  return result ? cardCallbackResponse(result, result.locale ?? 'zh-CN', deps.render) : {}
}

/**
 * Neutral tap result → the callback answer that updates the card: a replacement card replaces the public
 * data; the toast is the tapper's alone, so it goes into `userPrivateData` (merged by key), which only the
 * tapping user sees — never into the public data every member of a group sees.
 */
export function cardCallbackResponse(
  result: CardActionResult,
  locale: Locale,
  render: DingtalkRenderOptions,
): Rec {
  const out: Rec = {}
  const options: Rec = {}
  if (result.card) {
    const map = renderCard(result.card, locale, render)
    map.toast = ''
    out.cardData = { cardParamMap: map }
    options.updateCardDataByKey = false
  }
  if (result.toast || result.card) {
    out.userPrivateData = { cardParamMap: { toast: result.toast?.text ?? '' } }
    options.updatePrivateDataByKey = true
  }
  if (Object.keys(options).length > 0) out.cardUpdateOptions = options
  return out
}

export async function handleEventPush(
  deps: DingtalkInboundDeps,
  raw: Uint8Array,
  query: (name: string) => string | undefined,
): Promise<InboundReply> {
  if (!deps.eventToken || !deps.aesKey)
    return refuse(401, 'unauthenticated', 'event subscription is not configured')
  const signature = query('msg_signature') ?? query('signature') ?? ''
  const timestamp = query('timestamp') ?? query('timeStamp') ?? ''
  const nonce = query('nonce') ?? ''
  const outer = parse(raw)
  const encrypt = outer && typeof outer.encrypt === 'string' ? outer.encrypt : ''
  if (!encrypt || !sameSecret(signature, eventSignature(deps.eventToken, timestamp, nonce, encrypt))) {
    deps.logger.warn({}, 'dingtalk event refused: bad signature')
    return refuse(401, 'unauthenticated', 'bad signature')
  }
  let plaintext: string
  let payload: Rec | null
  try {
    plaintext = decryptEvent(deps.aesKey, deps.clientId, encrypt)
    payload = parse(new TextEncoder().encode(plaintext))
  } catch (err) {
    const why = err instanceof DingtalkCryptoError ? err.code : 'invalid'
    deps.logger.warn({ why }, 'dingtalk event refused: cannot decrypt')
    return refuse(400, 'invalid_input', `cannot decrypt: ${why}`)
  }
  if (!payload) return refuse(400, 'invalid_input', 'decrypted body is not a JSON object')
  // No success answer when not recorded: DingTalk pushes again.
  if (!(await recordContactEvents(deps, contactEvents(payload, plaintext), str(payload.EventType))))
    return refuse(500, 'unavailable', 'not recorded, retry')
  const ts = String(deps.clock.now().getTime())
  return reply(
    200,
    encryptedSuccess(deps.eventToken, deps.aesKey, deps.clientId, ts, sha256(ts + encrypt).slice(0, 16)),
  )
}

/** Records contact changes (HTTP and stream); false when any could not be recorded (ask for redelivery). */
export async function recordContactEvents(
  deps: DingtalkInboundDeps,
  events: InboundContactChanged[],
  type: string,
): Promise<boolean> {
  try {
    for (const event of events) await record(deps, event)
  } catch (err) {
    deps.logger.error({ err, type }, 'dingtalk event not recorded')
    return false
  }
  if (events.length === 0) deps.logger.debug({ type }, 'dingtalk event acknowledged')
  return true
}
