import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { InlineQueue } from '../../jobs/drivers/inline'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'

let database: Database
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => database.close())

describe('service skeleton', () => {
  it('answers /healthz', async () => {
    const { app } = testApp(database)
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers /readyz 200 when database and queue are reachable', async () => {
    const { app } = testApp(database)
    const res = await app.request('/readyz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } })
  })

  it('answers /readyz 503 naming the queue when it is down', async () => {
    const queue = new InlineQueue()
    await queue.close()
    const { app } = testApp(database, { queue })
    const res = await app.request('/readyz')
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', queue: 'down' },
    })
  })

  it('answers unknown routes with the JSON error shape and a request id', async () => {
    const { app } = testApp(database)
    const res = await app.request('/api/v1/nothing', { headers: { 'x-request-id': 'req-test-1' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('x-request-id')).toBe('req-test-1')
    expect(await res.json()).toEqual({
      error: { code: 'not_found', message: 'no route for GET /api/v1/nothing', requestId: 'req-test-1' },
    })
  })

  it('refuses API bodies over the limit with 413', async () => {
    const { app } = testApp(database)
    const res = await app.request('/api/v1/anything', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) },
      body: 'x'.repeat(2 * 1024 * 1024),
    })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large')
  })

  it('answers invalid input with 400 naming the field, and malformed JSON with 400', async () => {
    const { app } = testApp(database)
    const res = await app.request('/api/v1/auth/devchat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 42 }),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; field: string; message: string } }
    expect(body.error).toMatchObject({ code: 'invalid_input', field: 'code' })
    expect(body.error.message).toMatch(/^code: /)
    const bad = await app.request('/api/v1/auth/devchat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"code": ',
    })
    expect(bad.status).toBe(400)
    const unknown = await app.request('/api/v1/auth/wecom', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'x' }),
    })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as { error: { field: string } }).error.field).toBe('platform')
  })

  it('publishes an OpenAPI 3.1 document with the routes', async () => {
    const { app } = testApp(database)
    const res = await app.request('/api/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']))
  })

  it('serves an API reference page that loads its assets locally', async () => {
    const { app } = testApp(database)
    const html = await (await app.request('/api/docs')).text()
    expect(html).toContain('/api/docs/assets/swagger-ui-dist/swagger-ui-bundle.js')
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg\.com/)
  })
})
