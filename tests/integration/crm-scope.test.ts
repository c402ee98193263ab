import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkInVisit } from '../../bot/domain/crm/check-in-visit'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant
let other: CrmTenant
let app: ReturnType<typeof testApp>['app']
let poolId: string

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  other = await crmTenant(database)
  app = testApp(database).app
  poolId = (
    await createCustomer({
      ctx: ctxAs(database, org, 'wangjianguo'),
      input: { name: '公海里的客户有限公司', ownerId: null },
    })
  ).id
})
afterAll(async () => database.close())

type Actor = { label: string; key: string; tenant: () => CrmTenant; sees: boolean; manages: boolean }
const actors: Actor[] = [
  { label: 'owner (rep, self scope)', key: 'liuyang', tenant: () => org, sees: true, manages: false },
  {
    label: 'colleague in the same department (self scope)',
    key: 'chenjing',
    tenant: () => org,
    sees: false,
    manages: false,
  },
  { label: 'rep of another department', key: 'huangli', tenant: () => org, sees: false, manages: false },
  {
    label: 'marketing (department scope, other department)',
    key: 'xuna',
    tenant: () => org,
    sees: false,
    manages: false,
  },
  {
    label: 'team lead above (department and below)',
    key: 'zhangwei',
    tenant: () => org,
    sees: true,
    manages: true,
  },
  { label: 'sales director two levels up', key: 'liming', tenant: () => org, sees: true, manages: true },
  { label: 'other team lead', key: 'zhaolei', tenant: () => org, sees: false, manages: true },
  { label: 'admin (all)', key: 'wangjianguo', tenant: () => org, sees: true, manages: true },
  { label: 'admin of another tenant', key: 'wangjianguo', tenant: () => other, sees: false, manages: true },
]

interface Call {
  name: string
  method: string
  path: (id: string) => string
  body?: (id: string) => unknown
  /** Status when the actor may see the customer (default 200). */
  ok?: (a: Actor) => number
}

const calls: Call[] = [
  { name: 'get', method: 'GET', path: (id) => `/customers/${id}` },
  { name: 'card', method: 'GET', path: (id) => `/customers/${id}/card` },
  { name: 'history', method: 'GET', path: (id) => `/customers/${id}/history` },
  { name: 'relations', method: 'GET', path: (id) => `/customers/${id}/relations` },
  { name: 'contacts', method: 'GET', path: (id) => `/customers/${id}/contacts` },
  { name: 'follow-ups', method: 'GET', path: (id) => `/customers/${id}/follow-ups` },
  { name: 'visits', method: 'GET', path: (id) => `/customers/${id}/visits` },
  { name: 'update', method: 'PATCH', path: (id) => `/customers/${id}`, body: () => ({ industry: '金融' }) },
  {
    name: 'link',
    method: 'POST',
    path: (id) => `/customers/${id}/relations`,
    body: () => ({ toCustomerId: poolId, kind: 'partner' }),
  },
  {
    name: 'add contact',
    method: 'POST',
    path: (id) => `/customers/${id}/contacts`,
    body: () => ({ name: '王经理' }),
  },
  {
    name: 'follow up',
    method: 'POST',
    path: (id) => `/customers/${id}/follow-ups`,
    body: () => ({ kind: 'call', content: '沟通' }),
  },
  {
    name: 'plan visit',
    method: 'POST',
    path: () => '/visits',
    body: (id) => ({ customerId: id, plannedAt: new Date(Date.now() + 3600_000).toISOString() }),
  },
  {
    name: 'check in',
    method: 'POST',
    path: () => '/visits/check-in',
    body: (id) => ({
      customerId: id,
      clientKey: `k-${Math.random()}`,
      checkedInAt: new Date().toISOString(),
      lat: 30,
      lng: 120,
    }),
  },
  { name: 'claim', method: 'POST', path: (id) => `/customers/${id}/claim`, ok: () => 409 },
  {
    name: 'extend',
    method: 'POST',
    path: (id) => `/customers/${id}/extend`,
    ok: (a) => (a.key === 'liuyang' ? 200 : 409),
  },
  {
    name: 'assign',
    method: 'POST',
    path: (id) => `/customers/${id}/assign`,
    body: () => ({ ownerId: org.users.yangfan }),
    ok: (a) => (a.manages ? 200 : 403),
  },
  { name: 'release', method: 'POST', path: (id) => `/customers/${id}/release` },
]

describe('CRM data scope on every route', () => {
  for (const actor of actors) {
    it(`${actor.label}: ${actor.sees ? 'works on the customer' : 'gets 404 everywhere, nothing leaks'}`, async () => {
      const name = `范围测试客户${Math.random().toString(36).slice(2, 8)}有限公司`
      const id = (
        await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name, lat: 30, lng: 120 } })
      ).id
      const headers = { ...(await bearer(actor.tenant(), actor.key)), 'content-type': 'application/json' }
      const search = await app.request(`/api/v1/crm/customers?q=${encodeURIComponent(name)}`, { headers })
      expect(((await search.json()) as { items: unknown[] }).items).toHaveLength(actor.sees ? 1 : 0)
      const nearby = await app.request('/api/v1/crm/nearby?lat=30&lng=120&limit=20', { headers })
      expect(JSON.stringify(await nearby.json()).includes(id)).toBe(actor.sees)
      for (const call of calls) {
        const res = await app.request(`/api/v1/crm${call.path(id)}`, {
          method: call.method,
          headers,
          ...(call.body ? { body: JSON.stringify(call.body(id)) } : {}),
        })
        const expected = actor.sees ? (call.ok?.(actor) ?? 200) : 404
        const text = await res.text()
        expect(res.status, `${call.name}: ${text}`).toBe(expected)
        if (!actor.sees) expect(text).not.toContain(name)
      }
    })
  }

  it('the visit map and visit photos follow the same matrix', async () => {
    const withPhotos = testApp(database, { storage: createMemoryStorage() }).app
    const rep = ctxAs(database, org, 'liuyang')
    const customer = await createCustomer({
      ctx: rep,
      input: { name: `地图范围客户${Math.random().toString(36).slice(2, 8)}有限公司`, lat: 30, lng: 120 },
    })
    const { visit } = await checkInVisit({
      ctx: rep,
      input: {
        customerId: customer.id,
        clientKey: `scope-map-${customer.id}`,
        checkedInAt: new Date().toISOString(),
        lat: 30,
        lng: 120,
      },
    })
    const uploaded = await withPhotos.request(`/api/v1/crm/visits/${visit.id}/photos?name=b.jpg`, {
      method: 'POST',
      headers: { ...(await bearer(org, 'liuyang')), 'content-type': 'image/jpeg' },
      body: new Uint8Array([0xff, 0xd8, 0xff]),
    })
    expect(uploaded.status).toBe(200)
    const photoName = ((await uploaded.json()) as { photos: Array<{ key: string }> }).photos[0]?.key
      .split('/')
      .pop()
    for (const actor of actors) {
      const headers = await bearer(actor.tenant(), actor.key)
      const map = await app.request('/api/v1/crm/visits/map', { headers })
      expect(map.status).toBe(200)
      expect(JSON.stringify(await map.json()).includes(visit.id), actor.label).toBe(actor.sees)
      const got = await withPhotos.request(`/api/v1/crm/visits/${visit.id}/photos/${photoName}`, { headers })
      expect(got.status, actor.label).toBe(actor.sees ? 200 : 404)
      await got.arrayBuffer()
    }
  })

  it('exports only what the caller may work on', async () => {
    const name = `导出测试客户${Math.random().toString(36).slice(2, 8)}有限公司`
    await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name } })
    for (const [key, sees] of [
      ['liuyang', true],
      ['chenjing', false],
      ['zhangwei', true],
    ] as const) {
      const res = await app.request('/api/v1/crm/export?entity=customers&format=csv', {
        headers: await bearer(org, key),
      })
      expect(res.status).toBe(200)
      expect((await res.text()).includes(name)).toBe(sees)
    }
  })

  it('documents every CRM route in the OpenAPI document', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, unknown> }
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/crm/'))
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/crm/customers',
        '/api/v1/crm/customers/{id}/card',
        '/api/v1/crm/customers/{id}/claim',
        '/api/v1/crm/visits/check-in',
        '/api/v1/crm/imports',
        '/api/v1/crm/export',
        '/api/v1/crm/rules',
        '/api/v1/crm/visits/map',
        '/api/v1/crm/visits/{id}/photos/{name}',
      ]),
    )
  })

  it('refuses without a session', async () => {
    const res = await app.request('/api/v1/crm/customers')
    expect(res.status).toBe(401)
  })
})
