import { createHmac, randomBytes } from 'node:crypto'
import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../bot/lib/clock'
import { signToken } from '../../bot/lib/session-token'
import { createDevchatPlatform } from '../../bot/platforms/devchat/adapter'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import {
  approvalExternalRequests,
  approvalInstances,
  approvalWebhookAttempts,
  approvalWebhookDeliveries,
  users,
} from '../../db/schema'
import { InlineQueue } from '../../jobs/drivers/inline'
import { OutboxRelay, outboxWorkOptions, stripOutboxFields } from '../../jobs/outbox'
import { buildProcessors } from '../../jobs/processors'
import { createFakeErp, type FakeErp } from '../fakes/erp'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import {
  type ApprovalsTenant,
  approvalsTenant,
  cardsTo,
  pendingTaskOf,
  silent,
  tap,
  uid,
} from './approvals-harness'

/**
 * Approvals for other systems, end to end: an admin registers the "ERP", the ERP registers its own template
 * and starts a request through the signed API, the approver approves with a devchat card tap, and the
 * outcome reaches the fake ERP as a signed webhook that fails (500, then a timeout) before it is accepted.
 */
let database: Database
let org: ApprovalsTenant
let other: ApprovalsTenant
let app: ReturnType<typeof testApp>['app']
let erp: FakeErp
let systemId = ''
let runner: Awaited<ReturnType<typeof webhookRunner>>

beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
  other = await approvalsTenant(database)
  app = testApp(database).app
  erp = await createFakeErp()
  runner = await webhookRunner(database, org.tenantId)
})
afterAll(async () => {
  await runner?.close()
  await erp?.close()
  await database?.close()
})

/** Relay and real processors (short webhook timeout) for the tenant, with a `drain(asOf)` like the harness. */
async function webhookRunner(db: Database, tenantId: string) {
  const queue = new InlineQueue()
  const platforms = new PlatformRegistry().register(createDevchatPlatform())
  await queue.work(
    stripOutboxFields(
      buildProcessors({
        database: db,
        queue,
        logger: silent,
        clock: systemClock,
        platforms,
        // Long enough for a loaded machine to answer a 500 in time; the hanging ERP costs this much once.
        webhookTimeoutMs: 1500,
      }),
    ),
    outboxWorkOptions(db, { concurrency: 8 }),
  )
  const relay = new OutboxRelay(db, queue, { tenantId })
  return {
    async drain(now: Date = new Date()): Promise<void> {
      for (let i = 0; i < 20; i++) {
        const n = await relay.relayAll(i === 0 ? now : new Date())
        if (n === 0 && queue.pendingCount() === 0) return
        const deadline = Date.now() + 10_000
        while (queue.pendingCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      }
    },
    close: () => queue.close(),
  }
}

async function session(tenant: ApprovalsTenant, key: string) {
  return signToken(TEST_SESSION_SECRET, {
    t: tenant.tenantId,
    u: uid(tenant, key),
    p: 'devchat',
    exp: Math.floor(Date.now() / 1000) + 600,
    k: 'session',
    j: `j-${Math.random()}`,
  })
}

type Json = Record<string, unknown> & { error?: { code: string; message: string; field?: string } }

async function asUser(tenant: ApprovalsTenant, key: string, method: string, path: string, body?: unknown) {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${await session(tenant, key)}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, json: (await res.json()) as Json }
}

/** A call signed the way the OpenAPI document describes, computed independently with node:crypto. */
function signed(
  secret: string,
  method: string,
  path: string,
  body?: unknown,
  options: {
    nonce?: string
    timestamp?: number
    idempotencyKey?: string
    system?: string
    raw?: string
  } = {},
) {
  const raw = options.raw ?? (body === undefined ? '' : JSON.stringify(body))
  const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000))
  const nonce = options.nonce ?? randomBytes(16).toString('hex')
  const sig = `v1=${createHmac('sha256', secret).update(`${ts}.${nonce}.${raw}`).digest('hex')}`
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-flowcard-system': options.system ?? systemId,
    'x-flowcard-timestamp': ts,
    'x-flowcard-nonce': nonce,
    'x-flowcard-signature': sig,
    ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
  }
  return {
    headers,
    send: async () => {
      const res = await app.request(`/api/v1${path}`, {
        method,
        headers,
        ...(method === 'GET' ? {} : { body: raw }),
      })
      return { status: res.status, json: (await res.json()) as Json }
    },
  }
}

const call = (method: string, path: string, body?: unknown, options: Parameters<typeof signed>[4] = {}) =>
  signed(erp.secret, method, path, body, options).send()

const externalCount = async () =>
  (
    await database.db
      .select()
      .from(approvalExternalRequests)
      .where(eq(approvalExternalRequests.tenantId, org.tenantId))
  ).length

const poTemplate = () => ({
  key: 'erp-po',
  name: 'ERP 采购订单',
  nameEn: 'ERP purchase order',
  form: [
    { key: 'poNo', label: '订单号', type: 'text', required: true },
    { key: 'supplier', label: '供应商', type: 'text', required: true },
    { key: 'amount', label: '金额', type: 'money', required: true, showOnCard: true },
  ],
  flow: {
    nodes: [
      { id: 'start', type: 'start', next: 'fin' },
      {
        id: 'fin',
        type: 'approval',
        name: '财务审批',
        mode: 'any',
        approvers: { kind: 'users', userIds: [uid(org, 'zhuhong')] },
        next: 'end',
      },
      { id: 'end', type: 'end' },
    ],
  },
})

const poStart = (externalId: string, amount = 1_250_000) => ({
  templateKey: 'erp-po',
  externalId,
  link: `https://erp.example.com/po/${externalId}`,
  initiator: { userId: uid(org, 'liuyang') },
  form: { poNo: externalId, supplier: '华为', amount },
})

describe('external systems: registration (admin)', () => {
  it('registers a system, shows its secret once, and refuses non-admins and other tenants', async () => {
    const denied = await asUser(org, 'liuyang', 'POST', '/approvals/external-systems', {
      name: 'ERP',
      webhookUrl: erp.url,
    })
    expect(denied.status).toBe(403)
    const bad = await asUser(org, 'wangjianguo', 'POST', '/approvals/external-systems', {
      name: 'ERP',
      webhookUrl: 'ftp://erp',
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error?.field).toBe('webhookUrl')
    const made = await asUser(org, 'wangjianguo', 'POST', '/approvals/external-systems', {
      name: 'ERP',
      webhookUrl: erp.url,
    })
    expect(made.status).toBe(201)
    const secret = made.json.secret as string
    expect(secret).toMatch(/^fcs_[A-Za-z0-9_-]{43}$/)
    systemId = (made.json.system as { id: string }).id
    erp.secret = secret
    const list = await asUser(org, 'wangjianguo', 'GET', '/approvals/external-systems')
    expect(JSON.stringify(list.json)).not.toContain(secret)
    expect((list.json.items as Array<{ secretHint: string }>)[0]?.secretHint).toBe(`fcs_…${secret.slice(-4)}`)
    const dup = await asUser(org, 'wangjianguo', 'POST', '/approvals/external-systems', {
      name: 'ERP',
      webhookUrl: erp.url,
    })
    expect(dup.status).toBe(409)
    const foreign = await asUser(
      other,
      'wangjianguo',
      'GET',
      `/approvals/external-systems/${systemId}/deliveries`,
    )
    expect(foreign.status).toBe(404)
  })
})

describe('external systems: the signed API', () => {
  it('registers its own template, hidden from people starting requests in chat', async () => {
    const put = await call('PUT', '/external/templates/erp-po', poTemplate())
    expect(put.status).toBe(200)
    expect(put.json).toMatchObject({ key: 'erp-po', version: 1, created: true })
    const again = await call('PUT', '/external/templates/erp-po', { ...poTemplate(), name: 'ERP 采购单' })
    expect(again.json).toMatchObject({ version: 2, created: false })
    const taken = await call('PUT', '/external/templates/leave', { ...poTemplate(), key: 'leave' })
    expect(taken.status).toBe(409)
    const list = await asUser(org, 'liuyang', 'GET', '/approvals/templates')
    expect((list.json.items as Array<{ key: string }>).map((t) => t.key)).not.toContain('erp-po')
    const byHand = await asUser(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'erp-po',
      form: { poNo: 'x', supplier: 'y', amount: 1 },
    })
    expect(byHand.status).toBe(400)
    expect(byHand.json.error?.field).toBe('templateKey')
  })

  it('refuses bad signatures, stale timestamps, replayed nonces and unknown systems with 401, writing nothing', async () => {
    const before = await externalCount()
    const wrongSecret = await signed('fcs_wrong', 'POST', '/external/approvals', poStart('PO-X')).send()
    expect(wrongSecret.status).toBe(401)
    expect(wrongSecret.json.error?.code).toBe('unauthenticated')
    const stale = await call('POST', '/external/approvals', poStart('PO-X'), {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    })
    expect(stale.status).toBe(401)
    expect(stale.json.error?.field).toBe('x-flowcard-timestamp')
    const unknown = await call('POST', '/external/approvals', poStart('PO-X'), { system: 'exs_nope' })
    expect(unknown.status).toBe(401)
    // The body is signed byte for byte: one changed byte breaks it.
    const req = signed(erp.secret, 'POST', '/external/approvals', poStart('PO-X'))
    const tampered = await app.request('/api/v1/external/approvals', {
      method: 'POST',
      headers: req.headers,
      body: JSON.stringify(poStart('PO-Y')),
    })
    expect(tampered.status).toBe(401)
    const missing = await app.request('/api/v1/external/approvals', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(poStart('PO-X')),
    })
    expect(missing.status).toBe(401)
    expect(await externalCount()).toBe(before)
    // A captured request replayed as is: the nonce was used.
    const once = signed(erp.secret, 'GET', '/external/approvals/PO-NONE')
    expect((await once.send()).status).toBe(404)
    const replay = await once.send()
    expect(replay.status).toBe(401)
    expect(replay.json.error?.field).toBe('x-flowcard-nonce')
  })

  it('answers 400 naming the field for bad input, writing nothing', async () => {
    const before = await externalCount()
    const noAmount = await call('POST', '/external/approvals', {
      ...poStart('PO-BAD'),
      form: { poNo: 'PO-BAD', supplier: 'x' },
    })
    expect(noAmount.status).toBe(400)
    expect(noAmount.json.error?.field).toBe('form.amount')
    const nobody = await call('POST', '/external/approvals', {
      ...poStart('PO-BAD'),
      initiator: { email: 'nobody@example.com' },
    })
    expect(nobody.status).toBe(400)
    expect(nobody.json.error?.field).toBe('initiator.email')
    const badId = await call('POST', '/external/approvals', { ...poStart('PO-BAD'), externalId: 'a b' })
    expect(badId.status).toBe(400)
    expect(badId.json.error?.field).toBe('externalId')
    const noTemplate = await call('POST', '/external/approvals', {
      ...poStart('PO-BAD'),
      templateKey: 'nope',
    })
    expect(noTemplate.status).toBe(404)
    expect(await externalCount()).toBe(before)
  })
})

describe('external systems: start → approve in chat → signed, retried webhook', () => {
  it('runs the whole path; a retried start creates one request; the ERP processes the outcome once', async () => {
    await database.db
      .update(users)
      .set({ email: 'Liu.Yang@yunfan.example' })
      .where(eq(users.id, uid(org, 'liuyang')))
    const body = { ...poStart('PO-2026-0042'), initiator: { email: 'liu.yang@yunfan.example' } }
    const first = await call('POST', '/external/approvals', body, { idempotencyKey: 'start-42' })
    expect(first.status).toBe(201)
    expect(first.json).toMatchObject({
      externalId: 'PO-2026-0042',
      status: 'pending',
      link: 'https://erp.example.com/po/PO-2026-0042',
      initiator: { id: uid(org, 'liuyang') },
      pendingApprovers: [{ id: uid(org, 'zhuhong') }],
    })
    const instanceId = first.json.instanceId as string
    // The ERP timed out and retried: new nonce and timestamp, same key and body → the same request.
    const retry = await call('POST', '/external/approvals', body, { idempotencyKey: 'start-42' })
    expect(retry.status).toBe(200)
    expect(retry.json.instanceId).toBe(instanceId)
    const parallel = await Promise.all(
      [1, 2, 3].map(() => call('POST', '/external/approvals', body, { idempotencyKey: 'start-42' })),
    )
    expect(parallel.map((r) => r.json.instanceId)).toEqual([instanceId, instanceId, instanceId])
    const rows = await database.db
      .select()
      .from(approvalInstances)
      .where(and(eq(approvalInstances.tenantId, org.tenantId), eq(approvalInstances.templateVersion, 2)))
    expect(rows.filter((r) => r.external?.externalId === 'PO-2026-0042')).toHaveLength(1)
    const reused = await call(
      'POST',
      '/external/approvals',
      { ...body, form: { ...body.form, amount: 1 } },
      {
        idempotencyKey: 'start-42',
      },
    )
    expect(reused.status).toBe(409)
    expect(reused.json.error?.field).toBe('Idempotency-Key')
    const second = await call('POST', '/external/approvals', body, { idempotencyKey: 'other-key' })
    expect(second.status).toBe(409)
    expect(second.json.error?.field).toBe('externalId')

    // One inbox: the approver's to-do list has it, and the card shows the source and the link back.
    const todo = await asUser(org, 'zhuhong', 'GET', '/approvals/instances?box=todo')
    expect(
      (todo.json.items as Array<{ id: string; source: string | null }>).find((i) => i.id === instanceId),
    ).toMatchObject({ source: 'ERP' })
    const detail = await asUser(org, 'zhuhong', 'GET', `/approvals/instances/${instanceId}`)
    expect(detail.json.external).toMatchObject({ systemName: 'ERP', externalId: 'PO-2026-0042' })
    const card = JSON.stringify((await cardsTo(database, org, 'zhuhong')).map((r) => r.payload))
    expect(card).toContain('ERP · PO-2026-0042')
    expect(card).toContain('https://erp.example.com/po/PO-2026-0042')
    expect(card).toContain('在ERP中查看')

    // The approver taps 同意 on the devchat card.
    const task = await pendingTaskOf(database, org, instanceId, 'zhuhong')
    const result = await tap(database, org, 'zhuhong', {
      a: 'approval.approve',
      task: task.id,
      v: task.version,
    })
    expect(JSON.stringify(result)).toContain('已同意')

    // The ERP fails the first delivery (500), times out on the second, accepts the third.
    erp.script = ['fail500', 'hang', 'ok']
    await runner.drain()
    const [delivery] = await database.db
      .select()
      .from(approvalWebhookDeliveries)
      .where(eq(approvalWebhookDeliveries.instanceId, instanceId))
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500 })
    await runner.drain(new Date(Date.now() + 31_000))
    await runner.drain(new Date(Date.now() + 61_000))
    const [done] = await database.db
      .select()
      .from(approvalWebhookDeliveries)
      .where(eq(approvalWebhookDeliveries.instanceId, instanceId))
    expect(done).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null })
    const attempts = await database.db
      .select()
      .from(approvalWebhookAttempts)
      .where(eq(approvalWebhookAttempts.deliveryId, done?.id ?? ''))
      .orderBy(asc(approvalWebhookAttempts.attempt))
    expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, null],
      [3, 200],
    ])
    expect(attempts[0]?.error).toContain('HTTP 500: database is down')
    expect(attempts[1]?.error).toContain('timed out')
    const mine = erp.deliveries.filter((d) => d.eventId === done?.id)
    expect(mine.map((d) => d.attempt)).toEqual([1, 2, 3])
    expect(mine.every((d) => d.signatureValid && d.timestampFresh)).toBe(true)
    expect(mine[2]?.body.data).toMatchObject({ externalId: 'PO-2026-0042', status: 'approved' })
    expect(erp.processed.get(done?.id ?? '')).toBe(1)
    expect(erp.records.get('PO-2026-0042')).toBe('approved')
    // Nothing more is due, however far the clock moves.
    await runner.drain(new Date(Date.now() + 24 * 3600_000))
    expect(erp.deliveries.filter((d) => d.eventId === done?.id)).toHaveLength(3)

    const status = await call('GET', '/external/approvals/PO-2026-0042')
    expect(status.status).toBe(200)
    expect(status.json).toMatchObject({
      status: 'approved',
      decisions: [{ approver: { id: uid(org, 'zhuhong') }, result: 'approved' }],
      webhook: { eventId: done?.id, status: 'delivered', attempts: 3 },
    })
    const history = await asUser(
      org,
      'wangjianguo',
      'GET',
      `/approvals/external-systems/${systemId}/deliveries`,
    )
    const item = (history.json.items as Array<{ id: string; history: unknown[] }>).find(
      (d) => d.id === done?.id,
    )
    expect(item?.history).toHaveLength(3)
  })

  it('marks a delivery failed after the last attempt, visible to the admin, and redelivers on request', async () => {
    const start = await call('POST', '/external/approvals', poStart('PO-2026-0043'))
    expect(start.status).toBe(201)
    const cancel = await call('POST', '/external/approvals/PO-2026-0043/cancel', { comment: 'PO deleted' })
    expect(cancel.status).toBe(200)
    expect(cancel.json.status).toBe('cancelled')
    erp.script = []
    erp.fallback = 'fail500'
    for (let i = 0; i < 11; i++) await runner.drain(new Date(Date.now() + 7 * 3600_000))
    const failed = await asUser(
      org,
      'wangjianguo',
      'GET',
      `/approvals/external-systems/${systemId}/deliveries?status=failed`,
    )
    const items = failed.json.items as Array<{
      id: string
      instanceId: string
      attempts: number
      lastError: string
      history: unknown[]
    }>
    const item = items.find((d) => d.instanceId === start.json.instanceId)
    expect(item).toMatchObject({ attempts: 10, lastError: 'HTTP 500: database is down' })
    expect(item?.history).toHaveLength(10)
    // The approval admins are told in chat, once.
    const alerts = (await cardsTo(database, org, 'wangjianguo')).filter((r) =>
      JSON.stringify(r.payload).includes('ERP 回调失败'),
    )
    expect(alerts).toHaveLength(1)
    expect(JSON.stringify(alerts[0]?.payload)).toContain('PO-2026-0043')
    erp.fallback = 'ok'
    const again = await asUser(
      org,
      'wangjianguo',
      'POST',
      `/approvals/external-systems/${systemId}/deliveries/${item?.id}/redeliver`,
    )
    expect(again.status).toBe(202)
    await runner.drain()
    expect(erp.records.get('PO-2026-0043')).toBe('cancelled')
    const [row] = await database.db
      .select()
      .from(approvalWebhookDeliveries)
      .where(eq(approvalWebhookDeliveries.id, item?.id ?? ''))
    expect(row).toMatchObject({ status: 'delivered', attempts: 11 })
    const twice = await asUser(
      org,
      'wangjianguo',
      'POST',
      `/approvals/external-systems/${systemId}/deliveries/${item?.id}/redeliver`,
    )
    expect(twice.status).toBe(409)
  })

  it('rotates the secret: the old one verifies calls during the grace period, webhooks use the new one', async () => {
    const old = erp.secret
    const rotated = await asUser(
      org,
      'wangjianguo',
      'POST',
      `/approvals/external-systems/${systemId}/rotate-secret`,
    )
    expect(rotated.status).toBe(200)
    const fresh = rotated.json.secret as string
    expect(fresh).not.toBe(old)
    expect((await signed(old, 'GET', '/external/approvals/PO-2026-0042').send()).status).toBe(200)
    expect((await signed(fresh, 'GET', '/external/approvals/PO-2026-0042').send()).status).toBe(200)
    erp.secret = fresh
    const start = await call('POST', '/external/approvals', poStart('PO-2026-0044'))
    const task = await pendingTaskOf(database, org, start.json.instanceId as string, 'zhuhong')
    await tap(
      database,
      org,
      'zhuhong',
      { a: 'approval.reject', task: task.id, v: task.version },
      { comment: '预算不足' },
    )
    await runner.drain()
    expect(erp.records.get('PO-2026-0044')).toBe('rejected')
    const off = await asUser(org, 'wangjianguo', 'PATCH', `/approvals/external-systems/${systemId}`, {
      active: false,
    })
    expect(off.json.active).toBe(false)
    expect((await call('GET', '/external/approvals/PO-2026-0042')).status).toBe(401)
  })
})

describe('external systems: OpenAPI', () => {
  it('documents the signed API, the admin routes and the webhook', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      paths: Record<string, unknown>
      webhooks?: Record<string, unknown>
      components: { securitySchemes: Record<string, unknown> }
    }
    for (const p of [
      '/api/v1/external/approvals',
      '/api/v1/external/approvals/{externalId}',
      '/api/v1/external/approvals/{externalId}/cancel',
      '/api/v1/external/templates/{key}',
      '/api/v1/approvals/external-systems',
      '/api/v1/approvals/external-systems/{id}/rotate-secret',
      '/api/v1/approvals/external-systems/{id}/deliveries',
      '/api/v1/approvals/files',
      '/api/v1/approvals/files/download',
    ])
      expect(doc.paths[p], p).toBeDefined()
    expect(doc.components.securitySchemes.externalSignature).toBeDefined()
    expect(Object.keys(doc.webhooks ?? {})).toEqual(['approval.finished'])
    expect(JSON.stringify(doc.webhooks)).toContain('ApprovalFinishedEvent')
  })
})
