import WebSocket from 'ws'
import type { Logger } from '../../lib/logger'
import { streamContactEvents } from './events'
import {
  answerCardAction,
  type DingtalkInboundDeps,
  recordContactEvents,
  recordRobotMessage,
} from './inbound'

/**
 * DingTalk Stream mode, speaking the protocol directly over `ws` (no SDK subclass, whose private fields and
 * reconnect semantics change between releases):
 * - open: `POST <gateway>` with `{clientId, clientSecret, ua, subscriptions}` and `Accept: application/json`
 *   → `{endpoint, ticket}` (single use, 90 s), then a WebSocket to `endpoint?ticket=`;
 * - frames: `SYSTEM ping` is echoed; `EVENT` is acked `{status: SUCCESS|LATER}` only after it was recorded;
 *   `CALLBACK` robot messages are acked always (DingTalk never pushes them again; recording retries locally
 *   and tells the sender when it keeps failing); card taps are answered with `{response}` that updates the card;
 * - every ack goes out on the socket that carried its frame, and only while that socket is open;
 * - `SYSTEM disconnect`: the server closes that socket ~10 s later and pushes nothing more to it, so a new
 *   connection is opened at once while the old one drains its in-flight answers; a retired socket loses
 *   its listeners, so its late `close` cannot touch the new connection;
 * - a dropped connection reconnects with exponential backoff and jitter; a keep-alive ping finds dead ones.
 * Nothing here rejects unhandled: every async path ends in a logged catch.
 */

export interface DingtalkStreamConfig {
  clientId: string
  clientSecret: string
  /** `https://api.dingtalk.com/v1.0/gateway/connections/open` unless a fake is used. */
  gatewayUrl: string
  /** Backoff bounds (ms); defaults 1 s and 60 s. */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** Keep-alive ping interval (ms, default 8 s); a socket without a pong in between is dropped. */
  keepAliveMs?: number
  /** How long a socket told to `disconnect` is kept for in-flight answers (default 12 s; DingTalk closes it at 10 s). */
  drainMs?: number
}

export interface DingtalkStream {
  connected(): boolean
  /** Connections opened so far (1 after the first connect). */
  connects(): number
  close(): void
}

export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get'
export const TOPIC_CARD = '/v1.0/card/instances/callback'

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

interface Frame {
  type: string
  headers: Rec
  data: string
}

interface Conn {
  seq: number
  ws: WebSocket
  draining: boolean
  alive: boolean
}

function parseFrame(raw: WebSocket.RawData): Frame | null {
  try {
    const v: unknown = JSON.parse(String(raw))
    if (!isRec(v) || !isRec(v.headers)) return null
    return { type: str(v.type), headers: v.headers, data: str(v.data) }
  } catch {
    return null
  }
}

function parseData(data: string): Rec {
  try {
    const v: unknown = JSON.parse(data)
    return isRec(v) ? v : {}
  } catch {
    return {}
  }
}

const noop = () => {}

/** Opens the stream connection and keeps it open until `close()`. Resolves after the first attempt. */
export async function startDingtalkStream(
  deps: DingtalkInboundDeps,
  config: DingtalkStreamConfig,
): Promise<DingtalkStream> {
  const logger: Logger = deps.logger
  const minBackoff = config.minBackoffMs ?? 1000
  const maxBackoff = config.maxBackoffMs ?? 60_000
  const drainMs = config.drainMs ?? 12_000
  let closed = false
  let connecting = false
  let attempts = 0
  let connects = 0
  let seq = 0
  let current: Conn | null = null
  const live = new Set<Conn>()
  let timer: ReturnType<typeof setTimeout> | null = null

  /** Sends an ack on the frame's own socket, only while it is open; never throws. */
  function ack(conn: Conn, frame: Frame, data: unknown): void {
    const messageId = str(frame.headers.messageId)
    if (conn.ws.readyState !== WebSocket.OPEN) {
      logger.warn(
        { messageId, topic: frame.headers.topic },
        'dingtalk stream ack dropped: its socket is closed',
      )
      return
    }
    try {
      conn.ws.send(
        JSON.stringify({
          code: 200,
          headers: { contentType: 'application/json', messageId },
          message: 'OK',
          data: JSON.stringify(data),
        }),
      )
    } catch (err) {
      logger.warn({ err, messageId }, 'dingtalk stream ack failed')
    }
  }

  /** Retires a socket: no listeners left (a late `close` or `error` cannot act), then closed. */
  function retire(conn: Conn): void {
    live.delete(conn)
    conn.ws.removeAllListeners()
    conn.ws.on('error', noop)
    if (conn.ws.readyState === WebSocket.OPEN || conn.ws.readyState === WebSocket.CONNECTING)
      conn.ws.terminate()
  }

  async function handle(conn: Conn, frame: Frame): Promise<void> {
    const topic = str(frame.headers.topic)
    if (frame.type === 'SYSTEM') {
      if (topic === 'ping') ack(conn, frame, parseData(frame.data))
      else if (topic === 'disconnect') startDrain(conn)
      return
    }
    if (frame.type === 'EVENT') {
      const h = frame.headers
      const events = streamContactEvents(
        { eventType: str(h.eventType), eventId: str(h.eventId), eventCorpId: str(h.eventCorpId) },
        parseData(frame.data),
      )
      const ok = await recordContactEvents(deps, events, str(h.eventType))
      ack(conn, frame, { status: ok ? 'SUCCESS' : 'LATER' })
      return
    }
    if (frame.type === 'CALLBACK' && topic === TOPIC_ROBOT) {
      // Pushed once: acked whatever happens (recording retries and answers the sender itself).
      await recordRobotMessage(deps, parseData(frame.data)).catch((err: unknown) => {
        logger.error({ err }, 'dingtalk stream robot message failed')
      })
      ack(conn, frame, { response: null })
      return
    }
    if (frame.type === 'CALLBACK' && topic === TOPIC_CARD) {
      const response = await answerCardAction(
        deps,
        parseData(frame.data),
        `stream:${str(frame.headers.messageId)}`,
      )
      ack(conn, frame, { response })
      return
    }
    ack(conn, frame, {})
  }

  /** The server will close this socket soon: open the next one now, keep this one for in-flight answers. */
  function startDrain(conn: Conn): void {
    if (conn.draining) return
    conn.draining = true
    logger.info({ conn: conn.seq }, 'dingtalk stream disconnect: reconnecting, old socket draining')
    setTimeout(() => retire(conn), drainMs).unref?.()
    if (current === conn) {
      current = null
      reconnectNow()
    }
  }

  function attach(conn: Conn): void {
    conn.ws.on('message', (raw) => {
      const frame = parseFrame(raw)
      if (!frame) return
      void handle(conn, frame).catch((err: unknown) => {
        logger.error({ err, topic: frame.headers.topic }, 'dingtalk stream frame failed')
      })
    })
    conn.ws.on('pong', () => {
      conn.alive = true
    })
    conn.ws.on('error', (err) => {
      logger.warn({ err: err.message, conn: conn.seq }, 'dingtalk stream socket error')
    })
    conn.ws.on('close', () => {
      retire(conn)
      if (current === conn) {
        current = null
        attempts = Math.max(attempts, 1)
        schedule()
      }
    })
  }

  async function openSocket(): Promise<Conn> {
    const res = await fetch(config.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        ua: 'flowcard-dingtalk-stream/1',
        subscriptions: [
          { type: 'EVENT', topic: '*' },
          { type: 'CALLBACK', topic: TOPIC_ROBOT },
          { type: 'CALLBACK', topic: TOPIC_CARD },
        ],
      }),
      signal: AbortSignal.timeout(10_000),
    })
    const body: unknown = await res.json().catch(() => null)
    if (!res.ok || !isRec(body) || typeof body.endpoint !== 'string' || typeof body.ticket !== 'string') {
      const code = isRec(body) && typeof body.code === 'string' ? body.code : `http_${res.status}`
      throw new Error(`dingtalk stream gateway refused: ${code}`)
    }
    const ws = new WebSocket(`${body.endpoint}?ticket=${encodeURIComponent(body.ticket)}`)
    const conn: Conn = { seq: ++seq, ws, draining: false, alive: true }
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => {
        ws.removeAllListeners()
        ws.on('error', noop)
        ws.terminate()
        reject(err instanceof Error ? err : new Error(String(err)))
      }
      ws.once('open', () => {
        ws.removeAllListeners()
        resolve()
      })
      ws.once('error', fail)
      ws.once('unexpected-response', (_req, r) =>
        fail(new Error(`stream upgrade refused: HTTP ${r.statusCode}`)),
      )
      ws.once('close', () => fail(new Error('stream socket closed before opening')))
    })
    return conn
  }

  async function connectOnce(): Promise<boolean> {
    if (closed || connecting) return false
    connecting = true
    try {
      const conn = await openSocket()
      if (closed) {
        retire(conn)
        return false
      }
      attach(conn)
      live.add(conn)
      current = conn
      attempts = 0
      connects++
      logger.info({ connects }, 'dingtalk stream connected')
      return true
    } catch (err) {
      attempts++
      logger.warn(
        { err: err instanceof Error ? err.message : String(err), attempts },
        'dingtalk stream connect failed',
      )
      return false
    } finally {
      connecting = false
    }
  }

  function schedule(): void {
    if (closed || timer || current) return
    const delay = Math.min(
      minBackoff * 2 ** Math.max(0, attempts - 1) + Math.random() * minBackoff,
      maxBackoff,
    )
    timer = setTimeout(() => {
      timer = null
      void connectOnce()
        .then((ok) => {
          if (!ok && !current) schedule()
        })
        .catch(noop)
    }, delay)
    timer.unref?.()
  }

  function reconnectNow(): void {
    void connectOnce()
      .then((ok) => {
        if (!ok && !current) schedule()
      })
      .catch(noop)
  }

  const keepAlive = setInterval(() => {
    const conn = current
    if (!conn || conn.ws.readyState !== WebSocket.OPEN) return
    if (!conn.alive) {
      logger.warn({ conn: conn.seq }, 'dingtalk stream keep-alive lost: reconnecting')
      conn.ws.terminate()
      return
    }
    conn.alive = false
    try {
      conn.ws.ping()
    } catch {
      // the close handler reconnects
    }
  }, config.keepAliveMs ?? 8000)
  keepAlive.unref?.()

  if (!(await connectOnce())) schedule()
  return {
    connected: () => current?.ws.readyState === WebSocket.OPEN,
    connects: () => connects,
    close: () => {
      closed = true
      if (timer) clearTimeout(timer)
      clearInterval(keepAlive)
      for (const conn of [...live]) retire(conn)
      current = null
    },
  }
}
