import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CardCheck, checkCardContent, checkCardObject, TEXT_MAX_BYTES, utf8Bytes } from './cards'
import {
  compilePath,
  type MultipartPart,
  type PathPattern,
  parseMultipart,
  pathMatches,
  readBody,
} from './http-util'
import {
  newAppToken,
  newBatchMessageId,
  newCardToken,
  newFileKey,
  newImageKey,
  newJsapiTicket,
  newLogId,
  newLoginCode,
  newMessageId,
  newRefreshToken,
  newTenantToken,
  newUserToken,
  stableHex,
} from './ids'
import {
  type DepartmentIdType,
  defaultOrg,
  FakeDirectory,
  type FakeOrgSeed,
  type FakeUser,
  idOf,
  parseDepartmentIdType,
  parseUserIdType,
  ROOT_DEPARTMENT_ID,
  type UserIdType,
} from './org'
import { SlidingWindowLimiter, type WindowRule } from './rate-limiter'
import {
  type AuthKind,
  type FakeMessage,
  type FakePatch,
  type FakeReceiver,
  FakeRecorder,
  redactBody,
} from './recorder'
import { FakeWsGateway, type WsClientConfig } from './ws-gateway'

/**
 * A fake Feishu Open API on loopback. It is a real HTTP server, so the real
 * `@larksuiteoapi/node-sdk` Client (`domain: fake.url`) and our own fetch-based code both run against it
 * unchanged; it enforces the platform rules our code must survive (token expiry, rate limits, uuid
 * idempotency, card limits, PATCH windows) and records everything for assertions.
 */

export const DEFAULT_APP_ID = 'cli_0123456789abcdef'
export const DEFAULT_APP_SECRET = 'fake-app-secret-0123456789abcdef'
export const DEFAULT_TENANT_KEY = '736588c9260f175d'

const HOUR = 3600_000
const DAY = 24 * HOUR

/** Rate limits; the defaults are Feishu's published numbers. */
export interface FakeRateLimits {
  /** Per API per app (all non-token endpoints). */
  appPerSecond: number
  appPerMinute: number
  /** Sends/replies to one user. */
  perReceiverPerSecond: number
  /** Sends/replies into one chat. */
  perChatPerSecond: number
  /** PATCH/delayed updates of one message. */
  perMessagePerSecond: number
}

export const FEISHU_RATE_LIMITS: FakeRateLimits = {
  appPerSecond: 50,
  appPerMinute: 1000,
  perReceiverPerSecond: 5,
  perChatPerSecond: 5,
  perMessagePerSecond: 5,
}

/** A group chat to seed. */
export interface FakeChatSeed {
  chatId?: string
  name: string
  /** `user_id`s of the human members. */
  memberUserIds: string[]
  /** Default true; false reproduces 230002 on sends. */
  botIsMember?: boolean
}

export interface FakeFeishuOptions {
  appId?: string
  appSecret?: string
  tenantKey?: string
  botName?: string
  /** Contact directory; default {@link defaultOrg}. */
  org?: FakeOrgSeed
  chats?: FakeChatSeed[]
  /** open_ids the bot cannot reach (outside availability): sends answer 230013. */
  unreachableOpenIds?: Iterable<string>
  /** Lifetime of tenant/app tokens, seconds. Default 7200. */
  tokenTtlSeconds?: number
  /** A token request returns the current token while more than this many seconds remain. Default 1800. */
  tokenReuseSeconds?: number
  /** Base clock in ms (default Date.now); `controls.advanceTime` adds an offset on top. */
  now?: () => number
  /** Override single limits. */
  rateLimits?: Partial<FakeRateLimits>
  /** Multiplies every limit (e.g. 100 for quick benches). Default 1. */
  rateLimitMultiplier?: number
  /** false disables all rate limiting. Default true. */
  rateLimiting?: boolean
  /**
   * HTTP status for IM-level throttling (230020). Feishu's error tables list 400; set 429 to get the
   * gateway-style answer with `x-ogw-ratelimit-*` headers instead.
   */
  imThrottleStatus?: 400 | 429
  /** Long-connection ClientConfig (seconds). */
  ws?: Partial<WsClientConfig>
  /** Listen host; default 127.0.0.1. */
  host?: string
  /**
   * `user_id`s of the app's administrators (`GET /open-apis/user/v4/app_admin_user/list`). Default: the
   * first person of the org (a real app always has the admin who created or installed it).
   */
  appAdmins?: string[]
  /** false: the app lacks `admin:app.admin_id:readonly`, the admin list answers 99991672. Default true. */
  adminScope?: boolean
  /**
   * false: the app lacks `directory:employee:list`, `POST /open-apis/directory/v1/employees/filter` answers
   * 99991672. Default true.
   */
  directoryScope?: boolean
  /** Every answer waits this long (benches: an Open API at a realistic distance). Default 0. */
  latencyMs?: number
}

/** Make the next matching calls fail (5xx/429 retry tests, HTTP 200 + code≠0 handling). */
export interface FailureSpec {
  /** Exact path, `:param` pattern or RegExp (matched against the path without query). */
  path: string | RegExp
  /** Default: any method. */
  method?: string
  /** How many calls fail. Default 1. */
  times?: number
  status: number
  /** Feishu `code` in the body (default 99991400 for 429, 1 otherwise). */
  code?: number
  msg?: string
  headers?: Record<string, string>
  /** Replaces the whole response body. */
  body?: unknown
  /** For 429: the `x-ogw-ratelimit-reset` value. Default 1. */
  resetSeconds?: number
}

export interface FakeChat {
  chatId: string
  name: string
  chatType: 'p2p' | 'group'
  memberOpenIds: Set<string>
  botIsMember: boolean
}

interface TokenRecord {
  token: string
  kind: 'tenant' | 'app' | 'user'
  expiresAt: number
  openId?: string
  scope?: string
}

interface LoginCode {
  code: string
  openId: string
  expiresAt: number
  scope: string
  redirectUri?: string
}

interface CardToken {
  token: string
  messageId: string
  openId: string
  issuedAt: number
  uses: number
}

interface BatchRecord {
  batchMessageId: string
  msgType: string
  createTime: number
  messageIds: string[]
}

interface Upload {
  key: string
  kind: 'image' | 'file'
  name: string
  size: number
  type: string
  at: number
}

/** Everything the fake holds; exposed read-mostly for assertions and advanced setups. */
export interface FakeFeishuState {
  messages: Map<string, FakeMessage>
  chats: Map<string, FakeChat>
  batches: Map<string, BatchRecord>
  uploads: Map<string, Upload>
  unreachable: Set<string>
  tokens: Map<string, TokenRecord>
  cardTokens: Map<string, CardToken>
  loginCodes: Map<string, LoginCode>
  refreshTokens: Map<string, { openId: string; scope: string; expiresAt: number; used: boolean }>
}

interface Ctx {
  method: string
  path: string
  params: Record<string, string>
  query: URLSearchParams
  headers: IncomingMessage['headers']
  json: unknown
  parts: MultipartPart[] | undefined
  token: TokenRecord | undefined
  now: number
}

interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
  throttled?: boolean
}

/** What the server needs to store one app-sent message. */
interface StoreMessageInput {
  chat: FakeChat
  receiver: FakeReceiver
  msgType: string
  content: string
  updateMulti: boolean
  now: number
  uuid?: string
  parent?: FakeMessage
  inThread?: boolean
}

type AuthMode = 'none' | 'tenant' | 'user' | 'tenant_or_app'

interface Route {
  method: string
  pattern: PathPattern
  auth: AuthMode
  limited: boolean
  handler: (ctx: Ctx) => Reply
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** A binary part (axios sends Buffers without a filename but with an octet-stream type). */
function isFilePart(p: MultipartPart): boolean {
  return p.filename !== undefined || (p.contentType !== undefined && !p.contentType.startsWith('text/'))
}

/** Recorder view of a multipart body: text fields verbatim, files as metadata only. */
function multipartSummary(parts: MultipartPart[]) {
  return {
    fields: Object.fromEntries(
      parts.filter((p) => !isFilePart(p)).map((p) => [p.name, p.data.toString('utf8')]),
    ),
    files: parts
      .filter(isFilePart)
      .map((p) => ({ name: p.name, filename: p.filename, size: p.data.length, contentType: p.contentType })),
  }
}

function encodePageToken(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url')
}

function decodePageToken(token: string | null): number | undefined {
  if (!token) return 0
  const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'))
  return m?.[1] ? Number(m[1]) : undefined
}

const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id'])
const MSG_TYPES = new Set([
  'text',
  'post',
  'image',
  'file',
  'audio',
  'media',
  'sticker',
  'interactive',
  'share_chat',
  'share_user',
  'system',
])
const FILE_TYPES = new Set(['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream'])

/**
 * The fake platform. Create it with {@link createFakeFeishu}; point the SDK at `fake.url`.
 */
export class FakeFeishu {
  readonly appId: string
  readonly appSecret: string
  readonly tenantKey: string
  readonly botOpenId: string
  readonly botName: string
  readonly directory: FakeDirectory
  readonly recorder: FakeRecorder
  readonly ws: FakeWsGateway
  readonly state: FakeFeishuState
  /** Test controls (time, failures, tokens, chats, codes). */
  readonly controls: FakeControls
  url = ''
  port = 0

  private readonly server: Server
  private readonly routes: Route[] = []
  private readonly limiter = new SlidingWindowLimiter()
  private readonly failures: Array<FailureSpec & { remaining: number }> = []
  private readonly baseNow: () => number
  private readonly tokenTtlMs: number
  private readonly tokenReuseMs: number
  private readonly imThrottleStatus: 400 | 429
  private limits: FakeRateLimits
  private rateLimiting: boolean
  private timeOffset = 0
  private jsapiTicket: { ticket: string; expiresAt: number } | undefined
  private appAdmins: string[]
  private adminScope: boolean
  private directoryScope: boolean
  private readonly latencyMs: number
  private readonly uuidIndex = new Map<string, { messageId: string; at: number }>()

  constructor(options: FakeFeishuOptions = {}) {
    this.appId = options.appId ?? DEFAULT_APP_ID
    this.appSecret = options.appSecret ?? DEFAULT_APP_SECRET
    this.tenantKey = options.tenantKey ?? DEFAULT_TENANT_KEY
    this.botName = options.botName ?? 'Flowcard Bot'
    this.botOpenId = `ou_${stableHex(`${this.appId}/bot`)}`
    this.baseNow = options.now ?? Date.now
    this.tokenTtlMs = (options.tokenTtlSeconds ?? 7200) * 1000
    this.tokenReuseMs = (options.tokenReuseSeconds ?? 1800) * 1000
    this.imThrottleStatus = options.imThrottleStatus ?? 400
    this.rateLimiting = options.rateLimiting ?? true
    this.limits = scaleLimits(
      { ...FEISHU_RATE_LIMITS, ...options.rateLimits },
      options.rateLimitMultiplier ?? 1,
    )
    this.directory = new FakeDirectory(options.org ?? defaultOrg(), this.appId)
    this.appAdmins = options.appAdmins ?? this.directory.users.slice(0, 1).map((u) => u.userId)
    this.adminScope = options.adminScope ?? true
    this.directoryScope = options.directoryScope ?? true
    this.latencyMs = options.latencyMs ?? 0
    this.state = {
      messages: new Map(),
      chats: new Map(),
      batches: new Map(),
      uploads: new Map(),
      unreachable: new Set(options.unreachableOpenIds ?? []),
      tokens: new Map(),
      cardTokens: new Map(),
      loginCodes: new Map(),
      refreshTokens: new Map(),
    }
    for (const c of options.chats ?? []) this.addChat(c)
    this.recorder = new FakeRecorder(() => this.state.messages.values())
    const wsOptions = {
      appId: this.appId,
      appSecret: this.appSecret,
      ...(options.ws ? { clientConfig: options.ws } : {}),
    }
    this.ws = new FakeWsGateway(wsOptions)
    this.controls = this.buildControls()
    this.registerRoutes()
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ code: 1, msg: `fake feishu internal error: ${String(e)}` }))
        }
      })
    })
    this.server.keepAliveTimeout = 5000
  }

  /** Current fake-clock time in ms. */
  now(): number {
    return this.baseNow() + this.timeOffset
  }

  /** Looks up a seeded user by `user_id` (throws if unknown). */
  user(userId: string): FakeUser {
    return this.directory.user(userId)
  }

  /** Issues a one-time login code for `openId` (what `tt.requestAccess` would hand the H5 page). */
  issueLoginCode(
    openId: string,
    options: { ttlSeconds?: number; scope?: string; redirectUri?: string } = {},
  ) {
    return this.controls.issueLoginCode(openId, options)
  }

  /** Starts listening on an ephemeral loopback port. */
  async listen(host = '127.0.0.1'): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, host, () => resolve())
    })
    const addr = this.server.address() as AddressInfo
    this.port = addr.port
    this.url = `http://${host}:${addr.port}`
    this.ws.attach(this.server, this.url)
    return this
  }

  /** Stops the HTTP and WebSocket servers and drops every connection. */
  async close(): Promise<void> {
    await this.ws.close()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  // ---------------------------------------------------------------------------------------------------------
  // Controls

  private buildControls(): FakeControls {
    return {
      now: () => this.now(),
      advanceTime: (ms: number) => {
        this.timeOffset += ms
      },
      expireTokens: () => {
        const now = this.now()
        for (const t of this.state.tokens.values())
          if (t.kind !== 'user') t.expiresAt = Math.min(t.expiresAt, now)
      },
      failNext: (spec: FailureSpec) => {
        this.failures.push({ ...spec, remaining: spec.times ?? 1 })
      },
      clearFailures: () => {
        this.failures.length = 0
      },
      setUnreachable: (openId: string, unreachable = true) => {
        if (unreachable) this.state.unreachable.add(openId)
        else this.state.unreachable.delete(openId)
      },
      addChat: (seed: FakeChatSeed) => this.addChat(seed),
      setAppAdmins: (userIds: string[]) => {
        for (const id of userIds) this.directory.user(id)
        this.appAdmins = [...userIds]
      },
      setAdminScope: (granted: boolean) => {
        this.adminScope = granted
      },
      setDirectoryScope: (granted: boolean) => {
        this.directoryScope = granted
      },
      setDepartmentLeader: (departmentId: string, userId: string) => {
        const d = this.directory.departments.find((x) => x.departmentId === departmentId)
        if (!d) throw new Error(`fake feishu: no department ${departmentId}`)
        if (userId) this.directory.user(userId)
        d.leaderUserId = userId
      },
      setBotInChat: (chatId: string, member: boolean) => {
        const chat = this.state.chats.get(chatId)
        if (!chat) throw new Error(`fake feishu: unknown chat ${chatId}`)
        chat.botIsMember = member
      },
      p2pChatId: (openId: string) => this.p2pChat(openId).chatId,
      addUserMessage: (input: UserMessageInput) => this.addUserMessage(input),
      markRead: (messageId: string, openIds: string[], at?: number) => {
        const m = this.state.messages.get(messageId)
        if (!m) throw new Error(`fake feishu: unknown message ${messageId}`)
        for (const id of openIds) if (!m.readBy.has(id)) m.readBy.set(id, at ?? this.now())
      },
      issueCardToken: (messageId: string, openId: string) => {
        const token = newCardToken()
        this.state.cardTokens.set(token, { token, messageId, openId, issuedAt: this.now(), uses: 0 })
        return token
      },
      issueLoginCode: (openId, opts = {}) => {
        const code = newLoginCode()
        const entry: LoginCode = {
          code,
          openId,
          expiresAt: this.now() + (opts.ttlSeconds ?? 180) * 1000,
          scope: opts.scope ?? '',
        }
        if (opts.redirectUri) entry.redirectUri = opts.redirectUri
        this.state.loginCodes.set(code, entry)
        return code
      },
      setRateLimits: (limits: Partial<FakeRateLimits>, multiplier = 1) => {
        this.limits = scaleLimits({ ...FEISHU_RATE_LIMITS, ...limits }, multiplier)
      },
      setRateLimiting: (enabled: boolean) => {
        this.rateLimiting = enabled
      },
      resetRateLimits: () => this.limiter.reset(),
    }
  }

  private addChat(seed: FakeChatSeed): FakeChat {
    const chatId = seed.chatId ?? `oc_${stableHex(`${this.appId}/chat/${seed.name}`)}`
    const chat: FakeChat = {
      chatId,
      name: seed.name,
      chatType: 'group',
      memberOpenIds: new Set(seed.memberUserIds.map((u) => this.directory.user(u).openId)),
      botIsMember: seed.botIsMember ?? true,
    }
    this.state.chats.set(chatId, chat)
    return chat
  }

  private p2pChat(openId: string): FakeChat {
    const chatId = `oc_${stableHex(`${this.appId}/p2p/${openId}`)}`
    let chat = this.state.chats.get(chatId)
    if (!chat) {
      chat = { chatId, name: '', chatType: 'p2p', memberOpenIds: new Set([openId]), botIsMember: true }
      this.state.chats.set(chatId, chat)
    }
    return chat
  }

  private addUserMessage(input: UserMessageInput): FakeMessage {
    const sender = this.directory.user(input.senderUserId)
    const chat = input.chatId ? this.state.chats.get(input.chatId) : this.p2pChat(sender.openId)
    if (!chat) throw new Error(`fake feishu: unknown chat ${input.chatId ?? ''}`)
    const now = this.now()
    const content = input.content ?? JSON.stringify({ text: input.text ?? '' })
    const m: FakeMessage = {
      messageId: newMessageId(),
      chatId: chat.chatId,
      chatType: chat.chatType,
      msgType: input.msgType ?? 'text',
      content,
      originalContent: content,
      createTime: now,
      updateTime: now,
      deleted: false,
      updated: false,
      sender: { kind: 'user', openId: sender.openId },
      receiver: { kind: 'chat', chatId: chat.chatId },
      updateMulti: false,
      patches: [],
      readBy: new Map(),
      urgent: { app: [], sms: [], phone: [] },
    }
    this.state.messages.set(m.messageId, m)
    return m
  }

  // ---------------------------------------------------------------------------------------------------------
  // HTTP plumbing

  private route(method: string, path: string, auth: AuthMode, handler: (ctx: Ctx) => Reply, limited = true) {
    this.routes.push({ method, pattern: compilePath(path), auth, limited, handler })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = this.now()
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname
    const raw = await readBody(req)
    const contentType = req.headers['content-type'] ?? ''
    let json: unknown
    let parts: MultipartPart[] | undefined
    let badJson = false
    if (contentType.includes('multipart/form-data')) {
      parts = parseMultipart(raw, contentType)
    } else if (raw.length > 0) {
      try {
        json = JSON.parse(raw.toString('utf8'))
      } catch {
        badJson = true
      }
    }
    const auth = this.classifyAuth(req.headers.authorization)
    let reply: Reply
    let injected = false
    const failure = this.takeFailure(method, path)
    if (failure) {
      injected = true
      reply = this.injectedReply(failure)
    } else if (badJson) {
      reply = this.fail(400, 9499, 'Bad Request: request body is not valid JSON')
    } else {
      reply = this.dispatch(method, path, url.searchParams, req.headers, json, parts, auth.record, now)
    }
    const query: Record<string, string> = {}
    for (const [k, v] of url.searchParams) query[k] = v
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue
      headers[k] = k === 'authorization' ? 'Bearer [redacted]' : Array.isArray(v) ? v.join(', ') : v
    }
    const body = parts ? multipartSummary(parts) : redactBody(json)
    const code = isRecord(reply.body) && typeof reply.body.code === 'number' ? reply.body.code : undefined
    this.recorder.add({
      at: now,
      method,
      path,
      query,
      headers,
      auth: auth.kind,
      body,
      status: reply.status,
      code,
      throttled: reply.throttled ?? false,
      injected,
    })
    const payload = JSON.stringify(reply.body)
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs))
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-tt-logid': newLogId(now),
      ...reply.headers,
    })
    res.end(payload)
  }

  private classifyAuth(header: string | undefined): { kind: AuthKind; record: TokenRecord | undefined } {
    if (!header) return { kind: 'none', record: undefined }
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim())
    const token = m?.[1]
    if (!token) return { kind: 'none', record: undefined }
    const record = this.state.tokens.get(token)
    if (!record) return { kind: 'invalid', record: undefined }
    return { kind: record.kind, record }
  }

  private dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: IncomingMessage['headers'],
    json: unknown,
    parts: MultipartPart[] | undefined,
    token: TokenRecord | undefined,
    now: number,
  ): Reply {
    let pathMatched = false
    for (const r of this.routes) {
      const params = r.pattern.match(path)
      if (!params) continue
      pathMatched = true
      if (r.method !== method) continue
      const authError = this.checkAuth(r.auth, headers.authorization, token, now)
      if (authError) return authError
      if (r.limited) {
        const limited = this.limitApp(`${r.method} ${r.pattern.source}`, now)
        if (limited) return limited
      }
      return r.handler({ method, path, params, query, headers, json, parts, token, now })
    }
    if (pathMatched) return this.fail(405, 405, 'method not allowed')
    return { status: 404, body: { code: 404, msg: '404 page not found' } }
  }

  private checkAuth(mode: AuthMode, header: string | undefined, token: TokenRecord | undefined, now: number) {
    if (mode === 'none') return undefined
    if (!header || !/^Bearer\s+\S+/i.test(header.trim())) {
      return this.fail(
        400,
        99991661,
        'Missing access token for authorization. Please make a request with token attached.',
      )
    }
    if (mode === 'user') {
      if (token?.kind !== 'user') {
        return this.fail(
          400,
          99991668,
          'Invalid access token for authorization. Please make a request with token attached.',
        )
      }
      if (token.expiresAt <= now) return this.fail(400, 99991677, 'user access token expired')
      return undefined
    }
    const kindOk = token && (token.kind === 'tenant' || (mode === 'tenant_or_app' && token.kind === 'app'))
    if (!token || !kindOk || token.expiresAt <= now) {
      return this.fail(
        400,
        99991663,
        'Invalid access token for authorization. Please make a request with token attached.',
      )
    }
    return undefined
  }

  private takeFailure(method: string, path: string): FailureSpec | undefined {
    const idx = this.failures.findIndex(
      (f) => f.remaining > 0 && (!f.method || f.method.toUpperCase() === method) && pathMatches(f.path, path),
    )
    if (idx < 0) return undefined
    const f = this.failures[idx]
    if (!f) return undefined
    f.remaining--
    if (f.remaining <= 0) this.failures.splice(idx, 1)
    return f
  }

  private injectedReply(f: FailureSpec): Reply {
    const code = f.code ?? (f.status === 429 ? 99991400 : 1)
    const headers: Record<string, string> = { ...f.headers }
    if (f.status === 429 && !headers['x-ogw-ratelimit-reset']) {
      headers['x-ogw-ratelimit-limit'] ??= String(this.limits.appPerSecond)
      headers['x-ogw-ratelimit-reset'] = String(f.resetSeconds ?? 1)
    }
    const body = f.body ?? {
      code,
      msg: f.msg ?? (f.status === 429 ? 'request trigger frequency limit' : 'injected failure'),
      error: { log_id: newLogId(this.now()) },
    }
    return { status: f.status, body, headers }
  }

  private fail(status: number, code: number, msg: string, extra: Record<string, unknown> = {}): Reply {
    return {
      status,
      body: {
        code,
        msg,
        error: {
          log_id: newLogId(this.now()),
          troubleshooter: `排查建议查看(Troubleshooting suggestions): https://open.feishu.cn/search?code=${code}`,
          ...extra,
        },
      },
    }
  }

  private fieldError(field: string, description: string): Reply {
    return this.fail(400, 99992402, 'field validation failed', {
      field_violations: [{ field, description }],
    })
  }

  private ok(data: unknown, msg = 'success'): Reply {
    return { status: 200, body: { code: 0, msg, data } }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Rate limiting

  private limitApp(key: string, now: number): Reply | undefined {
    if (!this.rateLimiting) return undefined
    const rules: WindowRule[] = [
      { limit: this.limits.appPerSecond, windowMs: 1000 },
      { limit: this.limits.appPerMinute, windowMs: 60_000 },
    ]
    const d = this.limiter.hit(`app:${key}`, rules, now)
    if (d.ok) return undefined
    const r = this.fail(429, 99991400, 'request trigger frequency limit')
    r.headers = { 'x-ogw-ratelimit-limit': String(d.limit), 'x-ogw-ratelimit-reset': String(d.resetSeconds) }
    r.throttled = true
    return r
  }

  private limitIm(key: string, perSecond: number, now: number): Reply | undefined {
    if (!this.rateLimiting) return undefined
    const d = this.limiter.hit(key, [{ limit: perSecond, windowMs: 1000 }], now)
    if (d.ok) return undefined
    const r = this.fail(this.imThrottleStatus, 230020, 'This operation triggers the frequency limit.')
    if (this.imThrottleStatus === 429) {
      r.headers = {
        'x-ogw-ratelimit-limit': String(d.limit),
        'x-ogw-ratelimit-reset': String(d.resetSeconds),
      }
    }
    r.throttled = true
    return r
  }

  // ---------------------------------------------------------------------------------------------------------
  // Routes

  private registerRoutes(): void {
    this.route(
      'POST',
      '/open-apis/auth/v3/tenant_access_token/internal',
      'none',
      (c) => this.tenantToken(c),
      false,
    )
    this.route('POST', '/open-apis/auth/v3/app_access_token/internal', 'none', (c) => this.appToken(c), false)
    this.route(
      'POST',
      '/callback/ws/endpoint',
      'none',
      (c) => ({ status: 200, body: this.ws.handleEndpoint(c.json) }),
      false,
    )
    this.route('GET', '/open-apis/bot/v3/info', 'tenant', () => ({
      status: 200,
      body: {
        code: 0,
        msg: 'ok',
        bot: {
          activate_status: 2,
          app_name: this.botName,
          avatar_url: 'https://s1-imfile.feishucdn.com/static-resource/v1/bot-avatar~?image_size=noop',
          ip_white_list: [],
          open_id: this.botOpenId,
        },
      },
    }))
    this.route('POST', '/open-apis/im/v1/messages', 'tenant', (c) => this.createMessage(c))
    this.route('POST', '/open-apis/im/v1/messages/:message_id/reply', 'tenant', (c) => this.replyMessage(c))
    this.route('PATCH', '/open-apis/im/v1/messages/:message_id', 'tenant', (c) => this.patchMessage(c))
    this.route('PUT', '/open-apis/im/v1/messages/:message_id', 'tenant', (c) => this.putMessage(c))
    this.route('DELETE', '/open-apis/im/v1/messages/:message_id', 'tenant', (c) => this.deleteMessage(c))
    this.route('GET', '/open-apis/im/v1/messages/:message_id', 'tenant', (c) => this.getMessage(c))
    this.route('GET', '/open-apis/im/v1/messages/:message_id/read_users', 'tenant', (c) => this.readUsers(c))
    for (const kind of ['app', 'sms', 'phone'] as const) {
      this.route('PATCH', `/open-apis/im/v1/messages/:message_id/urgent_${kind}`, 'tenant', (c) =>
        this.urgent(c, kind),
      )
    }
    this.route('POST', '/open-apis/message/v4/batch_send/', 'tenant', (c) => this.batchSend(c))
    this.route('POST', '/open-apis/message/v4/batch_send', 'tenant', (c) => this.batchSend(c))
    this.route('POST', '/open-apis/im/v1/images', 'tenant', (c) => this.uploadImage(c))
    this.route('POST', '/open-apis/im/v1/files', 'tenant', (c) => this.uploadFile(c))
    this.route('POST', '/open-apis/interactive/v1/card/update', 'tenant', (c) => this.delayedCardUpdate(c))
    this.route('GET', '/open-apis/contact/v3/departments/:department_id/children', 'tenant', (c) =>
      this.deptChildren(c),
    )
    this.route('GET', '/open-apis/contact/v3/departments/:department_id', 'tenant', (c) => this.deptGet(c))
    this.route('GET', '/open-apis/contact/v3/users/find_by_department', 'tenant', (c) => this.usersByDept(c))
    this.route('POST', '/open-apis/contact/v3/users/batch_get_id', 'tenant', (c) => this.batchGetId(c))
    this.route('GET', '/open-apis/contact/v3/users/:user_id', 'tenant', (c) => this.userGet(c))
    this.route('GET', '/open-apis/user/v4/app_admin_user/list', 'tenant', (c) => this.appAdminList(c))
    this.route('POST', '/open-apis/directory/v1/employees/filter', 'tenant', (c) => this.employeesFilter(c))
    this.route('POST', '/open-apis/jssdk/ticket/get', 'tenant', (c) => this.jsapiTicketGet(c))
    this.route('POST', '/open-apis/authen/v2/oauth/token', 'none', (c) => this.oauthToken(c))
    this.route('POST', '/open-apis/authen/v1/oidc/access_token', 'tenant_or_app', (c) => this.oidcToken(c))
    this.route('GET', '/open-apis/authen/v1/user_info', 'user', (c) => this.userInfo(c))
  }

  // --- auth ---------------------------------------------------------------------------------------------------

  private checkAppCredentials(c: Ctx): Reply | undefined {
    const b = isRecord(c.json) ? c.json : {}
    const appId = str(b.app_id)
    const secret = str(b.app_secret)
    if (!appId || !secret) return { status: 200, body: { code: 10003, msg: 'invalid param' } }
    if (appId !== this.appId || secret !== this.appSecret) {
      // The token endpoints answer HTTP 200 with a business code (the SDK has a branch for exactly this).
      return { status: 200, body: { code: 99991543, msg: 'app_id or app_secret is invalid' } }
    }
    return undefined
  }

  private currentToken(kind: 'tenant' | 'app', now: number): TokenRecord {
    let best: TokenRecord | undefined
    for (const t of this.state.tokens.values()) {
      if (
        t.kind === kind &&
        t.expiresAt - now > this.tokenReuseMs &&
        (!best || t.expiresAt > best.expiresAt)
      ) {
        best = t
      }
    }
    if (best) return best
    const token = kind === 'tenant' ? newTenantToken() : newAppToken()
    const rec: TokenRecord = { token, kind, expiresAt: now + this.tokenTtlMs }
    this.state.tokens.set(token, rec)
    return rec
  }

  private tenantToken(c: Ctx): Reply {
    const bad = this.checkAppCredentials(c)
    if (bad) return bad
    const t = this.currentToken('tenant', c.now)
    return {
      status: 200,
      body: {
        code: 0,
        msg: 'ok',
        tenant_access_token: t.token,
        expire: Math.floor((t.expiresAt - c.now) / 1000),
      },
    }
  }

  private appToken(c: Ctx): Reply {
    const bad = this.checkAppCredentials(c)
    if (bad) return bad
    const a = this.currentToken('app', c.now)
    const t = this.currentToken('tenant', c.now)
    return {
      status: 200,
      body: {
        code: 0,
        msg: 'ok',
        app_access_token: a.token,
        expire: Math.floor((a.expiresAt - c.now) / 1000),
        tenant_access_token: t.token,
      },
    }
  }

  private oauthError(status: number, code: number, error: string, description: string): Reply {
    return {
      status,
      body: {
        code,
        error,
        error_description: description,
        msg: description,
        error_details: { log_id: newLogId(this.now()) },
      },
    }
  }

  private issueUserToken(openId: string, scope: string, now: number) {
    const access = newUserToken()
    this.state.tokens.set(access, { token: access, kind: 'user', expiresAt: now + 7200_000, openId, scope })
    const out: Record<string, unknown> = {
      code: 0,
      access_token: access,
      expires_in: 7200,
      token_type: 'Bearer',
      scope,
    }
    if (scope.split(/\s+/).includes('offline_access')) {
      const refresh = newRefreshToken()
      this.state.refreshTokens.set(refresh, { openId, scope, expiresAt: now + 30 * DAY, used: false })
      out.refresh_token = refresh
      out.refresh_token_expires_in = 30 * 86400
    }
    return out
  }

  /** One-time code lookup shared by the v2 and legacy exchanges. */
  private consumeCode(code: string | undefined, now: number): LoginCode | 'missing' | 'expired' {
    if (!code) return 'missing'
    const entry = this.state.loginCodes.get(code)
    if (!entry) return 'missing'
    this.state.loginCodes.delete(code)
    if (entry.expiresAt <= now) return 'expired'
    return entry
  }

  private oauthToken(c: Ctx): Reply {
    const b = isRecord(c.json) ? c.json : {}
    if (b.client_id !== this.appId || b.client_secret !== this.appSecret) {
      return this.oauthError(400, 20002, 'invalid_client', 'The client secret is invalid.')
    }
    if (b.grant_type === 'authorization_code') {
      const entry = this.consumeCode(str(b.code), c.now)
      if (entry === 'missing') {
        return this.oauthError(
          400,
          20003,
          'invalid_grant',
          'The authorization code is not found or already used.',
        )
      }
      if (entry === 'expired')
        return this.oauthError(400, 20004, 'invalid_grant', 'The authorization code has expired.')
      if (entry.redirectUri && b.redirect_uri !== entry.redirectUri) {
        return this.oauthError(400, 20071, 'invalid_grant', 'The redirect_uri does not match.')
      }
      const u = this.directory.findUser('open_id', entry.openId)
      if (!u || u.status.is_resigned)
        return this.oauthError(400, 20010, 'invalid_grant', 'The user is not available.')
      return { status: 200, body: this.issueUserToken(entry.openId, entry.scope, c.now) }
    }
    if (b.grant_type === 'refresh_token') {
      const token = str(b.refresh_token) ?? ''
      const entry = this.state.refreshTokens.get(token)
      if (!entry) return this.oauthError(400, 20026, 'invalid_grant', 'The refresh token is invalid.')
      if (entry.used) return this.oauthError(400, 20073, 'invalid_grant', 'The refresh token has been used.')
      if (entry.expiresAt <= c.now)
        return this.oauthError(400, 20037, 'invalid_grant', 'The refresh token has expired.')
      entry.used = true
      return { status: 200, body: this.issueUserToken(entry.openId, entry.scope, c.now) }
    }
    return this.oauthError(400, 20001, 'unsupported_grant_type', 'grant_type is not supported.')
  }

  private oidcToken(c: Ctx): Reply {
    const b = isRecord(c.json) ? c.json : {}
    if (b.grant_type !== 'authorization_code')
      return this.fieldError('grant_type', 'must be authorization_code')
    const entry = this.consumeCode(str(b.code), c.now)
    if (entry === 'missing') return this.fail(400, 20003, 'invalid code')
    if (entry === 'expired') return this.fail(400, 20004, 'code expired')
    const t = this.issueUserToken(entry.openId, entry.scope || 'offline_access', c.now)
    return this.ok({
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      token_type: 'Bearer',
      expires_in: 7200,
      refresh_expires_in: 30 * 86400,
      scope: entry.scope,
    })
  }

  private userInfo(c: Ctx): Reply {
    const u = c.token?.openId ? this.directory.findUser('open_id', c.token.openId) : undefined
    if (!u) return this.fail(400, 99991668, 'Invalid access token for authorization.')
    const json = this.directory.userJson(u, 'open_id', 'open_department_id')
    const avatar = isRecord(json.avatar) ? json.avatar : {}
    return this.ok({
      name: u.name,
      en_name: u.enName,
      avatar_url: avatar.avatar_240,
      avatar_thumb: avatar.avatar_72,
      avatar_middle: avatar.avatar_240,
      avatar_big: avatar.avatar_640,
      open_id: u.openId,
      union_id: u.unionId,
      email: u.email,
      enterprise_email: '',
      user_id: u.userId,
      mobile: u.mobile,
      tenant_key: this.tenantKey,
      employee_no: u.employeeNo,
    })
  }

  private jsapiTicketGet(c: Ctx): Reply {
    if (!this.jsapiTicket || this.jsapiTicket.expiresAt <= c.now) {
      this.jsapiTicket = { ticket: newJsapiTicket(), expiresAt: c.now + 7200_000 }
    }
    return this.ok(
      { ticket: this.jsapiTicket.ticket, expire_in: Math.floor((this.jsapiTicket.expiresAt - c.now) / 1000) },
      'ok',
    )
  }

  // --- IM -----------------------------------------------------------------------------------------------------

  private messageJson(m: FakeMessage): Record<string, unknown> {
    const out: Record<string, unknown> = {
      message_id: m.messageId,
      msg_type: m.msgType,
      create_time: String(m.createTime),
      update_time: String(m.updateTime),
      deleted: m.deleted,
      updated: m.updated,
      chat_id: m.chatId,
      sender:
        m.sender.kind === 'app'
          ? { id: this.appId, id_type: 'app_id', sender_type: 'app', tenant_key: this.tenantKey }
          : { id: m.sender.openId, id_type: 'open_id', sender_type: 'user', tenant_key: this.tenantKey },
      body: { content: m.deleted ? JSON.stringify({ text: 'This message was recalled' }) : m.content },
    }
    if (m.rootId) out.root_id = m.rootId
    if (m.parentId) out.parent_id = m.parentId
    if (m.threadId) out.thread_id = m.threadId
    return out
  }

  /** Validates msg_type/content; returns the card check for interactive messages. */
  private checkContent(msgType: unknown, content: unknown): Reply | { card?: CardCheck & { ok: true } } {
    if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType))
      return this.fieldError('msg_type', 'invalid msg_type')
    if (typeof content !== 'string') return this.fieldError('content', 'content must be a JSON string')
    if (msgType === 'interactive') {
      const card = checkCardContent(content)
      if (!card.ok) return this.fail(400, card.code, card.msg)
      return { card }
    }
    const limit = msgType === 'text' ? TEXT_MAX_BYTES : 30 * 1024
    if (utf8Bytes(content) > limit) {
      return this.fail(400, 230025, 'The length of the message content reaches its limit.')
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(content)
    } catch {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=invalid content json',
      )
    }
    if (!isRecord(parsed))
      return this.fail(400, 230001, 'Your request contains an invalid request parameter, ext=content')
    if (msgType === 'text' && typeof parsed.text !== 'string') {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=text is required',
      )
    }
    if (msgType === 'image' && typeof parsed.image_key !== 'string') {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=image_key is required',
      )
    }
    return {}
  }

  private isReply(v: unknown): v is Reply {
    return isRecord(v) && typeof v.status === 'number' && 'body' in v
  }

  /** Resolves a send target; returns the chat, receiver and the limiter key. */
  private resolveReceiver(
    type: string,
    id: string,
  ): Reply | { chat: FakeChat; receiver: FakeReceiver; limitKey: string; perSecond: number } {
    if (type === 'chat_id') {
      const chat = this.state.chats.get(id)
      if (!chat?.botIsMember) return this.fail(400, 230002, 'The bot can not be outside the group.')
      return {
        chat,
        receiver:
          chat.chatType === 'p2p'
            ? { kind: 'user', openId: [...chat.memberOpenIds][0] ?? '' }
            : { kind: 'chat', chatId: chat.chatId },
        limitKey: `im:chat:${chat.chatId}`,
        perSecond: this.limits.perChatPerSecond,
      }
    }
    const u = this.directory.findUser(type as UserIdType | 'email', id)
    if (!u || u.status.is_resigned || !u.status.is_activated || this.state.unreachable.has(u.openId)) {
      return this.fail(400, 230013, 'Bot has NO availability to this user.')
    }
    return {
      chat: this.p2pChat(u.openId),
      receiver: { kind: 'user', openId: u.openId },
      limitKey: `im:user:${u.openId}`,
      perSecond: this.limits.perReceiverPerSecond,
    }
  }

  private dedupe(uuid: unknown, now: number): Reply | undefined {
    if (typeof uuid !== 'string' || uuid === '') return undefined
    const hit = this.uuidIndex.get(uuid)
    if (!hit || now - hit.at >= HOUR) return undefined
    const m = this.state.messages.get(hit.messageId)
    if (!m) return undefined
    this.recorder.dedupeHits++
    return this.ok(this.messageJson(m))
  }

  private storeAppMessage(input: StoreMessageInput): FakeMessage {
    const m: FakeMessage = {
      messageId: newMessageId(),
      chatId: input.chat.chatId,
      chatType: input.chat.chatType,
      msgType: input.msgType,
      content: input.content,
      originalContent: input.content,
      createTime: input.now,
      updateTime: input.now,
      deleted: false,
      updated: false,
      sender: { kind: 'app' },
      receiver: input.receiver,
      updateMulti: input.updateMulti,
      patches: [],
      readBy: new Map(),
      urgent: { app: [], sms: [], phone: [] },
    }
    if (input.uuid) {
      m.uuid = input.uuid
      this.uuidIndex.set(input.uuid, { messageId: m.messageId, at: input.now })
    }
    if (input.parent) {
      m.parentId = input.parent.messageId
      m.rootId = input.parent.rootId ?? input.parent.messageId
      if (input.inThread || input.parent.threadId)
        m.threadId = input.parent.threadId ?? `omt_${stableHex(m.rootId, 14)}`
    }
    this.state.messages.set(m.messageId, m)
    return m
  }

  private createMessage(c: Ctx): Reply {
    const type = c.query.get('receive_id_type') ?? ''
    if (!RECEIVE_ID_TYPES.has(type))
      return this.fieldError('receive_id_type', 'receive_id_type is required and must be valid')
    const b = isRecord(c.json) ? c.json : {}
    const receiveId = str(b.receive_id)
    if (!receiveId) return this.fieldError('receive_id', 'receive_id is required')
    if (b.uuid !== undefined && (typeof b.uuid !== 'string' || b.uuid.length > 50)) {
      return this.fieldError('uuid', 'uuid must be a string of at most 50 characters')
    }
    const content = this.checkContent(b.msg_type, b.content)
    if (this.isReply(content)) return content
    const dup = this.dedupe(b.uuid, c.now)
    if (dup) return dup
    const target = this.resolveReceiver(type, receiveId)
    if (this.isReply(target)) return target
    const limited = this.limitIm(target.limitKey, target.perSecond, c.now)
    if (limited) return limited
    const input: StoreMessageInput = {
      chat: target.chat,
      receiver: target.receiver,
      msgType: String(b.msg_type),
      content: String(b.content),
      updateMulti: content.card?.updateMulti ?? false,
      now: c.now,
    }
    if (typeof b.uuid === 'string' && b.uuid) input.uuid = b.uuid
    return this.ok(this.messageJson(this.storeAppMessage(input)))
  }

  private findMessage(id: string | undefined): FakeMessage | Reply {
    const m = id ? this.state.messages.get(id) : undefined
    if (!m)
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=message_id not found',
      )
    return m
  }

  private replyMessage(c: Ctx): Reply {
    const parent = this.findMessage(c.params.message_id)
    if (this.isReply(parent)) return parent
    if (parent.deleted) return this.fail(400, 230011, 'The message is recalled.')
    const b = isRecord(c.json) ? c.json : {}
    if (b.uuid !== undefined && (typeof b.uuid !== 'string' || b.uuid.length > 50)) {
      return this.fieldError('uuid', 'uuid must be a string of at most 50 characters')
    }
    const content = this.checkContent(b.msg_type, b.content)
    if (this.isReply(content)) return content
    const dup = this.dedupe(b.uuid, c.now)
    if (dup) return dup
    const chat = this.state.chats.get(parent.chatId)
    if (!chat?.botIsMember) return this.fail(400, 230002, 'The bot can not be outside the group.')
    const receiver: FakeReceiver =
      chat.chatType === 'p2p'
        ? { kind: 'user', openId: [...chat.memberOpenIds][0] ?? '' }
        : { kind: 'chat', chatId: chat.chatId }
    if (receiver.kind === 'user' && this.state.unreachable.has(receiver.openId)) {
      return this.fail(400, 230013, 'Bot has NO availability to this user.')
    }
    const key = receiver.kind === 'user' ? `im:user:${receiver.openId}` : `im:chat:${chat.chatId}`
    const perSecond =
      receiver.kind === 'user' ? this.limits.perReceiverPerSecond : this.limits.perChatPerSecond
    const limited = this.limitIm(key, perSecond, c.now)
    if (limited) return limited
    const input: StoreMessageInput = {
      chat,
      receiver,
      msgType: String(b.msg_type),
      content: String(b.content),
      updateMulti: content.card?.updateMulti ?? false,
      now: c.now,
      parent,
      inThread: b.reply_in_thread === true,
    }
    if (typeof b.uuid === 'string' && b.uuid) input.uuid = b.uuid
    return this.ok(this.messageJson(this.storeAppMessage(input)))
  }

  /** Common preconditions for operating on an app-sent message. */
  private ownMessage(id: string | undefined): FakeMessage | Reply {
    const m = this.findMessage(id)
    if (this.isReply(m)) return m
    if (m.deleted) return this.fail(400, 230011, 'The message is recalled.')
    if (m.sender.kind !== 'app') return this.fail(400, 230012, 'Bot is NOT the sender of the message.')
    return m
  }

  private applyCardUpdate(
    m: FakeMessage,
    content: string,
    card: CardCheck & { ok: true },
    via: FakePatch['via'],
    now: number,
  ) {
    m.content = content
    m.updateMulti = card.updateMulti
    m.updated = true
    m.updateTime = now
    m.patches.push({ at: now, via, content })
  }

  private patchMessage(c: Ctx): Reply {
    const m = this.ownMessage(c.params.message_id)
    if (this.isReply(m)) return m
    if (m.msgType !== 'interactive') {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=message is not a card',
      )
    }
    if (m.batchMessageId) {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=batch messages cannot be updated',
      )
    }
    if (c.now - m.createTime > 14 * DAY)
      return this.fail(400, 230031, 'Message can only be modified within 14 days after sending.')
    const b = isRecord(c.json) ? c.json : {}
    if (typeof b.content !== 'string') return this.fieldError('content', 'content must be a JSON string')
    const card = checkCardContent(b.content)
    if (!card.ok) return this.fail(400, card.code, card.msg)
    if (!m.updateMulti || !card.updateMulti) {
      return this.fail(
        400,
        230099,
        'Failed to create card content, ext=update_multi must be true in both the old and the new card',
      )
    }
    const limited = this.limitIm(`im:msg:${m.messageId}`, this.limits.perMessagePerSecond, c.now)
    if (limited) return limited
    this.applyCardUpdate(m, b.content, card, 'patch', c.now)
    return this.ok({})
  }

  private putMessage(c: Ctx): Reply {
    const m = this.ownMessage(c.params.message_id)
    if (this.isReply(m)) return m
    const b = isRecord(c.json) ? c.json : {}
    if (b.msg_type !== 'text' && b.msg_type !== 'post' && b.msg_type !== 'interactive') {
      return this.fieldError('msg_type', 'only text, post and template cards can be edited')
    }
    if (b.msg_type !== m.msgType) {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=msg_type mismatch',
      )
    }
    const content = this.checkContent(b.msg_type, b.content)
    if (this.isReply(content)) return content
    m.content = String(b.content)
    m.updated = true
    m.updateTime = c.now
    m.patches.push({
      at: c.now,
      via: 'put',
      content: m.content,
    })
    return this.ok(this.messageJson(m))
  }

  private deleteMessage(c: Ctx): Reply {
    const m = this.ownMessage(c.params.message_id)
    if (this.isReply(m)) return m
    m.deleted = true
    m.updateTime = c.now
    return this.ok({})
  }

  private getMessage(c: Ctx): Reply {
    const m = this.findMessage(c.params.message_id)
    if (this.isReply(m)) return m
    return this.ok({ items: [this.messageJson(m)] })
  }

  private pageParams(c: Ctx, def: number, max: number): { size: number; offset: number } | Reply {
    const raw = c.query.get('page_size')
    const size = raw === null || raw === '' ? def : Number(raw)
    if (!Number.isInteger(size) || size < 1 || size > max) {
      return this.fieldError('page_size', `page_size must be between 1 and ${max}`)
    }
    const offset = decodePageToken(c.query.get('page_token'))
    if (offset === undefined) return this.fieldError('page_token', 'invalid page_token')
    return { size, offset }
  }

  private page<T>(items: T[], p: { size: number; offset: number }) {
    const slice = items.slice(p.offset, p.offset + p.size)
    const hasMore = p.offset + p.size < items.length
    return { slice, has_more: hasMore, page_token: hasMore ? encodePageToken(p.offset + p.size) : '' }
  }

  private readUsers(c: Ctx): Reply {
    const idType = parseUserIdType(c.query.get('user_id_type'), undefined)
    if (!idType) return this.fieldError('user_id_type', 'user_id_type is required')
    const m = this.ownMessage(c.params.message_id)
    if (this.isReply(m)) return m
    if (c.now - m.createTime > 7 * DAY) {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=message older than 7 days',
      )
    }
    const p = this.pageParams(c, 20, 100)
    if (this.isReply(p)) return p
    const readers = [...m.readBy.entries()].sort((a, b) => a[1] - b[1])
    const { slice, has_more, page_token } = this.page(readers, p)
    const items = slice.map(([openId, at]) => {
      const u = this.directory.findUser('open_id', openId)
      return {
        user_id_type: idType,
        user_id: u ? idOf(u, idType) : openId,
        timestamp: String(at),
        tenant_key: this.tenantKey,
      }
    })
    return this.ok({ items, has_more, page_token })
  }

  private urgent(c: Ctx, kind: 'app' | 'sms' | 'phone'): Reply {
    const idType = parseUserIdType(c.query.get('user_id_type'), undefined)
    if (!idType) return this.fieldError('user_id_type', 'user_id_type is required')
    const m = this.ownMessage(c.params.message_id)
    if (this.isReply(m)) return m
    const b = isRecord(c.json) ? c.json : {}
    const list = Array.isArray(b.user_id_list)
      ? b.user_id_list.filter((x): x is string => typeof x === 'string')
      : []
    if (list.length === 0) return this.fieldError('user_id_list', 'user_id_list is required')
    const chat = this.state.chats.get(m.chatId)
    const invalid: string[] = []
    for (const id of list) {
      const u = this.directory.findUser(idType, id)
      if (!u || !chat?.memberOpenIds.has(u.openId)) invalid.push(id)
      else m.urgent[kind].push(u.openId)
    }
    return this.ok({ invalid_user_id_list: invalid })
  }

  private batchSend(c: Ctx): Reply {
    const b = isRecord(c.json) ? c.json : {}
    const msgType = str(b.msg_type)
    if (!msgType || !MSG_TYPES.has(msgType)) return this.fieldError('msg_type', 'invalid msg_type')
    let content: string
    let updateMulti = false
    if (msgType === 'interactive') {
      const card = checkCardObject(b.card)
      if (!card.ok) return this.fail(400, card.code, card.msg)
      content = JSON.stringify(b.card)
      updateMulti = card.updateMulti
    } else {
      if (!isRecord(b.content)) return this.fieldError('content', 'content must be an object')
      content = JSON.stringify(b.content)
    }
    const lists = {
      open_ids: 'open_id',
      user_ids: 'user_id',
      union_ids: 'union_id',
    } as const
    const invalid: Record<string, string[]> = {
      invalid_department_ids: [],
      invalid_open_ids: [],
      invalid_user_ids: [],
      invalid_union_ids: [],
    }
    const targets = new Map<string, FakeUser>()
    for (const [field, type] of Object.entries(lists)) {
      const ids = Array.isArray(b[field]) ? (b[field] as unknown[]) : []
      if (ids.length > 200) return this.fieldError(field, 'at most 200 ids')
      for (const id of ids) {
        const u = typeof id === 'string' ? this.directory.findUser(type, id) : undefined
        if (!u || u.status.is_resigned || this.state.unreachable.has(u.openId))
          invalid[`invalid_${field}`]?.push(String(id))
        else targets.set(u.openId, u)
      }
    }
    const depts = Array.isArray(b.department_ids) ? (b.department_ids as unknown[]) : []
    if (depts.length > 200) return this.fieldError('department_ids', 'at most 200 ids')
    for (const d of depts) {
      const id = String(d)
      const dept =
        id === ROOT_DEPARTMENT_ID
          ? ROOT_DEPARTMENT_ID
          : (
              this.directory.findDepartment('department_id', id) ??
              this.directory.findDepartment('open_department_id', id)
            )?.departmentId
      if (!dept) {
        invalid.invalid_department_ids?.push(id)
        continue
      }
      for (const u of this.directory.membersDeep(dept))
        if (!this.state.unreachable.has(u.openId)) targets.set(u.openId, u)
    }
    const batchMessageId = newBatchMessageId()
    const record: BatchRecord = { batchMessageId, msgType, createTime: c.now, messageIds: [] }
    for (const u of targets.values()) {
      const m = this.storeAppMessage({
        chat: this.p2pChat(u.openId),
        receiver: { kind: 'user', openId: u.openId },
        msgType,
        content,
        updateMulti,
        now: c.now,
      })
      m.batchMessageId = batchMessageId
      record.messageIds.push(m.messageId)
    }
    this.state.batches.set(batchMessageId, record)
    return this.ok({ message_id: batchMessageId, ...invalid })
  }

  private uploadImage(c: Ctx): Reply {
    if (!c.parts) return this.fail(400, 234001, 'Invalid request param: multipart/form-data expected.')
    const type = c.parts.find((p) => p.name === 'image_type')?.data.toString('utf8')
    const image = c.parts.find((p) => p.name === 'image')
    if (type !== 'message' && type !== 'avatar')
      return this.fail(400, 234001, 'Invalid request param: image_type.')
    if (!image || image.data.length === 0) return this.fail(400, 234010, 'File size can not be 0.')
    if (image.data.length > 10 * 1024 * 1024)
      return this.fail(400, 234006, 'The file size exceeds the limit (10 MB).')
    const key = newImageKey()
    this.state.uploads.set(key, {
      key,
      kind: 'image',
      name: image.filename ?? '',
      size: image.data.length,
      type,
      at: c.now,
    })
    return this.ok({ image_key: key })
  }

  private uploadFile(c: Ctx): Reply {
    if (!c.parts) return this.fail(400, 234001, 'Invalid request param: multipart/form-data expected.')
    const field = (n: string) => c.parts?.find((p) => p.name === n)?.data.toString('utf8')
    const type = field('file_type') ?? ''
    const name = field('file_name') ?? ''
    const file = c.parts.find((p) => p.name === 'file')
    if (!FILE_TYPES.has(type)) return this.fail(400, 234001, 'Invalid request param: file_type.')
    if (!name) return this.fail(400, 234001, 'Invalid request param: file_name.')
    if (!file || file.data.length === 0) return this.fail(400, 234010, 'File size can not be 0.')
    if (file.data.length > 30 * 1024 * 1024)
      return this.fail(400, 234006, 'The file size exceeds the limit (30 MB).')
    const key = newFileKey()
    this.state.uploads.set(key, { key, kind: 'file', name, size: file.data.length, type, at: c.now })
    return this.ok({ file_key: key })
  }

  private delayedCardUpdate(c: Ctx): Reply {
    const b = isRecord(c.json) ? c.json : {}
    const token = str(b.token) ?? ''
    const entry = this.state.cardTokens.get(token)
    if (!entry || c.now - entry.issuedAt > 30 * 60_000 || entry.uses >= 2) {
      return this.fail(
        400,
        230001,
        'Your request contains an invalid request parameter, ext=card token is invalid, expired or used up',
      )
    }
    const card = checkCardObject(b.card)
    if (!card.ok) return this.fail(400, card.code, card.msg)
    if (card.kind === 'v1' && (!isRecord(b.card) || !Array.isArray(b.card.open_ids))) {
      return this.fail(400, 300090, 'open_ids is required for schema 1.0 cards')
    }
    const m = this.state.messages.get(entry.messageId)
    if (!m || m.deleted) return this.fail(400, 230011, 'The message is recalled.')
    const limited = this.limitIm(`im:msg:${m.messageId}`, this.limits.perMessagePerSecond, c.now)
    if (limited) return limited
    entry.uses++
    this.applyCardUpdate(m, JSON.stringify(b.card), card, 'card_update', c.now)
    return { status: 200, body: { code: 0, msg: 'success' } }
  }

  // --- contact ------------------------------------------------------------------------------------------------

  private idTypes(c: Ctx): { userIdType: UserIdType; deptIdType: DepartmentIdType } | Reply {
    const userIdType = parseUserIdType(c.query.get('user_id_type'))
    if (!userIdType) return this.fieldError('user_id_type', 'invalid user_id_type')
    const deptIdType = parseDepartmentIdType(c.query.get('department_id_type'))
    if (!deptIdType) return this.fieldError('department_id_type', 'invalid department_id_type')
    return { userIdType, deptIdType }
  }

  /** Resolves a department id in the requested type to the tenant `department_id` ('0' for root). */
  private deptId(id: string, type: DepartmentIdType): string | undefined {
    if (id === ROOT_DEPARTMENT_ID) return ROOT_DEPARTMENT_ID
    return this.directory.findDepartment(type, id)?.departmentId
  }

  private deptChildren(c: Ctx): Reply {
    const t = this.idTypes(c)
    if (this.isReply(t)) return t
    const id = this.deptId(c.params.department_id ?? '', t.deptIdType)
    if (!id) return this.fail(400, 40003, 'department not found')
    const p = this.pageParams(c, 10, 50)
    if (this.isReply(p)) return p
    const all = this.directory.children(id, c.query.get('fetch_child') === 'true')
    const { slice, has_more, page_token } = this.page(all, p)
    return this.ok({
      has_more,
      page_token,
      items: slice.map((d) => this.directory.departmentJson(d, t.userIdType, t.deptIdType)),
    })
  }

  private deptGet(c: Ctx): Reply {
    const t = this.idTypes(c)
    if (this.isReply(t)) return t
    const d = this.directory.findDepartment(t.deptIdType, c.params.department_id ?? '')
    if (!d) return this.fail(400, 40003, 'department not found')
    return this.ok({ department: this.directory.departmentJson(d, t.userIdType, t.deptIdType) })
  }

  private usersByDept(c: Ctx): Reply {
    const t = this.idTypes(c)
    if (this.isReply(t)) return t
    const raw = c.query.get('department_id')
    if (!raw) return this.fieldError('department_id', 'department_id is required')
    const id = this.deptId(raw, t.deptIdType)
    if (!id) return this.fail(400, 40003, 'department not found')
    const p = this.pageParams(c, 10, 50)
    if (this.isReply(p)) return p
    const { slice, has_more, page_token } = this.page(this.directory.members(id), p)
    return this.ok({
      has_more,
      page_token,
      items: slice.map((u) => this.directory.userJson(u, t.userIdType, t.deptIdType)),
    })
  }

  private userGet(c: Ctx): Reply {
    const t = this.idTypes(c)
    if (this.isReply(t)) return t
    const u = this.directory.findUser(t.userIdType, c.params.user_id ?? '')
    if (!u) return this.fail(400, 41050, 'no user authority error')
    return this.ok({ user: this.directory.userJson(u, t.userIdType, t.deptIdType) })
  }

  /**
   * Directory v1 employee list (批量获取员工列表): a POST with `filter.conditions` (0–10, AND), `required_fields`
   * (1–100; only those come back) and `page_request {page_size ≤ 100, page_token}`. Conditions as documented:
   * `base_info.mobile` / `base_info.email` / `work_info.job_number` (eq, in), and
   * `base_info.departments.department_id` (eq, in: direct members) only together with
   * `work_info.staff_status eq 1`. No condition lists everyone in the app's contact scope, resigned people
   * included with `is_resigned: true`. Paged in a stable order (seed order).
   */
  private employeesFilter(c: Ctx): Reply {
    if (!this.directoryScope)
      return this.fail(
        400,
        99991672,
        'Access denied. One of the following scopes is required: [directory:employee:list]',
      )
    const rawType = c.query.get('employee_id_type')
    const userIdType =
      rawType === 'employee_id' ? 'user_id' : rawType === 'user_id' ? undefined : parseUserIdType(rawType)
    if (!userIdType) return this.fieldError('employee_id_type', 'invalid employee_id_type')
    const deptIdType = parseDepartmentIdType(c.query.get('department_id_type'))
    if (!deptIdType) return this.fieldError('department_id_type', 'invalid department_id_type')
    const b = isRecord(c.json) ? c.json : {}
    const filter = isRecord(b.filter) ? b.filter : undefined
    if (!filter || !Array.isArray(filter.conditions))
      return this.fieldError('filter', 'filter.conditions is required')
    if (filter.conditions.length > 10) return this.fieldError('filter.conditions', 'at most 10 conditions')
    const fields = Array.isArray(b.required_fields)
      ? b.required_fields.filter((f): f is string => typeof f === 'string')
      : []
    if (fields.length === 0 || fields.length > 100)
      return this.fieldError('required_fields', 'required_fields must list 1 to 100 fields')
    const pr = isRecord(b.page_request) ? b.page_request : {}
    const size = pr.page_size === undefined ? 20 : Number(pr.page_size)
    if (!Number.isInteger(size) || size < 0 || size > 100)
      return this.fieldError('page_request.page_size', 'page_size must be between 0 and 100')
    const offset = decodePageToken(typeof pr.page_token === 'string' ? pr.page_token : null)
    if (offset === undefined) return this.fieldError('page_request.page_token', 'invalid page_token')

    let people = this.directory.users
    let departmentFilter: Set<string> | undefined
    let activeOnly = false
    for (const raw of filter.conditions) {
      const cond = isRecord(raw) ? raw : {}
      const field = str(cond.field)
      const op = str(cond.operator)
      let value: unknown
      try {
        value = JSON.parse(str(cond.value) ?? '')
      } catch {
        return this.fieldError('filter.conditions.value', 'value must be an escaped JSON string')
      }
      const values = op === 'eq' ? [value] : op === 'in' && Array.isArray(value) ? value : undefined
      if (!values) return this.fieldError('filter.conditions.operator', `unsupported operator ${op}`)
      const strings = values.filter((v): v is string => typeof v === 'string')
      if (field === 'base_info.mobile') people = people.filter((u) => strings.includes(u.mobile))
      else if (field === 'base_info.email') people = people.filter((u) => strings.includes(u.email))
      else if (field === 'work_info.job_number') people = people.filter((u) => strings.includes(u.employeeNo))
      else if (field === 'base_info.departments.department_id') {
        departmentFilter = new Set(
          strings.map((d) => this.deptId(d, deptIdType)).filter((d): d is string => !!d),
        )
      } else if (field === 'work_info.staff_status' && op === 'eq' && value === 1) activeOnly = true
      else return this.fieldError('filter.conditions.field', `unsupported filter field ${field}`)
    }
    if (!!departmentFilter !== activeOnly)
      return this.fieldError(
        'filter.conditions',
        'base_info.departments.department_id and work_info.staff_status must be used together',
      )
    if (departmentFilter) {
      const ids = departmentFilter
      people = people.filter((u) => !u.status.is_resigned && u.departmentIds.some((d) => ids.has(d)))
    }
    const { slice, has_more, page_token } = this.page(people, { size, offset })
    const wants = (f: string) =>
      fields.some((x) => x === f || (x.endsWith('.*') && f.startsWith(x.slice(0, -1))))
    return this.ok({
      employees: slice.map((u) => this.directory.employeeJson(u, userIdType, deptIdType, wants)),
      page_response: { has_more, page_token },
    })
  }

  /** The app's administrators (no paging: an app has a handful); resigned admins are not listed. */
  private appAdminList(c: Ctx): Reply {
    if (!this.adminScope)
      return this.fail(
        400,
        99991672,
        'Access denied. One of the following scopes is required: [admin:app.admin_id:readonly]',
      )
    const userIdType = parseUserIdType(c.query.get('user_id_type'))
    if (!userIdType) return this.fieldError('user_id_type', 'invalid user_id_type')
    const admins = this.appAdmins
      .map((id) => this.directory.findUser('user_id', id))
      .filter((u): u is FakeUser => !!u && !u.status.is_resigned)
    return this.ok({
      user_list: admins.map((u) => ({ open_id: u.openId, union_id: u.unionId, user_id: u.userId })),
    })
  }

  private batchGetId(c: Ctx): Reply {
    const userIdType = parseUserIdType(c.query.get('user_id_type'))
    if (!userIdType) return this.fieldError('user_id_type', 'invalid user_id_type')
    const b = isRecord(c.json) ? c.json : {}
    const emails = Array.isArray(b.emails) ? b.emails.filter((x): x is string => typeof x === 'string') : []
    const mobiles = Array.isArray(b.mobiles)
      ? b.mobiles.filter((x): x is string => typeof x === 'string')
      : []
    if (emails.length > 50 || mobiles.length > 50)
      return this.fieldError('emails', 'at most 50 emails and 50 mobiles')
    const includeResigned = b.include_resigned === true
    const usable = (u: FakeUser | undefined) =>
      u && (includeResigned || !u.status.is_resigned) ? u : undefined
    const normalize = (m: string) => m.replace(/^\+86/, '').replace(/[\s-]/g, '')
    const out: Record<string, unknown>[] = []
    for (const email of emails) {
      const u = usable(this.directory.findUser('email', email))
      out.push(u ? { user_id: idOf(u, userIdType), email, status: { ...u.status } } : { email })
    }
    for (const mobile of mobiles) {
      const u = usable(
        this.directory.users.find((x) => x.mobile && normalize(x.mobile) === normalize(mobile)),
      )
      out.push(u ? { user_id: idOf(u, userIdType), mobile, status: { ...u.status } } : { mobile })
    }
    return this.ok({ user_list: out })
  }
}

/** Input of `controls.addUserMessage`: a message a user sent (to reply to, or to push as an event). */
export interface UserMessageInput {
  /** `user_id` of the sender. */
  senderUserId: string
  /** Group chat; default the sender's p2p chat with the bot. */
  chatId?: string
  text?: string
  msgType?: string
  /** Raw content JSON text (overrides `text`). */
  content?: string
}

/** Knobs for tests; reached as `fake.controls`. */
export interface FakeControls {
  /** Fake-clock now (ms). */
  now(): number
  /** Moves the fake clock forward (token expiry, 14-day PATCH window, code/ card-token lifetimes). */
  advanceTime(ms: number): void
  /** Invalidates every tenant/app token now: the next call with a cached token gets 99991663. */
  expireTokens(): void
  /** Makes the next matching calls fail. */
  failNext(spec: FailureSpec): void
  clearFailures(): void
  /** Marks an open_id unreachable (230013) or reachable again. */
  setUnreachable(openId: string, unreachable?: boolean): void
  addChat(seed: FakeChatSeed): FakeChat
  /** false makes sends to the chat answer 230002. */
  setBotInChat(chatId: string, member: boolean): void
  /** chat_id of the bot's p2p chat with a user. */
  p2pChatId(openId: string): string
  /** Stores a message sent by a user (returns it, with ids for a receive event). */
  addUserMessage(input: UserMessageInput): FakeMessage
  /** Marks users as having read a message (read_users). */
  markRead(messageId: string, openIds: string[], at?: number): void
  /** Issues the `c-…` token a card callback would carry, bound to message and operator (30 min, 2 uses). */
  issueCardToken(messageId: string, openId: string): string
  /** Issues a login code for the authen endpoints (single use, default 180 s). */
  issueLoginCode(
    openId: string,
    options?: { ttlSeconds?: number; scope?: string; redirectUri?: string },
  ): string
  /** Replaces the limits (missing ones fall back to Feishu's), optionally scaled. */
  setRateLimits(limits: Partial<FakeRateLimits>, multiplier?: number): void
  setRateLimiting(enabled: boolean): void
  /** Forgets the rate-limit history. */
  resetRateLimits(): void
  /** Replaces the app's administrators (`user_id`s). */
  setAppAdmins(userIds: string[]): void
  /** Grants or withdraws `admin:app.admin_id:readonly`. */
  setAdminScope(granted: boolean): void
  /** Grants or withdraws `directory:employee:list` (the employee list of directory v1). */
  setDirectoryScope(granted: boolean): void
  /** Makes `userId` (or nobody, with '') the leader of a department, as an admin would in the console. */
  setDepartmentLeader(departmentId: string, userId: string): void
}

function scaleLimits(l: FakeRateLimits, k: number): FakeRateLimits {
  return {
    appPerSecond: l.appPerSecond * k,
    appPerMinute: l.appPerMinute * k,
    perReceiverPerSecond: l.perReceiverPerSecond * k,
    perChatPerSecond: l.perChatPerSecond * k,
    perMessagePerSecond: l.perMessagePerSecond * k,
  }
}

/**
 * Starts a fake Feishu on `127.0.0.1:<random port>`. Close it in `afterAll`/`afterEach`.
 *
 * @example
 * const fake = await createFakeFeishu()
 * const client = new lark.Client({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url })
 */
export async function createFakeFeishu(options: FakeFeishuOptions = {}): Promise<FakeFeishu> {
  const fake = new FakeFeishu(options)
  return fake.listen(options.host)
}
