import { randomUUID } from 'node:crypto'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import type { Logger } from '../lib/logger'
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
 * than the signature check and the decryption together (issue 3's ack throughput is measured on this
 * path, by tests/bench/webhook-ack.ts). The Hono routes for the same paths stay for other runtimes and
 * `app.request` in tests; both share the handler's batcher.
 */
export interface NodeServerOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>
  logger: Logger
  feishuWebhook?: FeishuWebhookHandler
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
  return createServer((req, res) => {
    const path = req.url?.split('?', 1)[0] ?? ''
    if (!webhook || req.method !== 'POST' || !webhookPaths.has(path)) {
      void hono(req, res)
      return
    }
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
}
