import type { Database } from '../../../db/client'
import { dispatchEvent } from '../../chat/dispatch'
import type { CardActionHandler, CardActionResult, InboundEvent, InboundReply } from '../../chat/model'
import type { CommandSpec } from '../../commands/types'
import type { Locale } from '../../domain/locale'
import type { Clock } from '../../lib/clock'
import type { Logger } from '../../lib/logger'
import { ingestEvent } from '../ingest'
import { decryptFeishu, FeishuCryptoError, verifyFeishuSignature } from './crypto'
import {
  CARD_ACTION_EVENT,
  cardActionEvent,
  type FeishuEnvelopeV2,
  isEnvelopeV2,
  needsBotOpenId,
  normaliseEvent,
} from './events'
import { type RenderOptions, renderCard } from './render'

/**
 * The inbound half of the Feishu adapter, shared by the HTTP callbacks and the long connection:
 * authenticate a push (signature on the raw bytes, timestamp, AES, verification token), then either record
 * an event durably (acknowledged at once, processed from the queue) or answer a card tap synchronously.
 * Runtime-neutral: WebCrypto only, no SDK, no node:*.
 */

export interface FeishuInboundOptions {
  verificationToken: string
  encryptKey?: string
  /** The bot's open_id (cached by the caller); only needed for @-mentions in groups. */
  botOpenId: () => Promise<string | null>
  render: RenderOptions
  /** Maximum accepted skew of `X-Lark-Request-Timestamp`, seconds (default 300). */
  maxSkewSeconds?: number
  /** Records an event durably once (default `ingestEvent`; the routes use a group-commit batcher). */
  ingest?: (event: InboundEvent) => Promise<boolean>
  /** Overrides for tests (default: the registries). */
  commands?: readonly CommandSpec[]
  cardActions?: Record<string, CardActionHandler>
}

export interface FeishuInboundDeps extends FeishuInboundOptions {
  database: Database
  logger: Logger
  clock: Clock
}

export type { InboundReply }

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

const reply = (status: number, body: Rec = {}): InboundReply => ({ status, body })
const refuse = (status: number, error: string): InboundReply => reply(status, { error })

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Constant-time string comparison (length leaks, content does not). */
function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

/**
 * Authenticates and decodes one push. Returns the plaintext object, or the refusal to send. Nothing is
 * recorded here, so a refused push leaves no trace but a log line.
 */
export async function openPush(
  deps: Pick<FeishuInboundDeps, 'encryptKey' | 'maxSkewSeconds' | 'clock'>,
  raw: Uint8Array,
  header: (name: string) => string | undefined,
): Promise<{ ok: true; payload: Rec; signed: boolean } | { ok: false; reply: InboundReply }> {
  let text: string
  let outer: unknown
  try {
    text = decoder.decode(raw)
    outer = JSON.parse(text)
  } catch {
    return { ok: false, reply: refuse(400, 'body is not JSON') }
  }
  if (!isRec(outer)) return { ok: false, reply: refuse(400, 'body is not a JSON object') }
  const signature = header('x-lark-signature')
  let signed = false
  if (deps.encryptKey && signature) {
    const timestamp = header('x-lark-request-timestamp') ?? ''
    const nonce = header('x-lark-request-nonce') ?? ''
    const ok = await verifyFeishuSignature({
      timestamp,
      nonce,
      encryptKey: deps.encryptKey,
      rawBody: raw,
      signature,
    })
    if (!ok) return { ok: false, reply: refuse(401, 'bad signature') }
    const skew = Math.abs(deps.clock.now().getTime() / 1000 - Number(timestamp))
    if (!Number.isFinite(skew) || skew > (deps.maxSkewSeconds ?? 300))
      return { ok: false, reply: refuse(401, 'stale timestamp') }
    signed = true
  }
  let payload: Rec = outer
  if (typeof outer.encrypt === 'string') {
    if (!deps.encryptKey) return { ok: false, reply: refuse(400, 'encrypted body but no encrypt key') }
    try {
      const plain: unknown = JSON.parse(await decryptFeishu(deps.encryptKey, outer.encrypt))
      if (!isRec(plain)) return { ok: false, reply: refuse(400, 'decrypted body is not an object') }
      payload = plain
    } catch (err) {
      const why = err instanceof FeishuCryptoError ? err.code : 'invalid_json'
      return { ok: false, reply: refuse(400, `cannot decrypt: ${why}`) }
    }
  }
  // With an Encrypt Key every push is signed except the URL verification.
  if (deps.encryptKey && !signed && payload.type !== 'url_verification') {
    return { ok: false, reply: refuse(401, 'missing signature') }
  }
  return { ok: true, payload, signed }
}

/** The verification token a payload carries (v2 `header.token`, v1 and url_verification `token`). */
function tokenOf(payload: Rec): string {
  if (isRec(payload.header) && typeof payload.header.token === 'string') return payload.header.token
  return typeof payload.token === 'string' ? payload.token : ''
}

/** Full HTTP handling of a push: authenticate, then {@link handlePayload}. */
export async function handlePush(
  deps: FeishuInboundDeps,
  raw: Uint8Array,
  header: (name: string) => string | undefined,
): Promise<InboundReply> {
  const opened = await openPush(deps, raw, header)
  if (!opened.ok) {
    deps.logger.warn({ status: opened.reply.status, reason: opened.reply.body.error }, 'feishu push refused')
    return opened.reply
  }
  const { payload } = opened
  if (!sameSecret(tokenOf(payload), deps.verificationToken)) {
    deps.logger.warn({}, 'feishu push refused: verification token mismatch')
    return refuse(401, 'bad verification token')
  }
  if (payload.type === 'url_verification') {
    return reply(200, { challenge: typeof payload.challenge === 'string' ? payload.challenge : '' })
  }
  return handlePayload(deps, payload)
}

/**
 * Handles an authenticated payload (also what the long connection calls). Events are recorded and
 * acknowledged with `{}`; card taps are answered with `{toast?, card?}`; never throws.
 */
export async function handlePayload(deps: FeishuInboundDeps, payload: Rec): Promise<InboundReply> {
  if (!isEnvelopeV2(payload)) {
    // Schema 1.0 envelopes (app_ticket, p2p_chat_create, legacy card callbacks) carry nothing we act on.
    const type = isRec(payload.event) ? payload.event.type : payload.type
    deps.logger.debug({ type }, 'feishu v1 push ignored')
    return reply(200)
  }
  if (payload.header.event_type === CARD_ACTION_EVENT) {
    return reply(200, await answerCardAction(deps, payload))
  }
  try {
    const botOpenId = needsBotOpenId(payload) ? await deps.botOpenId() : null
    const event = normaliseEvent(payload, botOpenId)
    if (!event) {
      deps.logger.debug({ type: payload.header.event_type }, 'feishu event ignored')
      return reply(200)
    }
    const fresh = deps.ingest ? await deps.ingest(event) : await ingestEvent(deps.database.db, event)
    if (!fresh) deps.logger.debug({ eventId: event.eventId }, 'feishu event redelivered, ignored')
    return reply(200)
  } catch (err) {
    // Not recorded: a 500 makes Feishu push again later (15 s, 5 min, 1 h, 6 h).
    deps.logger.error({ err, eventId: payload.header.event_id }, 'feishu event not recorded')
    return refuse(500, 'not recorded, retry')
  }
}

const failureToast = (): Rec => ({
  toast: {
    type: 'error',
    content: '操作失败，请稍后再试',
    i18n: { zh_cn: '操作失败，请稍后再试', en_us: 'Something went wrong, please try again' },
  },
})

/** The synchronous answer to a `card.action.trigger`: always an object (at least `{}`), never an error. */
export async function answerCardAction(deps: FeishuInboundDeps, envelope: FeishuEnvelopeV2): Promise<Rec> {
  try {
    const event = cardActionEvent(envelope)
    if (!event) {
      deps.logger.debug({ eventId: envelope.header.event_id }, 'feishu card action without our payload')
      return {}
    }
    const result = await dispatchEvent(
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
    return result ? cardActionResponse(result, result.locale ?? 'zh-CN', deps.render) : {}
  } catch (err) {
    deps.logger.error({ err, eventId: envelope.header.event_id }, 'feishu card action failed')
    return failureToast()
  }
}

/** Neutral card action result → Feishu callback response. */
export function cardActionResponse(result: CardActionResult, locale: Locale, render: RenderOptions): Rec {
  const out: Rec = {}
  if (result.toast) out.toast = { type: result.toast.kind, content: result.toast.text }
  if (result.card) out.card = { type: 'raw', data: renderCard(result.card, locale, render) }
  return out
}
