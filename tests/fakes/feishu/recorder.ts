import { pathMatches } from './http-util'

/**
 * What the fake saw and did, for assertions: every request plus views over the messages it holds. Secrets are
 * never stored – the Authorization value and `app_secret`-like body fields are redacted.
 */

/** How the caller authenticated a request. */
export type AuthKind = 'tenant' | 'app' | 'user' | 'none' | 'invalid'

export interface RecordedRequest {
  seq: number
  /** Fake-clock time (ms) the request arrived. */
  at: number
  method: string
  path: string
  query: Record<string, string>
  /** Lowercase request headers; `authorization` is replaced by `Bearer [redacted]`. */
  headers: Record<string, string>
  auth: AuthKind
  /** Parsed JSON, a multipart summary, or undefined. */
  body: unknown
  status: number
  /** Feishu `code` of the response (undefined for non-JSON answers). */
  code: number | undefined
  /** Refused by the fake's own rate limits. */
  throttled: boolean
  /** Answered by an injected failure. */
  injected: boolean
}

/** Who a message went to: a user (p2p, by open_id) or a group chat. */
export type FakeReceiver = { kind: 'user'; openId: string } | { kind: 'chat'; chatId: string }

/** A change to a sent message. */
export interface FakePatch {
  at: number
  via: 'patch' | 'put' | 'card_update'
  content: string
}

/** A message as the fake stores it. */
export interface FakeMessage {
  messageId: string
  chatId: string
  chatType: 'p2p' | 'group'
  msgType: string
  /** Current content (JSON text), after patches. */
  content: string
  /** Content as first sent. */
  originalContent: string
  createTime: number
  updateTime: number
  deleted: boolean
  updated: boolean
  sender: { kind: 'app' } | { kind: 'user'; openId: string }
  receiver: FakeReceiver
  uuid?: string
  parentId?: string
  rootId?: string
  threadId?: string
  /** Set for the per-user copies of a `batch_send`. */
  batchMessageId?: string
  /** For cards: whether it is shared (`update_multi`), required for PATCH. */
  updateMulti: boolean
  patches: FakePatch[]
  /** open_id → read time (ms). */
  readBy: Map<string, number>
  urgent: { app: string[]; sms: string[]; phone: string[] }
}

const SECRET_KEYS = new Set([
  'app_secret',
  'AppSecret',
  'client_secret',
  'app_ticket',
  'refresh_token',
  'code',
])

/** Replaces secret-bearing fields of a parsed JSON body before it is recorded. */
export function redactBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) out[k] = SECRET_KEYS.has(k) && v ? '[redacted]' : v
  return out
}

/** Recorder plus message views; reached as `fake.recorder`. */
export class FakeRecorder {
  readonly requests: RecordedRequest[] = []
  /** Sends answered with an existing message because of a repeated `uuid`. */
  dedupeHits = 0
  private seq = 0

  constructor(private readonly messages: () => Iterable<FakeMessage>) {}

  /** Adds one entry; used by the server. */
  add(entry: Omit<RecordedRequest, 'seq'>): RecordedRequest {
    const rec = { ...entry, seq: ++this.seq }
    this.requests.push(rec)
    return rec
  }

  /** Requests matching a method (or `*`) and a path pattern (`:param` segments or RegExp). */
  find(method: string, path: string | RegExp): RecordedRequest[] {
    const m = method.toUpperCase()
    return this.requests.filter((r) => (m === '*' || r.method === m) && pathMatches(path, r.path))
  }

  count(method: string, path: string | RegExp): number {
    return this.find(method, path).length
  }

  /** Requests refused by the fake's rate limits (benches assert this stays 0). */
  get throttledCount(): number {
    return this.requests.filter((r) => r.throttled).length
  }

  /** Requests answered by an injected failure. */
  get injectedCount(): number {
    return this.requests.filter((r) => r.injected).length
  }

  /** How many tenant tokens were handed out (a refresh shows up as a second one). */
  get tokenRequests(): number {
    return this.count('POST', '/open-apis/auth/v3/tenant_access_token/internal')
  }

  /** Messages sent by the app (including batch copies), oldest first. */
  sentMessages(): FakeMessage[] {
    return [...this.messages()].filter((m) => m.sender.kind === 'app')
  }

  /** App messages delivered to a user (`ou_…`) or a chat (`oc_…`). */
  messagesTo(receiver: string): FakeMessage[] {
    return this.sentMessages().filter((m) =>
      m.receiver.kind === 'user' ? m.receiver.openId === receiver : m.receiver.chatId === receiver,
    )
  }

  /** App messages grouped by receiver (open_id for users, chat_id for groups). */
  messagesPerReceiver(): Map<string, FakeMessage[]> {
    const out = new Map<string, FakeMessage[]>()
    for (const m of this.sentMessages()) {
      const key = m.receiver.kind === 'user' ? m.receiver.openId : m.receiver.chatId
      const list = out.get(key) ?? []
      list.push(m)
      out.set(key, list)
    }
    return out
  }

  /** Card updates (PATCH, PUT of a template card, delayed update) applied to one card message. */
  cardPatches(messageId: string): FakePatch[] {
    for (const m of this.messages()) {
      if (m.messageId === messageId) return m.msgType === 'interactive' ? [...m.patches] : []
    }
    return []
  }

  /** Number of card updates per card message id (messages never updated are omitted). */
  patchesPerMessage(): Map<string, number> {
    const out = new Map<string, number>()
    for (const m of this.messages()) {
      if (m.msgType === 'interactive' && m.patches.length > 0) out.set(m.messageId, m.patches.length)
    }
    return out
  }

  /** Forgets recorded requests and counters (messages stay). */
  clear(): void {
    this.requests.length = 0
    this.dedupeHits = 0
  }
}
