import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../bot/app'
import { createNodeServer } from '../../bot/entry/node-server'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { feishuWebhookHandler } from '../../bot/platforms/feishu/routes'
import { IngestBatcher } from '../../bot/platforms/ingest-batch'
import type { Database } from '../../db/client'
import { createPushBuilder } from '../fakes/feishu/push'
import { TEST_SESSION_SECRET } from '../helpers/app'
import { ENCRYPT_KEY, openOwnDatabase, VERIFICATION_TOKEN } from '../helpers/feishu'

/**
 * The Node entry's server: Feishu callbacks are served from node:http directly (the ack path), everything
 * else by the Hono app. Real PostgreSQL, real sockets, signed and encrypted pushes.
 */
let own: { database: Database; drop: () => Promise<void> }
let server: ReturnType<typeof createNodeServer>
let base = ''
const TENANT_KEY = `tk-node-${Date.now()}`
const push = createPushBuilder({
  appId: 'cli_node_server',
  tenantKey: TENANT_KEY,
  verificationToken: VERIFICATION_TOKEN,
  encryptKey: ENCRYPT_KEY,
})

beforeAll(async () => {
  own = await openOwnDatabase()
  const logger = createLogger('silent')
  const inbound = {
    verificationToken: VERIFICATION_TOKEN,
    encryptKey: ENCRYPT_KEY,
    botOpenId: async () => null,
    render: {},
    ingest: new IngestBatcher(own.database.db).ingest,
  }
  const app = createApp({
    env: parseEnv({ LOG_LEVEL: 'silent', DEVCHAT: 'off' }),
    database: own.database,
    queue: { kind: 'inline' } as never,
    logger,
    clock: systemClock,
    sessionSecret: TEST_SESSION_SECRET,
    feishu: inbound,
  })
  server = createNodeServer({
    fetch: app.fetch,
    logger,
    feishuWebhook: feishuWebhookHandler({ ...inbound, database: own.database, logger, clock: systemClock }),
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()))
  await own?.drop()
})

const outboxFor = async (messageId: string) =>
  (
    await own.database.rows<{ n: number }>(sql`
      select count(*)::int as n from outbox where payload #>> '{event,messageId}' = ${messageId}`)
  )[0]?.n

describe('node server', () => {
  it('acknowledges a signed, encrypted message push once and records it durably', async () => {
    const messageId = `om_node_${Date.now()}`
    const p = await push.messageReceive({
      message: { messageId, chatId: 'oc_node', chatType: 'p2p' },
      text: '帮助',
      sender: { openId: 'ou_node' },
    })
    const res = await fetch(`${base}/webhooks/feishu/events`, {
      method: 'POST',
      headers: { ...p.headers, 'content-type': 'application/json', 'x-request-id': 'req-node-1' },
      body: p.body,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('req-node-1')
    expect(await res.json()).toEqual({})
    expect(await outboxFor(messageId)).toBe(1)
    // The same push again (Feishu redelivers): acknowledged, nothing new recorded. Also on the cards path.
    const again = await fetch(`${base}/webhooks/feishu/cards`, {
      method: 'POST',
      headers: { ...p.headers, 'content-type': 'application/json' },
      body: p.body,
    })
    expect(again.status).toBe(200)
    expect(await outboxFor(messageId)).toBe(1)
  })

  it('refuses a tampered body with 401 and records nothing', async () => {
    const messageId = `om_node_bad_${Date.now()}`
    const p = await push.messageReceive({
      message: { messageId, chatId: 'oc_node', chatType: 'p2p' },
      text: '帮助',
      sender: { openId: 'ou_node' },
    })
    const tampered = p.body.replace(/"encrypt":"./, (m) => `${m.slice(0, -1)}${m.endsWith('A') ? 'B' : 'A'}`)
    const res = await fetch(`${base}/webhooks/feishu/events`, {
      method: 'POST',
      headers: { ...p.headers, 'content-type': 'application/json' },
      body: tampered,
    })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: 'bad signature' })
    expect(await outboxFor(messageId)).toBe(0)
  })

  it('answers the encrypted url_verification challenge', async () => {
    const p = await push.urlVerification('challenge-node-1')
    const res = await fetch(`${base}/webhooks/feishu/events`, {
      method: 'POST',
      headers: { ...p.headers, 'content-type': 'application/json' },
      body: p.body,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ challenge: 'challenge-node-1' })
  })

  it('refuses a body over the limit with 413 and leaves other routes to the app', async () => {
    const res = await fetch(`${base}/webhooks/feishu/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"x":"${'a'.repeat(300 * 1024)}"}`,
    })
    expect(res.status).toBe(413)
    const health = await fetch(`${base}/healthz`)
    expect(health.status).toBe(200)
    const wrongMethod = await fetch(`${base}/webhooks/feishu/events`)
    expect(wrongMethod.status).toBe(404)
  })

  it('answers an over-long request line with JSON naming the limit, and keeps serving', async () => {
    const res = await fetch(`${base}/api/v1/crm/customers?q=${'a'.repeat(70_000)}`)
    expect(res.status).toBe(431)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('headers_too_large')
    expect(body.error.message).toContain('bytes')
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })
})
