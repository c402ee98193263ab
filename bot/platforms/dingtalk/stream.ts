import { DWClient, type DWClientDownStream, EventAck, TOPIC_CARD, TOPIC_ROBOT } from 'dingtalk-stream'
import type { Logger } from '../../lib/logger'
import { streamContactEvents } from './events'
import {
  answerCardAction,
  type DingtalkInboundDeps,
  recordContactEvents,
  recordRobotMessage,
} from './inbound'

/**
 * DingTalk Stream mode (dingtalk.md §1) on the official `dingtalk-stream` SDK, which parses frames,
 * answers `ping`, and sends acks. Three things are ours:
 * - the gateway URL is configurable (the SDK hard-codes it, §1.7): `getEndpoint` is overridden to POST to
 *   `gatewayUrl`, so tests run against a fake gateway on loopback;
 * - the SDK's own reconnect is off (2.1.5 reconnects in a storm when the handshake keeps failing, §1.6):
 *   a supervisor reconnects with exponential backoff and jitter, and after a `disconnect` frame;
 * - events are acked only after they were recorded durably (the SDK's event listener is synchronous and
 *   would ack first), so a failed write gets `LATER` and DingTalk redelivers.
 * Robot messages are recorded then acked; card taps are answered within the 2 s budget with the object
 * that updates the card.
 */

export interface DingtalkStreamConfig {
  clientId: string
  clientSecret: string
  /** `https://api.dingtalk.com/v1.0/gateway/connections/open` unless a fake is used. */
  gatewayUrl: string
  /** Backoff bounds (ms); defaults 1 s and 60 s. */
  minBackoffMs?: number
  maxBackoffMs?: number
}

export interface DingtalkStream {
  connected(): boolean
  /** Connections opened so far (1 after the first connect). */
  connects(): number
  close(): void
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

function parseData(frame: DWClientDownStream): Rec {
  try {
    const v: unknown = JSON.parse(frame.data)
    return isRec(v) ? v : {}
  } catch {
    return {}
  }
}

class GatewayClient extends DWClient {
  constructor(
    private readonly gateway: DingtalkStreamConfig,
    private readonly deps: DingtalkInboundDeps,
    private readonly logger: Logger,
  ) {
    // `autoReconnect` and own `subscriptions` are runtime options the constructor type omits (§1.3); an own
    // array also avoids the SDK's module-level default being shared between clients.
    super({
      clientId: gateway.clientId,
      clientSecret: gateway.clientSecret,
      ua: 'flowcard-dingtalk-stream',
      keepAlive: true,
      autoReconnect: false,
      subscriptions: [{ type: 'EVENT', topic: '*' }],
    } as ConstructorParameters<typeof DWClient>[0])
  }

  override async getEndpoint(): Promise<this> {
    const res = await fetch(this.gateway.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.config.clientId,
        clientSecret: this.config.clientSecret,
        ua: this.config.ua ?? '',
        subscriptions: this.config.subscriptions,
      }),
      signal: AbortSignal.timeout(10_000),
    })
    const body: unknown = await res.json().catch(() => null)
    if (!res.ok || !isRec(body) || typeof body.endpoint !== 'string' || typeof body.ticket !== 'string') {
      const code = isRec(body) && typeof body.code === 'string' ? body.code : `http_${res.status}`
      throw new Error(`dingtalk stream gateway refused: ${code}`)
    }
    // The one private field we set: the URL `_connect` opens.
    ;(this as unknown as { dw_url: string }).dw_url =
      `${body.endpoint}?ticket=${encodeURIComponent(body.ticket)}`
    return this
  }

  /** Records first, then acks: SUCCESS once durable, LATER otherwise (DingTalk redelivers). */
  override onEvent(message: DWClientDownStream): void {
    void (async () => {
      const events = streamContactEvents(message.headers, parseData(message))
      const ok = await recordContactEvents(this.deps, events, message.headers.eventType ?? '')
      this.send(message.headers.messageId, { status: ok ? EventAck.SUCCESS : EventAck.LATER })
    })().catch((err: unknown) => this.logger.error({ err }, 'dingtalk stream event failed'))
  }
}

/** Opens the stream connection and keeps it open until `close()`. Resolves after the first attempt. */
export async function startDingtalkStream(
  deps: DingtalkInboundDeps,
  config: DingtalkStreamConfig,
): Promise<DingtalkStream> {
  const logger = deps.logger
  const client = new GatewayClient(config, deps, logger)
  const minBackoff = config.minBackoffMs ?? 1000
  const maxBackoff = config.maxBackoffMs ?? 60_000
  let closed = false
  let connecting = false
  let attempts = 0
  let connects = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  let watch: ReturnType<typeof setInterval> | null = null

  client.registerCallbackListener(TOPIC_ROBOT, (frame) => {
    void recordRobotMessage(deps, parseData(frame)).then((ok) => {
      // Not recorded: no ack, so DingTalk may push it again.
      if (ok) client.socketCallBackResponse(frame.headers.messageId, null)
    })
  })
  client.registerCallbackListener(TOPIC_CARD, (frame) => {
    void answerCardAction(deps, parseData(frame), `stream:${frame.headers.messageId}`).then((response) =>
      client.socketCallBackResponse(frame.headers.messageId, response),
    )
  })

  async function connectOnce(): Promise<boolean> {
    connecting = true
    try {
      await client.getEndpoint()
      await client._connect()
      attempts = 0
      connects++
      if (closed) client.disconnect()
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
    if (closed || timer) return
    const delay = Math.min(
      minBackoff * 2 ** Math.max(0, attempts - 1) + Math.random() * minBackoff,
      maxBackoff,
    )
    timer = setTimeout(() => {
      timer = null
      void connectOnce().then((ok) => {
        if (!ok) schedule()
      })
    }, delay)
    timer.unref?.()
  }

  // The SDK flips `connected` off on `close` and on a `disconnect` frame; either way, start afresh.
  watch = setInterval(() => {
    if (closed || timer || connecting || client.connected) return
    client.disconnect() // clears the keep-alive timer and closes the old socket, if any
    attempts = Math.max(attempts, 1)
    schedule()
  }, 200)
  watch.unref?.()

  if (!(await connectOnce())) schedule()
  return {
    connected: () => client.connected,
    connects: () => connects,
    close: () => {
      closed = true
      if (timer) clearTimeout(timer)
      if (watch) clearInterval(watch)
      client.disconnect()
    },
  }
}
