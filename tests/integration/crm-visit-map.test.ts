import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkInVisit } from '../../bot/domain/crm/check-in-visit'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { planVisit } from '../../bot/domain/crm/plan-visit'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs, DAY } from './crm-harness'

/** The managers' visit map: checked-in visits with coordinates in a period, by the visitor's data scope. */
let database: Database
let org: CrmTenant
let other: CrmTenant
let app: ReturnType<typeof testApp>['app']
const visitOf: Record<string, string> = {}
const now = Date.now()

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  other = await crmTenant(database)
  app = testApp(database).app
  const visit = async (label: string, who: string, name: string, at: number, lat: number, lng: number) => {
    const ctx = ctxAs(database, org, who)
    const customer = await createCustomer({ ctx, input: { name, lat, lng } })
    const { visit } = await checkInVisit({
      ctx,
      input: {
        customerId: customer.id,
        clientKey: `map-${label}-0001`,
        checkedInAt: new Date(at).toISOString(),
        lat,
        lng,
      },
    })
    visitOf[label] = visit.id
    return customer.id
  }
  const eastCustomer = await visit(
    'east',
    'liuyang',
    '地图测试上海客户有限公司',
    now - DAY,
    31.2304,
    121.4737,
  )
  await visit('east_old', 'chenjing', '地图测试苏州客户有限公司', now - 10 * DAY, 31.2989, 120.5853)
  await visit('north', 'huangli', '地图测试北京客户有限公司', now - 2 * DAY, 39.9042, 116.4074)
  await visit('director', 'liming', '地图测试广州客户有限公司', now - 3 * DAY, 23.1291, 113.2644)
  // Planned but never checked in: not on the map.
  await planVisit({
    ctx: ctxAs(database, org, 'liuyang'),
    input: { customerId: eastCustomer, plannedAt: new Date(now + DAY).toISOString() },
  })
})
afterAll(async () => database.close())

async function map(who: string, query: Record<string, string> = {}, tenant: CrmTenant = org) {
  const res = await app.request(`/api/v1/crm/visits/map?${new URLSearchParams(query)}`, {
    headers: await bearer(tenant, who),
  })
  const body = (await res.json()) as {
    items?: Array<{ id: string; lat: number; lng: number; user: { name: string }; customerName: string }>
    truncated?: boolean
    error?: { field?: string }
  }
  const labels = (body.items ?? [])
    .map((v) => Object.entries(visitOf).find(([, id]) => id === v.id)?.[0])
    .filter((l): l is string => Boolean(l))
  return { status: res.status, labels, body }
}

describe('visit map', () => {
  it.each([
    ['admin sees everyone, newest first', 'wangjianguo', ['east', 'north', 'director']],
    ['sales director sees the whole sales tree', 'liming', ['east', 'north', 'director']],
    ['east team lead sees the east team', 'zhangwei', ['east']],
    ['north team lead sees the north team', 'zhaolei', ['north']],
    ['a rep sees their own visits', 'liuyang', ['east']],
    ['a colleague with self scope sees none of the others', 'chenjing', []],
    ['marketing (department scope) sees no sales visits', 'xuna', []],
  ])('%s (last 7 days by default)', async (_label, who, expected) => {
    const r = await map(who)
    expect(r.status).toBe(200)
    expect(r.labels).toEqual(expected)
  })

  it('returns the check-in point, the visitor and the customer', async () => {
    const r = await map('zhangwei')
    expect(r.body.items?.[0]).toMatchObject({
      lat: 31.2304,
      lng: 121.4737,
      user: { name: '刘洋' },
      customerName: '地图测试上海客户有限公司',
    })
  })

  it('takes a period, a person and a limit', async () => {
    const from = new Date(now - 15 * DAY).toISOString()
    expect((await map('zhangwei', { from })).labels).toEqual(['east', 'east_old'])
    const to = new Date(now - 5 * DAY).toISOString()
    expect((await map('wangjianguo', { from, to })).labels).toEqual(['east_old'])
    expect((await map('wangjianguo', { userId: org.users.huangli ?? '' })).labels).toEqual(['north'])
    // A person outside the caller's scope yields nothing, not their visits.
    expect((await map('zhangwei', { userId: org.users.huangli ?? '' })).labels).toEqual([])
    const limited = await map('wangjianguo', { limit: '2' })
    expect(limited.labels).toEqual(['east', 'north'])
    expect(limited.body.truncated).toBe(true)
  })

  it('shows nothing of another tenant', async () => {
    expect((await map('wangjianguo', {}, other)).labels).toEqual([])
  })

  it.each([
    [{ from: 'yesterday' }, 'from'],
    [{ from: new Date(now).toISOString(), to: new Date(now - DAY).toISOString() }, 'from'],
    [{ from: new Date(now - 100 * DAY).toISOString() }, 'from'],
    [{ limit: '5000' }, 'limit'],
  ])('refuses a bad period naming the field: %o', async (query, field) => {
    const r = await map('wangjianguo', query)
    expect(r.status).toBe(400)
    expect(r.body.error?.field).toBe(field)
  })
})
