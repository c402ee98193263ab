import type { Database } from '../../../db/client'
import type { CardActionHandler } from '../../cards/actions'
import type { CommandSpec } from '../../commands/types'
import type { Clock, Logger } from '../../domain/context'
import { dispatchEvent } from '../dispatch'
import { claimEvent, ingestEvent } from '../ingest'
import type { CardActionResult, InboundContactChanged, InboundEvent, InboundReply, Locale } from '../types'
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
 * anything is recorded (dingtalk.md §3.2, §4.5, §6):
 * - robot messages (`timestamp` + `sign` headers, HmacSHA256 with the app secret, ±1 h),
 * - card callbacks (`x-ddpaas-signature-timestamp` + `x-ddpaas-signature` with the registered apiSecret),
 *   answered synchronously through the same dispatch path as Feishu taps, the answer updating the card,
 * - event subscriptions (`msg_signature` over the AES envelope), answered with the encrypted `success`.
 * Events are recorded once (dedupe keys) and acknowledged at once; the work happens from the queue.
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
  /** Accepted clock skew of signed timestamps, ms (default 1 hour, DingTalk's own window). */
  maxSkewMs?: number
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

function parse(raw: Uint8Array): Rec | null {
  try {
    const v: unknown = JSON.parse(decoder.decode(raw))
    return isRec(v) ? v : null
  } catch {
    return null
  }
}

function freshTimestamp(deps: DingtalkInboundDeps, ts: string): boolean {
  const n = Number(ts)
  return /^\d{10,16}$/.test(ts) && Math.abs(deps.clock.now().getTime() - n) <= (deps.maxSkewMs ?? HOUR)
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
  return (await recordRobotMessage(deps, payload))
    ? reply(200)
    : refuse(500, 'unavailable', 'not recorded, retry')
}

/** Records a robot message once (HTTP and stream); false when it could not be recorded. */
export async function recordRobotMessage(deps: DingtalkInboundDeps, payload: Rec): Promise<boolean> {
  const event = robotMessageEvent(payload)
  if (!event) {
    deps.logger.debug({ msgtype: payload.msgtype }, 'dingtalk robot message ignored')
    return true
  }
  try {
    if (!(await record(deps, event)))
      deps.logger.debug({ eventId: event.eventId }, 'dingtalk message redelivered, ignored')
    return true
  } catch (err) {
    deps.logger.error({ err, eventId: event.eventId }, 'dingtalk message not recorded')
    return false
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
    !freshTimestamp(deps, timestamp)
  ) {
    deps.logger.warn({}, 'dingtalk card callback refused: bad signature or stale timestamp')
    return refuse(401, 'unauthenticated', 'bad signature')
  }
  const payload = parse(raw)
  if (!payload) return refuse(400, 'invalid_input', 'body is not a JSON object')
  return reply(200, await answerCardAction(deps, payload, sha256(`${timestamp}\n${decoder.decode(raw)}`)))
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
  let result: CardActionResult | null
  try {
    if (!(await claimEvent(deps.database.db, event))) return {}
    result = await dispatchEvent(
      {
        database: deps.database,
        logger: deps.logger,
        clock: deps.clock,
        ...(deps.commands ? { commands: deps.commands } : {}),
        ...(deps.cardActions ? { cardActions: deps.cardActions } : {}),
      },
      event,
    )
  } catch (err) {
    deps.logger.error({ err, eventId: event.eventId }, 'dingtalk card action failed')
    result = failure()
  }
  return result ? cardCallbackResponse(result, 'zh-CN', deps.render) : {}
}

/**
 * Neutral tap result → the callback answer that updates the card (§4.5): a replacement card replaces the
 * public data; a toast alone only sets the template's `toast` variable (merged by key).
 */
export function cardCallbackResponse(
  result: CardActionResult,
  locale: Locale,
  render: DingtalkRenderOptions,
): Rec {
  if (result.card) {
    const map = renderCard(result.card, locale, render)
    map.toast = result.toast?.text ?? ''
    return { cardData: { cardParamMap: map }, cardUpdateOptions: { updateCardDataByKey: false } }
  }
  if (result.toast) {
    return {
      cardData: { cardParamMap: { toast: result.toast.text } },
      cardUpdateOptions: { updateCardDataByKey: true },
    }
  }
  return {}
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
