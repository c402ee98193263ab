import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisRateLimiter } from '../../bot/platforms/rate-limit'
import type { Database } from '../../db/client'
import type { SeededOrg } from '../../db/seed/org'
import { uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase, redisUrl } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

/** Request budgets: login per address, the external API, imports and exports per person; 429 with Retry-After. */
let database: Database
let org: SeededOrg

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
})
afterAll(async () => database?.close())

const login = (app: ReturnType<typeof testApp>['app'], address: string) =>
  app.request('/api/v1/auth/devchat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ code: 'not-a-code' }),
  })

describe('request budgets', () => {
  it('refuses the 11th login attempt a minute from one address with 429 JSON and Retry-After; others go on', async () => {
    const { app } = testApp(database)
    for (let i = 0; i < 10; i++) expect((await login(app, '203.0.113.7')).status).toBe(401)
    const refused = await login(app, '203.0.113.7')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
    expect((await login(app, '203.0.113.8')).status).toBe(401)
  })

  it('limits exports per person, not per tenant', async () => {
    const { app } = testApp(database)
    const mine = await sessionHeader(org.tenantId, uid(org, 'liuyang'))
    const statuses: number[] = []
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await app.request('/api/v1/crm/export?entity=customers&format=csv', { headers: mine })).status,
      )
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200))
    expect(statuses[10]).toBe(429)
    const other = await sessionHeader(org.tenantId, uid(org, 'chenjing'))
    expect(
      (await app.request('/api/v1/crm/export?entity=customers&format=csv', { headers: other })).status,
    ).toBe(200)
  })

  it('shares one login budget between two instances through Redis', async () => {
    const prefix = `fc:rl:test:${Date.now()}:`
    const redis = [new Redis(redisUrl()), new Redis(redisUrl())]
    const [one, two] = redis.map(
      (r) => testApp(database, { rateLimiter: new RedisRateLimiter(r, prefix) }).app,
    )
    if (!one || !two) throw new Error('two apps')
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await login(i % 2 ? two : one, '198.51.100.9')).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(statuses[10]).toBe(429)
    await Promise.all(redis.map((r) => r.quit()))
  })
})
