import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { customers } from '../../db/schema'
import { fakeGeocoder } from '../fakes/geocoder'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant } from './crm-harness'

let database: Database
let org: CrmTenant
const geocoder = fakeGeocoder()
let withMaps: ReturnType<typeof testApp>['app']
let withoutMaps: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  withMaps = testApp(database, { geocoder }).app
  withoutMaps = testApp(database).app
})
afterAll(async () => database.close())

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read field by field in assertions
type Json = Record<string, any>

const call = async (
  app: typeof withMaps,
  method: string,
  path: string,
  body?: unknown,
  who = 'liuyang',
): Promise<{ status: number; json: Json }> => {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await bearer(org, who)), 'content-type': 'application/json', 'accept-language': 'zh-CN' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: (await res.json()) as Json }
}

describe('address lookup through the geocoder port', () => {
  it('says whether a map service is configured, and refuses lookups without one (409 naming the field)', async () => {
    expect((await call(withoutMaps, 'GET', '/crm/geocode/status')).json).toEqual({ configured: false })
    expect((await call(withMaps, 'GET', '/crm/geocode/status')).json).toEqual({ configured: true })
    const none = await call(withoutMaps, 'GET', `/crm/geocode?address=${encodeURIComponent('世纪大道100号')}`)
    expect(none.status).toBe(409)
    expect(none.json.error).toMatchObject({ code: 'conflict', field: 'address' })
    expect(none.json.error.message).toContain('未配置地图服务')
  })

  it('finds an address, narrows by city, answers 404 for an unknown one and 400 for a blank one', async () => {
    const hit = await call(
      withMaps,
      'GET',
      `/crm/geocode?address=${encodeURIComponent('浦东 世纪大道100号')}&city=上海`,
    )
    expect(hit.status).toBe(200)
    expect(hit.json).toEqual({
      lat: 31.234567,
      lng: 121.507654,
      address: '上海市浦东新区世纪大道100号',
      districtCode: '310115',
    })
    const otherCity = await call(
      withMaps,
      'GET',
      `/crm/geocode?address=${encodeURIComponent('世纪大道100号')}&city=北京`,
    )
    expect(otherCity.status).toBe(404)
    const byCode = await call(
      withMaps,
      'GET',
      `/crm/geocode?address=${encodeURIComponent('世纪大道100号')}&city=310100`,
    )
    expect(byCode.json.districtCode).toBe('310115')
    expect(otherCity.json.error).toMatchObject({ code: 'not_found', field: 'address' })
    const blank = await call(withMaps, 'GET', '/crm/geocode?address=%20')
    expect(blank.status).toBe(400)
    expect(JSON.stringify(blank.json.error)).toContain('address')
  })

  it('turns a map-service outage into a 503 with advice, not a 500', async () => {
    geocoder.failing = true
    try {
      const down = await call(withMaps, 'GET', `/crm/geocode?address=${encodeURIComponent('中关村大街1号')}`)
      expect(down.status).toBe(503)
      expect(down.json.error.message).toContain('使用当前位置')
    } finally {
      geocoder.failing = false
    }
  })
})

describe('a new customer with region and location', () => {
  it('is created with the looked-up point, and a check-in there measures the distance and names the address', async () => {
    const found = await call(withMaps, 'GET', `/crm/geocode?address=${encodeURIComponent('深南大道6008号')}`)
    const created = await call(withMaps, 'POST', '/crm/customers', {
      name: '深圳福田新客户科技有限公司',
      districtCode: found.json.districtCode,
      address: found.json.address,
      lat: found.json.lat,
      lng: found.json.lng,
    })
    expect(created.status).toBe(200)
    expect(created.json).toMatchObject({
      provinceCode: '440000',
      cityCode: '440300',
      districtCode: '440304',
      region: expect.stringContaining('福田区'),
      lat: 22.540503,
      lng: 114.064621,
    })
    // 40 m away, no address from the device: the geocoder names the place.
    const near = await call(withMaps, 'POST', '/crm/visits/check-in', {
      customerId: created.json.id,
      clientKey: 'loc-test-000001',
      checkedInAt: new Date().toISOString(),
      lat: 22.5408,
      lng: 114.0648,
    })
    expect(near.status).toBe(200)
    expect(near.json.visit.checkInDistanceM).toBeGreaterThan(20)
    expect(near.json.visit.checkInDistanceM).toBeLessThan(60)
    expect(near.json.visit.checkInFlagged).toBe(false)
    expect(near.json.visit.checkInAddress).toBe('广东省深圳市福田区深南大道6008号')
    // The customer card says who made each visit (a manager reading a rep's visits sees the name).
    const card = await call(withMaps, 'GET', `/crm/customers/${created.json.id}/card`, undefined, 'zhangwei')
    expect(card.status).toBe(200)
    expect(card.json.visits[0]).toMatchObject({
      id: near.json.visit.id,
      visitor: { id: expect.any(String), name: '刘洋' },
      checkInAddress: '广东省深圳市福田区深南大道6008号',
    })
  })

  it('keeps a check-in when reverse lookup fails or no map service exists (no address, still a distance)', async () => {
    const created = await call(withoutMaps, 'POST', '/crm/customers', {
      name: '北京海淀现场定位有限公司',
      provinceCode: '110000',
      cityCode: '110100',
      districtCode: '110108',
      lat: 39.983424,
      lng: 116.314962,
    })
    expect(created.status).toBe(200)
    geocoder.failing = true
    try {
      const r = await call(withMaps, 'POST', '/crm/visits/check-in', {
        customerId: created.json.id,
        clientKey: 'loc-test-000002',
        checkedInAt: new Date().toISOString(),
        lat: 39.9835,
        lng: 116.315,
      })
      expect(r.status).toBe(200)
      expect(r.json.visit.checkInAddress).toBeNull()
      expect(r.json.visit.checkInDistanceM).toBeLessThan(20)
    } finally {
      geocoder.failing = false
    }
  })

  it('refuses a district outside the given city, naming the field, and writes nothing', async () => {
    const before = await database.db
      .select()
      .from(customers)
      .where(and(eq(customers.tenantId, org.tenantId), eq(customers.name, '错配地区有限公司')))
    const bad = await call(withMaps, 'POST', '/crm/customers', {
      name: '错配地区有限公司',
      cityCode: '310100',
      districtCode: '440304',
      lat: 22.5,
      lng: 114.06,
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.field).toBe('districtCode')
    const after = await database.db
      .select()
      .from(customers)
      .where(and(eq(customers.tenantId, org.tenantId), eq(customers.name, '错配地区有限公司')))
    expect(after).toHaveLength(before.length)
  })
})
