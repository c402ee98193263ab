import { type Context, Hono } from 'hono'
import { IngestBatcher } from '../ingest-batch'
import { type FeishuInboundDeps, handlePush, type InboundReply } from './inbound'

/** Feishu pushes are small JSON; anything bigger is not Feishu. */
export const FEISHU_BODY_LIMIT = 256 * 1024

/** The callback paths; each accepts events and card callbacks. */
export const FEISHU_WEBHOOK_PATHS = ['/webhooks/feishu/events', '/webhooks/feishu/cards'] as const

/** Authenticates one push (raw bytes + headers) and records or answers it. */
export type FeishuWebhookHandler = (
  raw: Uint8Array,
  header: (name: string) => string | undefined,
) => Promise<InboundReply>

/**
 * The push handler with its group-commit batcher (unless the deps bring their own `ingest`). The Node
 * entry's server calls it straight from `node:http` for the webhook paths, and {@link feishuRoutes} from
 * Hono everywhere else; both share one batcher when the entry passes the same `ingest`.
 */
export function feishuWebhookHandler(deps: FeishuInboundDeps): FeishuWebhookHandler {
  const inbound: FeishuInboundDeps = deps.ingest
    ? deps
    : { ...deps, ingest: new IngestBatcher(deps.database.db).ingest }
  return (raw, header) => handlePush(inbound, raw, header)
}

/** The Node request (`c.env.incoming` under `@hono/node-server`), seen only through what we use. */
export interface NodeIncoming {
  on(event: 'data', fn: (chunk: Uint8Array) => void): unknown
  on(event: 'end' | 'error', fn: (err?: unknown) => void): unknown
  resume(): unknown
  readableEnded?: boolean
}

function nodeIncoming(env: unknown): NodeIncoming | null {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return null
  const incoming = (env as { incoming: unknown }).incoming
  return typeof incoming === 'object' && incoming !== null && 'on' in incoming && 'resume' in incoming
    ? (incoming as NodeIncoming)
    : null
}

/** Reads a Node request stream whole, or null once it exceeds `limit` bytes (the rest is drained). */
export function readIncoming(incoming: NodeIncoming, limit: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    let over = false
    incoming.on('data', (chunk: Uint8Array) => {
      if (over) return
      size += chunk.byteLength
      if (size > limit) {
        over = true
        resolve(null)
        return
      }
      chunks.push(chunk)
    })
    incoming.on('end', () => {
      if (!over) resolve(concat(chunks, size))
    })
    incoming.on('error', (err) => reject(err))
  })
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0]
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}

/**
 * Reads the raw body once, refusing more than the limit (null). On Node the bytes come straight from the
 * socket stream (the Web stream adapter costs more than the whole signature check); elsewhere from
 * `Request.body`.
 */
export async function readRawBody(c: Context, limit: number): Promise<Uint8Array | null> {
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > limit) return null
  const incoming = nodeIncoming(c.env)
  if (incoming && !incoming.readableEnded) return readIncoming(incoming, limit)
  const reader = c.req.raw.body?.getReader()
  if (!reader) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  return concat(chunks, size)
}

/**
 * `POST /webhooks/feishu/events` and `POST /webhooks/feishu/cards` (each accepts events and card callbacks,
 * so one URL can serve both consoles). The raw body is read once and authenticated before anything is
 * parsed for meaning; events are recorded (group commit) and acknowledged at once, card taps answered
 * synchronously.
 */
export function feishuRoutes(deps: FeishuInboundDeps): Hono {
  const app = new Hono()
  const push = feishuWebhookHandler(deps)
  const handler = async (c: Context) => {
    const raw = await readRawBody(c, FEISHU_BODY_LIMIT)
    if (!raw) return c.json({ error: 'payload too large' }, 413)
    const reply = await push(raw, (name) => c.req.header(name))
    return c.json(reply.body, reply.status as 200)
  }
  for (const path of FEISHU_WEBHOOK_PATHS) app.post(path, handler)
  return app
}
