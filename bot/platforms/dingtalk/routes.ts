import { type Context, Hono } from 'hono'
import { readRawBody } from '../feishu/routes'
import { IngestBatcher } from '../ingest-batch'
import { type DingtalkInboundDeps, handlePush } from './inbound'

/** DingTalk pushes are small JSON; anything bigger is not DingTalk. */
export const DINGTALK_BODY_LIMIT = 256 * 1024

/** The callback paths; each accepts robot messages, card callbacks and event pushes. */
export const DINGTALK_WEBHOOK_PATHS = ['/webhooks/dingtalk/events', '/webhooks/dingtalk/cards'] as const

/**
 * `POST /webhooks/dingtalk/events` and `POST /webhooks/dingtalk/cards` (webhook mode only: in stream mode
 * they are not mounted). The raw body is read once, bounded, and the push authenticated before its content
 * means anything; events go through one group-commit batcher.
 */
export function dingtalkRoutes(deps: DingtalkInboundDeps): Hono {
  const inbound: DingtalkInboundDeps = deps.ingest
    ? deps
    : { ...deps, ingest: new IngestBatcher(deps.database.db).ingest }
  const app = new Hono()
  const handler = async (c: Context) => {
    // Counted while streaming: a chunked body without a length stops at the limit, before authentication.
    const raw = await readRawBody(c, DINGTALK_BODY_LIMIT)
    if (!raw) return c.json({ error: { code: 'payload_too_large', message: 'body too large' } }, 413)
    const r = await handlePush(
      inbound,
      raw,
      (name) => c.req.header(name),
      (name) => c.req.query(name),
    )
    return c.json(r.body, r.status as 200)
  }
  for (const path of DINGTALK_WEBHOOK_PATHS) app.post(path, handler)
  return app
}
