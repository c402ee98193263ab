import { randomBytes } from 'node:crypto'
import { encryptFeishu, feishuSignature } from '../../../bot/platforms/feishu/crypto'
import { newEventId } from './ids'

/**
 * The push side of the fake: builds what Feishu POSTs to our webhooks – v2 event
 * envelopes, `card.action.trigger` callbacks, `url_verification` – optionally encrypted and signed exactly
 * like the platform (signature over the raw body bytes), as `{ body, headers }` ready for `fetch` or
 * `app.request`.
 */

/** Identity of the app the push is addressed to. */
export interface PushContext {
  appId: string
  tenantKey: string
  /** Verification Token (goes into `header.token` / `token`). */
  verificationToken: string
  /** Encrypt Key; when set, bodies are encrypted and signed. */
  encryptKey?: string
}

/** Schema 2.0 envelope. */
export interface FeishuEventEnvelope {
  schema: '2.0'
  header: {
    event_id: string
    event_type: string
    create_time: string
    token: string
    app_id: string
    tenant_key: string
  }
  event: Record<string, unknown>
}

/** A ready-to-send push: the exact raw body and the headers Feishu would send with it. */
export interface FeishuPush {
  body: string
  headers: Record<string, string>
  /** The plaintext object (before encryption), for assertions. */
  payload: unknown
}

export interface SealOptions {
  /** Overrides `ctx.encryptKey`; `null` forces a plaintext push. */
  encryptKey?: string | null
  /** Sign (default: whenever an encrypt key is used, except url_verification). */
  sign?: boolean
  /** Unix seconds as a string; default now. */
  timestamp?: string
  nonce?: string
  /** Break the signature on purpose (security tests). */
  tamper?: boolean
}

export interface EnvelopeInput {
  eventType: string
  event: Record<string, unknown>
  /** Reuse an id to simulate a redelivery. */
  eventId?: string
  createTime?: number
}

export interface MessageReceiveInput {
  message: {
    messageId: string
    chatId: string
    chatType: 'p2p' | 'group'
    msgType?: string
    /** Raw content JSON text; or use `text`. */
    content?: string
    createTime?: number
    parentId?: string
    rootId?: string
    threadId?: string
  }
  /** Plain text; becomes `{"text": …}` content (put `@_user_1` placeholders here for mentions). */
  text?: string
  sender: { openId: string; unionId?: string; userId?: string }
  mentions?: Array<{ key: string; name: string; openId: string; unionId?: string; userId?: string }>
}

export interface CardActionInput {
  operator: { openId: string; unionId?: string; userId?: string }
  /** The callback `value` of the clicked component. */
  value: Record<string, unknown>
  tag?: string
  name?: string
  formValue?: Record<string, unknown>
  inputValue?: string
  option?: string
  options?: string[]
  checked?: boolean
  /** `c-…` delayed-update token; use `fake.controls.issueCardToken` so the fake accepts it later. */
  token?: string
  messageId: string
  chatId: string
  host?: 'im_message' | 'im_top_notice'
}

function nonce(): string {
  return randomBytes(8).toString('hex')
}

/** Wraps an event body into a v2 envelope addressed to the app. */
export function eventEnvelope(ctx: PushContext, input: EnvelopeInput): FeishuEventEnvelope {
  return {
    schema: '2.0',
    header: {
      event_id: input.eventId ?? newEventId(),
      event_type: input.eventType,
      create_time: String(input.createTime ?? Date.now()),
      token: ctx.verificationToken,
      app_id: ctx.appId,
      tenant_key: ctx.tenantKey,
    },
    event: input.event,
  }
}

/** `event` of `im.message.receive_v1`. */
export function messageReceiveEvent(ctx: PushContext, input: MessageReceiveInput): Record<string, unknown> {
  const m = input.message
  const created = String(m.createTime ?? Date.now())
  const message: Record<string, unknown> = {
    message_id: m.messageId,
    create_time: created,
    update_time: created,
    chat_id: m.chatId,
    chat_type: m.chatType,
    message_type: m.msgType ?? 'text',
    content: m.content ?? JSON.stringify({ text: input.text ?? '' }),
    user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Lark/7.30.0',
  }
  if (m.rootId) message.root_id = m.rootId
  if (m.parentId) message.parent_id = m.parentId
  if (m.threadId) message.thread_id = m.threadId
  if (input.mentions?.length) {
    message.mentions = input.mentions.map((x) => ({
      key: x.key,
      id: { open_id: x.openId, union_id: x.unionId ?? '', user_id: x.userId ?? '' },
      name: x.name,
      tenant_key: ctx.tenantKey,
    }))
  }
  return {
    sender: {
      sender_id: {
        open_id: input.sender.openId,
        union_id: input.sender.unionId ?? '',
        user_id: input.sender.userId ?? '',
      },
      sender_type: 'user',
      tenant_key: ctx.tenantKey,
    },
    message,
  }
}

/** `event` of a `card.action.trigger` callback. */
export function cardActionEvent(ctx: PushContext, input: CardActionInput): Record<string, unknown> {
  const operator: Record<string, unknown> = { tenant_key: ctx.tenantKey, open_id: input.operator.openId }
  if (input.operator.unionId) operator.union_id = input.operator.unionId
  if (input.operator.userId) operator.user_id = input.operator.userId
  const action: Record<string, unknown> = { value: input.value, tag: input.tag ?? 'button' }
  if (input.name) action.name = input.name
  if (input.formValue) action.form_value = input.formValue
  if (input.inputValue !== undefined) action.input_value = input.inputValue
  if (input.option !== undefined) action.option = input.option
  if (input.options) action.options = input.options
  if (input.checked !== undefined) action.checked = input.checked
  return {
    operator,
    token: input.token ?? `c-${randomBytes(20).toString('hex')}`,
    action,
    host: input.host ?? 'im_message',
    delivery_type: 'url_callback',
    context: { open_message_id: input.messageId, open_chat_id: input.chatId },
  }
}

/** Encrypts (if a key is configured) and signs a payload into the exact bytes Feishu would POST. */
export async function sealPush(
  ctx: PushContext,
  payload: unknown,
  options: SealOptions = {},
): Promise<FeishuPush> {
  const key = options.encryptKey === null ? undefined : (options.encryptKey ?? ctx.encryptKey)
  const plain = JSON.stringify(payload)
  const body = key ? JSON.stringify({ encrypt: await encryptFeishu(key, plain) }) : plain
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' }
  const isChallenge =
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { type?: unknown }).type === 'url_verification'
  const sign = options.sign ?? (key !== undefined && !isChallenge)
  if (sign && key) {
    const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000))
    const n = options.nonce ?? nonce()
    let signature = await feishuSignature({ timestamp, nonce: n, encryptKey: key, rawBody: body })
    if (options.tamper) signature = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`
    headers['X-Lark-Request-Timestamp'] = timestamp
    headers['X-Lark-Request-Nonce'] = n
    headers['X-Lark-Signature'] = signature
  }
  return { body, headers, payload }
}

/** Builders bound to one app, e.g. `createPushBuilder({ ...fake, verificationToken, encryptKey })`. */
export function createPushBuilder(ctx: PushContext) {
  return {
    ctx,
    envelope: (input: EnvelopeInput) => eventEnvelope(ctx, input),
    /** An event push (`im.message.receive_v1`, `im.chat.member.bot.added_v1`, …). */
    event: (input: EnvelopeInput, options?: SealOptions) => sealPush(ctx, eventEnvelope(ctx, input), options),
    /** An `im.message.receive_v1` push. */
    messageReceive: (input: MessageReceiveInput & { eventId?: string }, options?: SealOptions) =>
      sealPush(
        ctx,
        eventEnvelope(ctx, {
          eventType: 'im.message.receive_v1',
          event: messageReceiveEvent(ctx, input),
          ...(input.eventId ? { eventId: input.eventId } : {}),
        }),
        options,
      ),
    /** A `card.action.trigger` callback push. */
    cardAction: (input: CardActionInput & { eventId?: string }, options?: SealOptions) =>
      sealPush(
        ctx,
        eventEnvelope(ctx, {
          eventType: 'card.action.trigger',
          event: cardActionEvent(ctx, input),
          ...(input.eventId ? { eventId: input.eventId } : {}),
        }),
        options,
      ),
    /** The (unsigned) `url_verification` request; encrypted when an Encrypt Key is set. */
    urlVerification: (challenge = randomBytes(12).toString('hex'), options?: SealOptions) =>
      sealPush(ctx, { challenge, token: ctx.verificationToken, type: 'url_verification' }, options),
  }
}

/** What `postPush` observed. */
export interface PushResult {
  status: number
  text: string
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown
  elapsedMs: number
}

/** POSTs a push to a running server (e.g. the bot on a real port). */
export async function postPush(url: string, push: FeishuPush): Promise<PushResult> {
  const started = performance.now()
  const res = await fetch(url, { method: 'POST', headers: push.headers, body: push.body })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json, elapsedMs: performance.now() - started }
}

/** RequestInit for Hono's `app.request(path, init)`. */
export function toRequestInit(push: FeishuPush): RequestInit {
  return { method: 'POST', headers: push.headers, body: push.body }
}
