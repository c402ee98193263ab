import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import protobuf from 'protobufjs'
import { type WebSocket, WebSocketServer } from 'ws'
import { hex } from './ids'

/**
 * The long-connection side of the fake: `POST /callback/ws/endpoint` hands out a
 * loopback `ws://` URL, and a WebSocket server speaks the SDK's protobuf `pbbp2.Frame` so a real
 * `lark.WSClient` connects, pings, receives (fragmented) event frames and answers them.
 */

// Same wire schema as the SDK's generated pbbp2 code (node_modules/@larksuiteoapi/node-sdk/lib/index.js).
const PBBP2_PROTO = `
syntax = "proto2";
package pbbp2;
message Header {
  required string key = 1;
  required string value = 2;
}
message Frame {
  required uint64 SeqID = 1;
  required uint64 LogID = 2;
  required int32 service = 3;
  required int32 method = 4;
  repeated Header headers = 5;
  optional string payloadEncoding = 6;
  optional string payloadType = 7;
  optional bytes payload = 8;
  optional string LogIDNew = 9;
}
`

const FrameType = protobuf.parse(PBBP2_PROTO, { keepCase: true }).root.lookupType('pbbp2.Frame')

/** Frame `method`: 0 control (ping/pong), 1 data (event/card). */
export const FRAME_CONTROL = 0
export const FRAME_DATA = 1

export interface FrameHeader {
  key: string
  value: string
}

/** A decoded `pbbp2.Frame` with 64-bit ids narrowed to numbers. */
export interface WsFrame {
  SeqID: number
  LogID: number
  service: number
  method: number
  headers: FrameHeader[]
  payload?: Uint8Array
}

/** Encodes a frame exactly as the SDK expects on the wire. */
export function encodeFrame(frame: WsFrame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish()
}

/** Decodes a frame sent by the SDK. */
export function decodeFrame(buf: Uint8Array): WsFrame {
  const obj = FrameType.toObject(FrameType.decode(buf), { longs: Number, defaults: true, arrays: true })
  const headers = Array.isArray(obj.headers) ? (obj.headers as FrameHeader[]) : []
  const frame: WsFrame = {
    SeqID: Number(obj.SeqID),
    LogID: Number(obj.LogID),
    service: Number(obj.service),
    method: Number(obj.method),
    headers,
  }
  if (obj.payload instanceof Uint8Array) frame.payload = obj.payload
  return frame
}

function header(frame: WsFrame, key: string): string | undefined {
  return frame.headers.find((h) => h.key === key)?.value
}

/** `ClientConfig` handed out by the endpoint and echoed in pongs; all values in seconds (fractions allowed). */
export interface WsClientConfig {
  PingInterval: number
  ReconnectCount: number
  ReconnectInterval: number
  ReconnectNonce: number
}

export interface FakeWsGatewayOptions {
  appId: string
  appSecret: string
  /** Defaults tuned for fast tests: ping 120 s, reconnect forever every 0.2 s without jitter. */
  clientConfig?: Partial<WsClientConfig>
}

/** How a pushed frame was answered by the client. */
export interface WsPushReply {
  /** `code` of the reply payload: 200, or 500 when the handler threw. */
  code: number
  /** Decoded `data` (base64 JSON of the handler's result); undefined when the handler returned a falsy value. */
  data: unknown
  /** Headers of the reply frame (includes `biz_rt`). */
  headers: Record<string, string>
  /** Connection id that answered. */
  connectionId: number
}

export interface WsPushOptions {
  /** Split the payload into this many fragments (`sum`), delivered in order. Default 1. */
  fragments?: number
  /** Deliver fragments in this order of `seq` (e.g. `[1, 0, 2]`) to test reassembly. */
  order?: number[]
  /** Frame `type` header; the SDK ignores `card`. Default `event`. */
  type?: 'event' | 'card'
  /** Reply timeout. Default 5000 ms. */
  timeoutMs?: number
  /** How long to wait for a client to be connected before failing. Default 5000 ms. */
  waitForConnectionMs?: number
  /** Push to this connection instead of a random one (Feishu's cluster mode picks one at random). */
  connectionId?: number
  messageId?: string
  traceId?: string
}

/** Thrown by {@link FakeWsGateway.pushEvent} when the client answered with a non-200 code. */
export class WsReplyError extends Error {
  readonly reply: WsPushReply

  constructor(reply: WsPushReply) {
    super(`WSClient answered the pushed frame with code ${reply.code}`)
    this.name = 'WsReplyError'
    this.reply = reply
  }
}

interface Connection {
  id: number
  socket: WebSocket
  deviceId: string
  serviceId: number
  connectedAt: number
  pings: number
  /** Set on the first ping (or after a short grace period), see `markReady`. */
  ready: boolean
  readyTimer: NodeJS.Timeout | undefined
}

interface Pending {
  resolve: (r: WsPushReply) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

/** Counters for assertions (e.g. that a reconnect happened, that pings are answered). */
export interface WsGatewayStats {
  endpointCalls: number
  connects: number
  pings: number
  pushes: number
  replies: number
  drops: number
}

/** The long-connection gateway; created by `createFakeFeishu`, reached as `fake.ws`. */
export class FakeWsGateway {
  readonly stats: WsGatewayStats = {
    endpointCalls: 0,
    connects: 0,
    pings: 0,
    pushes: 0,
    replies: 0,
    drops: 0,
  }
  private readonly wss = new WebSocketServer({ noServer: true })
  private readonly connections = new Map<number, Connection>()
  private readonly tickets = new Map<string, { deviceId: string; serviceId: number }>()
  private readonly pending = new Map<string, Pending>()
  private readonly connectWaiters = new Set<() => void>()
  private readonly appId: string
  private readonly appSecret: string
  private config: WsClientConfig
  private nextConnId = 1
  private seq = 1
  private handshakeRejections: { code: number; msg: string; times: number } | undefined
  private baseUrl = ''

  constructor(options: FakeWsGatewayOptions) {
    this.appId = options.appId
    this.appSecret = options.appSecret
    this.config = {
      PingInterval: 120,
      ReconnectCount: -1,
      ReconnectInterval: 0.2,
      ReconnectNonce: 0,
      ...options.clientConfig,
    }
  }

  /** Hooks the WebSocket upgrade into the fake's HTTP server. */
  attach(server: Server, baseUrl: string): void {
    this.baseUrl = baseUrl
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head))
  }

  /** Answers `POST /callback/ws/endpoint` (HTTP 200 with `code` in the body, as the gateway does). */
  handleEndpoint(body: unknown): { code: number; msg: string; data?: unknown } {
    this.stats.endpointCalls++
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
    if (this.handshakeRejections && this.handshakeRejections.times > 0) {
      this.handshakeRejections.times--
      return { code: this.handshakeRejections.code, msg: this.handshakeRejections.msg }
    }
    if (b.AppID !== this.appId || b.AppSecret !== this.appSecret) {
      return { code: 514, msg: 'auth failed' }
    }
    const deviceId = String(7_000_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e15)))
    const serviceId = 30000 + Math.floor(Math.random() * 9999)
    const ticket = hex(32)
    this.tickets.set(ticket, { deviceId, serviceId })
    const wsBase = this.baseUrl.replace(/^http/, 'ws')
    // Real URLs carry other parameters before device_id; the SDK's qs.parse of the full URL relies on that.
    const url =
      `${wsBase}/ws/v2?fpid=493&aid=552564&device_id=${deviceId}` +
      `&access_key=${ticket}&service_id=${serviceId}&ticket=${ticket}`
    return { code: 0, msg: 'ok', data: { URL: url, ClientConfig: { ...this.config } } }
  }

  /** Makes the next `times` endpoint calls fail with `code` (1000040343 is retryable, 514/403 are not). */
  rejectHandshakes(code: number, times = 1, msg = 'rejected by fake'): void {
    this.handshakeRejections = { code, msg, times }
  }

  /** Changes the ClientConfig for new connections and future pongs. */
  setClientConfig(config: Partial<WsClientConfig>): void {
    this.config = { ...this.config, ...config }
  }

  /** Connections ready to receive pushes. */
  get connectionCount(): number {
    return this.ready().length
  }

  get connectionIds(): number[] {
    return this.ready().map((c) => c.id)
  }

  /** Resolves once at least `count` clients are connected and ready. */
  waitForConnection(timeoutMs = 5000, count = 1): Promise<void> {
    if (this.connectionCount >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.connectionCount >= count) {
          clearTimeout(timer)
          this.connectWaiters.delete(check)
          resolve()
        }
      }
      const timer = setTimeout(() => {
        this.connectWaiters.delete(check)
        reject(new Error(`fake feishu ws: no client connected within ${timeoutMs} ms`))
      }, timeoutMs)
      this.connectWaiters.add(check)
    })
  }

  /**
   * Drops every live connection (TCP terminate, like a gateway restart) so the client's reconnect path runs.
   * Returns how many were dropped.
   */
  dropConnections(): number {
    const n = this.terminateAll()
    this.stats.drops += n
    return n
  }

  private terminateAll(): number {
    const n = this.connections.size
    for (const c of this.connections.values()) {
      if (c.readyTimer) clearTimeout(c.readyTimer)
      c.socket.terminate()
    }
    this.connections.clear()
    return n
  }

  /**
   * Pushes a v2 envelope (object or raw JSON text) as a data frame and resolves with the decoded `data` of the
   * client's reply – `{}` for a card callback handler that returned `{}`, undefined when it returned nothing.
   * Rejects with {@link WsReplyError} when the client answered with code ≠ 200.
   */
  async pushEvent(envelope: unknown, options: WsPushOptions = {}): Promise<unknown> {
    const reply = await this.pushEventRaw(envelope, options)
    if (reply.code !== 200) throw new WsReplyError(reply)
    return reply.data
  }

  /** Like {@link pushEvent} but returns the whole reply, whatever its code. */
  async pushEventRaw(envelope: unknown, options: WsPushOptions = {}): Promise<WsPushReply> {
    await this.waitForConnection(options.waitForConnectionMs ?? 5000)
    const conn = this.pick(options.connectionId)
    const text = typeof envelope === 'string' ? envelope : JSON.stringify(envelope)
    const bytes = new TextEncoder().encode(text)
    const sum = Math.max(1, Math.min(options.fragments ?? 1, bytes.length))
    const size = Math.ceil(bytes.length / sum)
    const messageId = options.messageId ?? `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`
    const traceId = options.traceId ?? hex(32)
    const order = options.order ?? [...Array(sum).keys()]
    if (order.length !== sum) throw new Error(`order must list all ${sum} fragments`)
    const timeoutMs = options.timeoutMs ?? 5000
    const reply = new Promise<WsPushReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId)
        reject(new Error(`fake feishu ws: no reply to ${messageId} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(messageId, { resolve, reject, timer })
    })
    // Avoid an unhandled rejection if sending throws below; the caller still receives the error.
    reply.catch(() => undefined)
    this.stats.pushes++
    for (const seq of order) {
      const frame: WsFrame = {
        SeqID: this.seq++,
        LogID: this.seq,
        service: conn.serviceId,
        method: FRAME_DATA,
        headers: [
          { key: 'type', value: options.type ?? 'event' },
          { key: 'message_id', value: messageId },
          { key: 'sum', value: String(sum) },
          { key: 'seq', value: String(seq) },
          { key: 'trace_id', value: traceId },
        ],
        payload: bytes.subarray(seq * size, Math.min(bytes.length, (seq + 1) * size)),
      }
      await new Promise<void>((resolve, reject) =>
        conn.socket.send(encodeFrame(frame), (err) => (err ? reject(err) : resolve())),
      )
    }
    return reply
  }

  /** Terminates all sockets and fails pending pushes; called by the fake's `close()`. */
  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(new Error('fake feishu ws: gateway closed'))
    }
    this.pending.clear()
    this.terminateAll()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }

  private ready(): Connection[] {
    return [...this.connections.values()].filter((c) => c.ready)
  }

  /**
   * The SDK attaches its frame listener a few microtasks after the socket opens, right after sending its
   * first ping; a frame pushed earlier would be silently lost. So a connection only takes pushes once it has
   * pinged (or after a grace period, for clients that do not ping at once).
   */
  private markReady(conn: Connection): void {
    if (conn.ready) return
    conn.ready = true
    if (conn.readyTimer) clearTimeout(conn.readyTimer)
    for (const w of [...this.connectWaiters]) w()
  }

  private pick(connectionId: number | undefined): Connection {
    if (connectionId !== undefined) {
      const c = this.connections.get(connectionId)
      if (!c?.ready) throw new Error(`fake feishu ws: no ready connection ${connectionId}`)
      return c
    }
    const all = this.ready()
    const c = all[Math.floor(Math.random() * all.length)]
    if (!c) throw new Error('fake feishu ws: no client connected')
    return c
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const ticket = url.searchParams.get('ticket') ?? ''
    const issued = this.tickets.get(ticket)
    if (url.pathname !== '/ws/v2' || !issued) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      return
    }
    this.tickets.delete(ticket)
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.onConnection(ws, issued.deviceId, issued.serviceId),
    )
  }

  private onConnection(socket: WebSocket, deviceId: string, serviceId: number): void {
    const conn: Connection = {
      id: this.nextConnId++,
      socket,
      deviceId,
      serviceId,
      connectedAt: Date.now(),
      pings: 0,
      ready: false,
      readyTimer: undefined,
    }
    conn.readyTimer = setTimeout(() => this.markReady(conn), 200)
    this.connections.set(conn.id, conn)
    this.stats.connects++
    socket.on('message', (data, isBinary) => {
      if (!isBinary || !(data instanceof Buffer)) return
      this.onFrame(conn, data)
    })
    const gone = () => {
      if (conn.readyTimer) clearTimeout(conn.readyTimer)
      this.connections.delete(conn.id)
    }
    socket.on('close', gone)
    socket.on('error', gone)
  }

  private onFrame(conn: Connection, data: Buffer): void {
    let frame: WsFrame
    try {
      frame = decodeFrame(data)
    } catch {
      return
    }
    const type = header(frame, 'type')
    if (frame.method === FRAME_CONTROL && type === 'ping') {
      conn.pings++
      this.stats.pings++
      this.markReady(conn)
      const pong: WsFrame = {
        SeqID: 0,
        LogID: 0,
        service: conn.serviceId,
        method: FRAME_CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: new TextEncoder().encode(JSON.stringify(this.config)),
      }
      conn.socket.send(encodeFrame(pong))
      return
    }
    if (frame.method !== FRAME_DATA) return
    const messageId = header(frame, 'message_id') ?? ''
    const pending = this.pending.get(messageId)
    if (!pending) return
    this.pending.delete(messageId)
    clearTimeout(pending.timer)
    this.stats.replies++
    const headers: Record<string, string> = {}
    for (const h of frame.headers) headers[h.key] = h.value
    let code = 0
    let replyData: unknown
    try {
      const body = JSON.parse(new TextDecoder().decode(frame.payload ?? new Uint8Array())) as {
        code?: number
        data?: string
      }
      code = body.code ?? 0
      if (typeof body.data === 'string' && body.data !== '') {
        replyData = JSON.parse(Buffer.from(body.data, 'base64').toString('utf8'))
      }
    } catch (e) {
      pending.reject(new Error(`fake feishu ws: undecodable reply: ${String(e)}`))
      return
    }
    pending.resolve({ code, data: replyData, headers, connectionId: conn.id })
  }
}
