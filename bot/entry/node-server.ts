import { randomUUID } from 'node:crypto'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import type { Logger } from '../lib/logger'
import type { Metrics } from '../lib/metrics'
import {
  FEISHU_BODY_LIMIT,
  FEISHU_WEBHOOK_PATHS,
  type FeishuWebhookHandler,
  readIncoming,
} from '../platforms/feishu/routes'

/**
 * The Node HTTP server. Everything goes to the Hono app except the Feishu callback paths, which are served
 * straight from `node:http`: a push is authenticated from the socket's bytes and answered with a few bytes
 * of JSON, and building a Web `Request`/`Response` pair plus the middleware chain around that cost more CPU
 * than the signature check and the decryption together (the ack throughput is measured on this path,
 * by tests/bench/webhook-ack.ts). The Hono routes for the same paths stay for other runtimes and
 * `app.request` in tests; both share the handler's batcher.
 */
export interface NodeServerOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>
  logger: Logger
  feishuWebhook?: FeishuWebhookHandler
  /** Webhook ack latency on the fast path (the Hono app counts its own routes). */
  metrics?: Metrics
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  })
  res.end(text)
}

export function createNodeServer(options: NodeServerOptions): Server {
  const hono = getRequestListener(options.fetch)
  const webhook = options.feishuWebhook
  const webhookPaths = new Set<string>(FEISHU_WEBHOOK_PATHS)
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const path = req.url?.split('?', 1)[0] ?? ''
    if (!webhook || req.method !== 'POST' || !webhookPaths.has(path)) {
      void hono(req, res)
      return
    }
    const started = performance.now()
    res.once('finish', () =>
      options.metrics?.httpRequest(path, 'POST', res.statusCode, (performance.now() - started) / 1000),
    )
    const given = req.headers['x-request-id']
    const requestId = typeof given === 'string' && given.length <= 255 ? given : randomUUID()
    const header = (name: string) => {
      const v = req.headers[name]
      return Array.isArray(v) ? v[0] : v
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    const body = declared > FEISHU_BODY_LIMIT ? Promise.resolve(null) : readIncoming(req, FEISHU_BODY_LIMIT)
    body
      .then(async (raw) => {
        if (!raw) return send(res, 413, { error: 'payload too large' }, requestId)
        const reply = await webhook(raw, header)
        send(res, reply.status, reply.body, requestId)
      })
      .catch((err: unknown) => {
        options.logger.error({ err, requestId, path }, 'feishu webhook failed')
        if (!res.headersSent)
          send(res, 500, { error: { code: 'internal', message: 'internal error', requestId } }, requestId)
        else res.destroy()
      })
  })
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket))
  return server
}

/** Request line plus headers; Node's default (16 KB) with room for long signed links. */
export const MAX_HEADER_BYTES = 32 * 1024

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'headers_too_large',
    `request line and headers exceed ${MAX_HEADER_BYTES} bytes`,
  ],
  HPE_URI_TOO_LONG: [414, 'uri_too_long', 'request URI is too long'],
}

/**
 * Node answers a request it cannot parse (an over-long request line or headers, bad framing) with a bare
 * status line and no body. Every other refusal is JSON with a code, so this is too.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [
    400,
    'bad_request',
    'malformed HTTP request',
  ]
  const text = JSON.stringify({ error: { code, message, requestId: '' } })
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 414 ? 'URI Too Long' : 'Bad Request'
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  )
}
