import { randomBytes } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'

/**
 * The Stream-mode gateway of the fake: `POST /v1.0/gateway/connections/open`
 * hands out a single-use ticket (`Accept: application/json` required, credentials checked, subscriptions
 * recorded), the WebSocket at `/connect?ticket=` admits each ticket once before it expires, and the test
 * drives pushes — robot messages and card taps as CALLBACK frames, contact events as EVENT frames, `ping`
 * and `disconnect` SYSTEM frames — each to one randomly chosen connection, recording every ack.
 * Like DingTalk: robot messages are pushed once (never again, acked or not); a card tap is pushed over the
 * stream only for a card created with `callbackType: STREAM`; robot and card pushes count against the
 * monthly push budget; an ack counts only on the connection that carried its frame; after `disconnect`
 * the server keeps the socket open (and accepts acks) for 10 s before closing it.
 */

export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get'
export const TOPIC_CARD = '/v1.0/card/instances/callback'

export interface StreamAck {
  code: number
  headers: Record<string, unknown>
  message: string
  data: string
}

interface Connection {
  id: string
  ws: WebSocket
  subscriptions: Array<{ type: string; topic: string }>
  /** Set once a `disconnect` frame was sent: no new pushes go here. */
  draining: boolean
}

export interface StreamGatewayHooks {
  /** Counts a push against the monthly budget; false when the budget is spent (nothing is pushed). */
  takePush?(kind: 'robot' | 'card' | 'event'): boolean
  /** The `callbackType` a card was created with (taps go over the stream only for `STREAM`). */
  callbackTypeOf?(outTrackId: string): string | undefined
}

/** Thrown by a push the platform would not make (budget spent, card routed to HTTP). */
export class NotPushedError extends Error {
  constructor(readonly reason: 'push_quota' | 'not_stream_card') {
    super(`not pushed: ${reason}`)
    this.name = 'NotPushedError'
  }
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

export class FakeStreamGateway {
  readonly acks: StreamAck[] = []
  /** Acks that came in on a connection other than the frame's (ignored, as DingTalk does). */
  readonly strayAcks: StreamAck[] = []
  /** Every `connections/open` body (secrets redacted). */
  readonly opens: Array<{ clientId: unknown; subscriptions: unknown; accept: string | undefined }> = []
  private readonly tickets = new Map<
    string,
    { expiresAt: number; subscriptions: Connection['subscriptions'] }
  >()
  private readonly connections = new Map<string, Connection>()
  private readonly waiters = new Map<string, { connId: string; resolve: (ack: StreamAck) => void }>()
  private readonly wss = new WebSocketServer({ noServer: true })
  /** Refuse this many upcoming `connections/open` calls with HTTP 500 (reconnect tests). */
  failOpens = 0
  ticketTtlMs = 90_000
  /** How long a socket stays open after its `disconnect` frame (DingTalk: 10 s). */
  drainMs = 10_000

  constructor(
    server: Server,
    private readonly wsBase: () => string,
    private readonly creds: { clientId: string; clientSecret: string },
    private readonly now: () => number,
    private readonly hooks: StreamGatewayHooks = {},
  ) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    )
  }

  /** The HTTP half: `{endpoint, ticket}` or an error answer. */
  open(body: unknown, accept: string | undefined): { status: number; body: Rec } {
    const b = isRec(body) ? body : {}
    this.opens.push({ clientId: b.clientId, subscriptions: b.subscriptions, accept })
    if (this.failOpens > 0) {
      this.failOpens--
      return { status: 500, body: { code: 'ServiceUnavailable', message: '网关暂不可用' } }
    }
    if (!accept?.includes('application/json'))
      return { status: 406, body: { code: 'NotAcceptable', message: 'Accept: application/json required' } }
    if (b.clientId !== this.creds.clientId || b.clientSecret !== this.creds.clientSecret)
      return {
        status: 401,
        body: { code: 'InvalidAuthentication', message: 'clientId 或 clientSecret 不正确' },
      }
    const subs = Array.isArray(b.subscriptions)
      ? b.subscriptions.filter(isRec).map((s) => ({ type: String(s.type), topic: String(s.topic) }))
      : []
    if (subs.length === 0)
      return { status: 400, body: { code: 'invalidParameter', message: 'subscriptions 必填' } }
    const ticket = randomBytes(16).toString('hex')
    this.tickets.set(ticket, { expiresAt: this.now() + this.ticketTtlMs, subscriptions: subs })
    return { status: 200, body: { endpoint: `${this.wsBase()}/connect`, ticket } }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const ticket = url.searchParams.get('ticket') ?? ''
    const t = this.tickets.get(ticket)
    this.tickets.delete(ticket)
    if (url.pathname !== '/connect' || !t || t.expiresAt < this.now()) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n')
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Connection = {
        id: randomBytes(6).toString('hex'),
        ws,
        subscriptions: t.subscriptions,
        draining: false,
      }
      this.connections.set(conn.id, conn)
      ws.on('message', (data) => {
        let ack: unknown
        try {
          ack = JSON.parse(String(data))
        } catch {
          return
        }
        if (!isRec(ack) || !isRec(ack.headers)) return
        const a = ack as unknown as StreamAck
        const id = String(a.headers.messageId ?? '')
        const waiter = this.waiters.get(id)
        if (waiter && waiter.connId !== conn.id) {
          this.strayAcks.push(a)
          return
        }
        this.acks.push(a)
        waiter?.resolve(a)
        this.waiters.delete(id)
      })
      ws.on('close', () => this.connections.delete(conn.id))
    })
  }

  /** Open connections that still take pushes (not draining). */
  get connectionCount(): number {
    return [...this.connections.values()].filter((c) => c.ws.readyState === c.ws.OPEN && !c.draining).length
  }

  /** Every socket still open, draining or not. */
  get openSockets(): number {
    return [...this.connections.values()].filter((c) => c.ws.readyState === c.ws.OPEN).length
  }

  /** The id of one open, non-draining connection (for pinning a push to it). */
  connectionIds(): string[] {
    return [...this.connections.values()]
      .filter((c) => c.ws.readyState === c.ws.OPEN && !c.draining)
      .map((c) => c.id)
  }

  private pick(type: 'CALLBACK' | 'EVENT' | 'SYSTEM', topic: string, connId?: string): Connection {
    if (connId) {
      const c = this.connections.get(connId)
      if (!c || c.ws.readyState !== c.ws.OPEN) throw new Error(`connection ${connId} is not open`)
      return c
    }
    const open = [...this.connections.values()].filter(
      (c) =>
        c.ws.readyState === c.ws.OPEN &&
        !c.draining &&
        (type === 'SYSTEM' ||
          c.subscriptions.some(
            (s) => s.type === type && (type === 'EVENT' ? s.topic === '*' : s.topic === topic),
          )),
    )
    const c = open[Math.floor(Math.random() * open.length)]
    if (!c) throw new Error(`no open connection subscribed to ${type} ${topic}`)
    return c
  }

  /** Sends one frame to one connection and resolves with its ack (rejects after `timeoutMs`). */
  push(
    type: 'CALLBACK' | 'EVENT' | 'SYSTEM',
    topic: string,
    data: unknown,
    extraHeaders: Rec = {},
    timeoutMs = 2000,
    connId?: string,
  ): Promise<StreamAck> {
    const conn = this.pick(type, topic, connId)
    const messageId = `msg_${randomBytes(8).toString('hex')}`
    const frame = {
      specVersion: '1.0',
      type,
      headers: {
        appId: this.creds.clientId,
        connectionId: conn.id,
        contentType: 'application/json',
        messageId,
        time: String(this.now()),
        topic,
        ...extraHeaders,
      },
      data: typeof data === 'string' ? data : JSON.stringify(data),
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(messageId)
        reject(new Error(`no ack for ${topic} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.set(messageId, {
        connId: conn.id,
        resolve: (ack) => {
          clearTimeout(timer)
          resolve(ack)
        },
      })
      conn.ws.send(JSON.stringify(frame))
    })
  }

  /**
   * A robot message, pushed once: resolves with the ack, or rejects when none came (DingTalk does not push
   * it again either way).
   */
  pushRobot(payload: Rec, connId?: string): Promise<StreamAck> {
    if (this.hooks.takePush && !this.hooks.takePush('robot')) throw new NotPushedError('push_quota')
    return this.push('CALLBACK', TOPIC_ROBOT, payload, {}, 2000, connId)
  }

  /**
   * A card tap, only for a card created with `callbackType: STREAM`; resolves with the parsed `response`
   * that would update the card.
   */
  async pushCard(payload: Rec, connId?: string): Promise<unknown> {
    const outTrackId = typeof payload.outTrackId === 'string' ? payload.outTrackId : ''
    if (this.hooks.callbackTypeOf && this.hooks.callbackTypeOf(outTrackId) !== 'STREAM')
      throw new NotPushedError('not_stream_card')
    if (this.hooks.takePush && !this.hooks.takePush('card')) throw new NotPushedError('push_quota')
    const ack = await this.push('CALLBACK', TOPIC_CARD, payload, {}, 2000, connId)
    const data: unknown = JSON.parse(ack.data)
    return isRec(data) ? data.response : undefined
  }

  /** A contact event; resolves with the ack status (`SUCCESS` / `LATER`). */
  async pushEvent(
    headers: { eventType: string; eventId: string; eventCorpId: string },
    data: Rec,
  ): Promise<string | undefined> {
    const ack = await this.push('EVENT', '*', data, {
      ...headers,
      eventBornTime: String(this.now()),
      eventUnifiedAppId: this.creds.clientId,
    })
    const parsed: unknown = JSON.parse(ack.data)
    return isRec(parsed) && typeof parsed.status === 'string' ? parsed.status : undefined
  }

  /** `ping` must come back with the same data. */
  ping(opaque: string): Promise<StreamAck> {
    return this.push('SYSTEM', 'ping', { opaque })
  }

  /**
   * Load-balancing disconnect: tell every connection, stop pushing to it, keep it open (acks still count)
   * for `closeAfterMs` (default `drainMs`, DingTalk's 10 s), then close it.
   */
  disconnectAll(closeAfterMs = this.drainMs): void {
    for (const c of this.connections.values()) {
      if (c.draining) continue
      c.draining = true
      c.ws.send(
        JSON.stringify({
          specVersion: '1.0',
          type: 'SYSTEM',
          headers: { topic: 'disconnect', messageId: `sys_${randomBytes(4).toString('hex')}` },
          data: JSON.stringify({ reason: 'load balancing' }),
        }),
      )
      setTimeout(() => c.ws.close(1000, 'disconnect'), closeAfterMs)
    }
  }

  close(): void {
    for (const c of this.connections.values()) c.ws.terminate()
    this.wss.close()
  }
}
