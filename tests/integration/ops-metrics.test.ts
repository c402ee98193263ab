import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../bot/app'
import type { OutboundMessage } from '../../bot/chat/model'
import { type ChatPlatform, PermanentSendError, type TenantRef } from '../../bot/chat/port'
import { sendText } from '../../bot/domain/chat/send'
import { metricsHandler, PrometheusMetrics } from '../../bot/entry/prometheus'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { createDevchatPlatform, DEVCHAT_SEND_RATE } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { auditLog, messages, outbox } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { InlineQueue } from '../../jobs/drivers/inline'
import { startWorkers, type Workers } from '../../jobs/workers'
import { actingAs, uid } from '../helpers/actors'
import { TEST_SESSION_SECRET } from '../helpers/app'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'
import { waitFor } from '../helpers/wait'

const TOKEN = 'metrics-token-for-tests-0123456789'

/** devchat, except that sends fail permanently (a blocked bot) while `failing` is set. */
class FlakyDevchat implements ChatPlatform {
  readonly name = 'devchat' as const
  readonly sendRate = DEVCHAT_SEND_RATE
  failing = true
  private readonly inner = createDevchatPlatform()
  async send(tenant: TenantRef, message: OutboundMessage) {
    if (this.failing) throw new PermanentSendError('bot_blocked', 'the user blocked the bot')
    return this.inner.send(tenant, message)
  }
  updateCard: ChatPlatform['updateCard'] = (...args) => this.inner.updateCard(...args)
}

let database: Database
let org: SeededOrg
let other: SeededOrg
let metrics: PrometheusMetrics
let queue: InlineQueue
let workers: Workers
let app: ReturnType<typeof createApp>
const platform = new FlakyDevchat()

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  other = await createTestTenant(database)
  metrics = new PrometheusMetrics('http')
  queue = new InlineQueue()
  const logger = createLogger('silent')
  workers = await startWorkers({
    database,
    queue,
    logger,
    clock: systemClock,
    platforms: new PlatformRegistry(metrics).register(platform),
    concurrency: 4,
    relay: { tenantId: org.tenantId, pollMs: 100 },
    metrics,
    adaptive: false,
  })
  app = createApp({
    env: parseEnv({ LOG_LEVEL: 'silent' }),
    database,
    queue,
    logger,
    clock: systemClock,
    sessionSecret: TEST_SESSION_SECRET,
    metrics,
  })
  metrics.watch({ database, queue, poolMax: 5 })
  app.get('/metrics', metricsHandler({ token: TOKEN, render: () => metrics.render() }))
})

afterAll(async () => {
  await workers.stop()
  await queue.close(2000)
  await database.close()
})

const scrape = async () => {
  const res = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/plain')
  return res.text()
}
/** The value of one series whose labels include all of `labels` (0 when absent). */
const seriesValue = (text: string, name: string, labels: Record<string, string>): number => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return 0
}

describe('GET /metrics', () => {
  it('is off without a token and refuses a missing or wrong bearer', async () => {
    const off = createApp({
      env: parseEnv({ LOG_LEVEL: 'silent' }),
      database,
      queue,
      logger: createLogger('silent'),
      clock: systemClock,
      sessionSecret: TEST_SESSION_SECRET,
    })
    off.get('/metrics', metricsHandler({ token: undefined, render: () => metrics.render() }))
    expect((await off.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      404,
    )
    const none = await app.request('/metrics')
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated')
    const wrong = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })
    expect(wrong.status).toBe(401)
  })

  it('labels HTTP answers by route pattern, never by raw path', async () => {
    await app.request('/api/v1/crm/customers/cus_one')
    await app.request('/api/v1/crm/customers/cus_two')
    await app.request('/no/such/path')
    const text = await scrape()
    expect(
      seriesValue(text, 'flowcard_http_request_duration_seconds_count', {
        route: '/api/v1/crm/customers/:id',
        method: 'GET',
        status: '401',
        process: 'http',
      }),
    ).toBe(2)
    expect(text).not.toContain('cus_one')
    expect(
      seriesValue(text, 'flowcard_http_request_duration_seconds_count', {
        route: 'unmatched',
        status: '404',
      }),
    ).toBe(1)
  })

  it('counts send errors by platform and code, job tries, the failed backlog and queue depth', async () => {
    const ctx = actingAs(database, org, 'wangjianguo', 'api')
    await sendText(ctx, { to: { userId: uid(org, 'liuyang') }, text: '你好' })
    await waitFor(async () => {
      const [row] = await database.db.select().from(outbox).where(eq(outbox.tenantId, org.tenantId))
      return row?.status === 'done' ? row : null
    }, 'the refused send to finish')
    // A job that used every try (of a tenant no relay here serves).
    await database.db
      .insert(outbox)
      .values({ tenantId: other.tenantId, topic: 'send.message', payload: {}, status: 'failed' })
    const text = await scrape()
    expect(
      seriesValue(text, 'flowcard_platform_sends_total', {
        platform: 'devchat',
        operation: 'send',
        result: 'permanent',
        code: 'bot_blocked',
      }),
    ).toBe(1)
    expect(seriesValue(text, 'flowcard_job_duration_seconds_count', { job: 'send.message' })).toBeGreaterThan(
      0,
    )
    expect(seriesValue(text, 'flowcard_outbox_rows', { status: 'failed' })).toBeGreaterThanOrEqual(1)
    expect(text).toMatch(/flowcard_outbox_lag_seconds\{process="http"\} \d/)
    expect(text).toContain('flowcard_queue_jobs{lane="send",state="waiting",process="http"}')
    expect(text).toContain('flowcard_db_connections{state="max",process="http"} 5')
  })

  it("merges a job child's snapshot under its own process label", async () => {
    const child = new PrometheusMetrics('jobs-1')
    child.platformSend('feishu', 'send', 'ok', '')
    child.platformSend('feishu', 'send', 'ok', '')
    const { body } = await metrics.render([await child.snapshot()])
    expect(
      seriesValue(body, 'flowcard_platform_sends_total', {
        platform: 'feishu',
        result: 'ok',
        process: 'jobs-1',
      }),
    ).toBe(2)
    expect(body).toContain('process="http"')
  })
})

describe('the admin queue view', () => {
  it('shows failed jobs to admins only, and a retry delivers once under the same key', async () => {
    const admin = await sessionHeader(org.tenantId, uid(org, 'wangjianguo'))
    const rep = await sessionHeader(org.tenantId, uid(org, 'liuyang'))
    platform.failing = true
    const ctx = actingAs(database, org, 'wangjianguo', 'api')
    await sendText(ctx, { to: { userId: uid(org, 'zhangwei') }, text: '请查收' })
    const failedRow = await waitFor(async () => {
      const rows = await database.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.status, 'done')))
      return rows.find((r) => JSON.stringify(r.payload).includes('请查收')) ?? null
    }, 'the second send to be refused')

    expect((await app.request('/api/v1/admin/queue', { headers: rep })).status).toBe(403)
    const status = await app.request('/api/v1/admin/queue', { headers: admin })
    expect(status.status).toBe(200)
    const body = (await status.json()) as Record<string, number>
    expect(body).toMatchObject({ pending: 0, relayed: 0, failed: 0 })
    expect(body.doneLastDay).toBeGreaterThanOrEqual(2)

    const list = await app.request('/api/v1/admin/queue/failed?limit=1', { headers: admin })
    const page = (await list.json()) as {
      items: Array<{ id: number; lastError: string; to: { userId: string } }>
      nextBefore: number | null
    }
    expect(page.items[0]).toMatchObject({ id: failedRow.id, to: { userId: uid(org, 'zhangwei') } })
    expect(page.items[0]?.lastError).toContain('bot_blocked')
    expect(page.nextBefore).toBe(failedRow.id)

    // Another tenant's admin cannot see or retry it.
    const stranger = await sessionHeader(other.tenantId, uid(other, 'wangjianguo'))
    const foreign = await app.request(`/api/v1/admin/queue/failed/${failedRow.id}/retry`, {
      method: 'POST',
      headers: stranger,
    })
    expect(foreign.status).toBe(404)
    const bad = await app.request('/api/v1/admin/queue/failed/abc/retry', { method: 'POST', headers: admin })
    expect(bad.status).toBe(400)

    platform.failing = false
    const retry = await app.request(`/api/v1/admin/queue/failed/${failedRow.id}/retry`, {
      method: 'POST',
      headers: admin,
    })
    expect(retry.status, await retry.clone().text()).toBe(200)
    await waitFor(async () => {
      const [row] = await database.db.select().from(outbox).where(eq(outbox.id, failedRow.id))
      return row?.status === 'done'
    }, 'the retried job to finish')
    const sent = await database.db
      .select({ status: messages.status })
      .from(messages)
      .where(and(eq(messages.tenantId, org.tenantId), eq(messages.idempotencyKey, `ob-${failedRow.id}`)))
    expect(sent).toEqual([{ status: 'sent' }])
    const again = await app.request(`/api/v1/admin/queue/failed/${failedRow.id}/retry`, {
      method: 'POST',
      headers: admin,
    })
    expect(again.status).toBe(409)
    const audit = await database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.targetId, String(failedRow.id))))
    expect(audit).toEqual([{ action: 'queue.retry' }])
  })
})
