import { randomBytes } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'

/**
 * The Stream-mode gateway of the fake (dingtalk.md §1.4, §11.2): `POST /v1.0/gateway/connections/open`
 * hands out a single-use ticket (`Accept: application/json` required, credentials checked, subscriptions
 * recorded), the WebSocket at `/connect?ticket=` admits each ticket once before it expires, and the test
 * drives pushes — robot messages and card taps as CALLBACK frames, contact events as EVENT frames, `ping`
 * and `disconnect` SYSTEM frames — each to one randomly chosen connection, recording every ack.
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
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

export class FakeStreamGateway {
  readonly acks: StreamAck[] = []
  /** Every `connections/open` body (secrets redacted). */
  readonly opens: Array<{ clientId: unknown; subscriptions: unknown; accept: string | undefined }> = []
  private readonly tickets = new Map<
    string,
    { expiresAt: number; subscriptions: Connection['subscriptions'] }
  >()
  private readonly connections = new Map<string, Connection>()
  private readonly waiters = new Map<string, (ack: StreamAck) => void>()
  private readonly wss = new WebSocketServer({ noServer: true })
  /** Refuse this many upcoming `connections/open` calls with HTTP 500 (reconnect tests). */
  failOpens = 0
  ticketTtlMs = 90_000

  constructor(
    server: Server,
    private readonly wsBase: () => string,
    private readonly creds: { clientId: string; clientSecret: string },
    private readonly now: () => number,
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
      const conn: Connection = { id: randomBytes(6).toString('hex'), ws, subscriptions: t.subscriptions }
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
        this.acks.push(a)
        const id = String(a.headers.messageId ?? '')
        this.waiters.get(id)?.(a)
        this.waiters.delete(id)
      })
      ws.on('close', () => this.connections.delete(conn.id))
    })
  }

  get connectionCount(): number {
    return [...this.connections.values()].filter((c) => c.ws.readyState === c.ws.OPEN).length
  }

  private pick(type: 'CALLBACK' | 'EVENT' | 'SYSTEM', topic: string): Connection {
    const open = [...this.connections.values()].filter(
      (c) =>
        c.ws.readyState === c.ws.OPEN &&
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
  ): Promise<StreamAck> {
    const conn = this.pick(type, topic)
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
      this.waiters.set(messageId, (ack) => {
        clearTimeout(timer)
        resolve(ack)
      })
      conn.ws.send(JSON.stringify(frame))
    })
  }

  /** A robot message; resolves with the ack. */
  pushRobot(payload: Rec): Promise<StreamAck> {
    return this.push('CALLBACK', TOPIC_ROBOT, payload)
  }

  /** A card tap; resolves with the parsed `response` that would update the card. */
  async pushCard(payload: Rec): Promise<unknown> {
    const ack = await this.push('CALLBACK', TOPIC_CARD, payload)
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

  /** Load-balancing disconnect: tell every connection, then close them after `closeAfterMs`. */
  disconnectAll(closeAfterMs = 50): void {
    for (const c of this.connections.values()) {
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
