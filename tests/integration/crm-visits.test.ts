import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addVisitPhoto } from '../../bot/domain/crm/add-visit-photo'
import { checkInVisit } from '../../bot/domain/crm/check-in-visit'
import { checkOutVisit } from '../../bot/domain/crm/check-out-visit'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { planVisit } from '../../bot/domain/crm/plan-visit'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { visits } from '../../db/schema'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant
let customerId: string
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
  const c = await createCustomer({
    ctx: ctxAs(database, org, 'liuyang'),
    input: { name: '上海浦东发展银行股份有限公司', districtCode: '310115', lat: 31.2304, lng: 121.4737 },
  })
  customerId = c.id
})
afterAll(async () => database.close())

const checkIn = async (body: Record<string, unknown>, who = 'liuyang') =>
  app.request('/api/v1/crm/visits/check-in', {
    method: 'POST',
    headers: { ...(await bearer(org, who)), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('checkInVisit', () => {
  it('accepts an offline check-in once, with its original time and location', async () => {
    const offlineAt = new Date(Date.now() - 3 * 3600_000).toISOString()
    const body = {
      customerId,
      clientKey: 'device-1-000001',
      checkedInAt: offlineAt,
      lat: 31.2305,
      lng: 121.4738,
    }
    const first = await checkIn(body)
    expect(first.status).toBe(200)
    const a = (await first.json()) as { visit: Record<string, unknown>; replayed: boolean }
    expect(a.replayed).toBe(false)
    expect(a.visit).toMatchObject({
      status: 'checked_in',
      checkInAt: offlineAt,
      checkInLat: 31.2305,
      checkInFlagged: false,
    })
    expect(Number(a.visit.checkInDistanceM)).toBeLessThan(50)
    // The device retries (it never saw the answer), even concurrently: one visit.
    const again = await Promise.all([checkIn(body), checkIn(body), checkIn({ ...body, lat: 0, lng: 0 })])
    for (const r of again) {
      expect(r.status).toBe(200)
      const b = (await r.json()) as { visit: Record<string, unknown>; replayed: boolean }
      expect(b).toMatchObject({
        replayed: true,
        visit: { id: a.visit.id, checkInAt: offlineAt, checkInLat: 31.2305 },
      })
    }
    const rows = await database.db.select().from(visits).where(eq(visits.customerId, customerId))
    expect(rows.filter((r) => r.clientKey === 'device-1-000001')).toHaveLength(1)
  })

  it('flags a check-in far from the customer beyond the tenant threshold', async () => {
    const res = await checkIn({
      customerId,
      clientKey: 'device-1-000002',
      checkedInAt: new Date().toISOString(),
      lat: 31.3,
      lng: 121.5,
    })
    const { visit } = (await res.json()) as { visit: { checkInFlagged: boolean; checkInDistanceM: number } }
    expect(visit.checkInFlagged).toBe(true)
    expect(visit.checkInDistanceM).toBeGreaterThan(7000)
  })

  it('refuses bad input with the field named and writes nothing', async () => {
    const base = {
      customerId,
      clientKey: 'device-1-bad-0001',
      checkedInAt: new Date().toISOString(),
      lat: 31.2,
      lng: 121.4,
    }
    for (const [patch, field] of [
      [{ lat: 95 }, 'lat'],
      [{ lng: 200 }, 'lng'],
      [{ clientKey: 'x' }, 'clientKey'],
      [{ checkedInAt: new Date(Date.now() + 3600_000).toISOString() }, 'checkedInAt'],
      [{ checkedInAt: 'yesterday' }, 'checkedInAt'],
    ] as const) {
      const res = await checkIn({ ...base, ...patch })
      expect(res.status, JSON.stringify(patch)).toBe(400)
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field)
    }
    // Someone else's key for another customer: 409; another rep's customer: 404.
    expect((await checkIn({ ...base, clientKey: 'device-1-000001', customerId: 'cus_nope' })).status).toBe(
      409,
    )
    expect((await checkIn({ ...base, clientKey: 'device-2-000001' }, 'huangli')).status).toBe(404)
    const rows = await database.db.select().from(visits).where(eq(visits.customerId, customerId))
    expect(rows).toHaveLength(2)
  })

  it('plans, checks in to the plan, adds a photo through the storage port and checks out', async () => {
    const rep = ctxAs(database, org, 'liuyang')
    const plan = await planVisit({
      ctx: rep,
      input: { customerId, plannedAt: new Date(Date.now() + 3600_000).toISOString(), purpose: '产品演示' },
    })
    const { visit } = await checkInVisit({
      ctx: rep,
      input: {
        customerId,
        visitId: plan.id,
        clientKey: 'device-1-000003',
        checkedInAt: new Date().toISOString(),
        lat: 31.2304,
        lng: 121.4737,
      },
    })
    expect(visit).toMatchObject({ id: plan.id, status: 'checked_in', purpose: '产品演示' })
    const storage = createMemoryStorage()
    const withPhoto = await addVisitPhoto({
      ctx: rep,
      storage,
      visitId: plan.id,
      file: { name: 'door.jpg', contentType: 'image/jpeg', data: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]) },
    })
    const key = withPhoto.photos[0]?.key ?? ''
    expect(key.startsWith(`${org.tenantId}/visits/${plan.id}/`)).toBe(true)
    expect((await storage.get(key))?.contentType).toBe('image/jpeg')
    await expect(
      addVisitPhoto({
        ctx: rep,
        storage,
        visitId: plan.id,
        file: { name: 'x.exe', contentType: 'application/x-msdownload', data: new Uint8Array([1]) },
      }),
    ).rejects.toMatchObject({ details: { field: 'file' } })
    const done = await checkOutVisit({
      ctx: rep,
      visitId: plan.id,
      input: { summary: '客户对方案满意，下周报价' },
    })
    expect(done).toMatchObject({ status: 'checked_out', summary: '客户对方案满意，下周报价' })
    await expect(checkOutVisit({ ctx: rep, visitId: plan.id, input: {} })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    await expect(
      checkOutVisit({ ctx: ctxAs(database, org, 'chenjing'), visitId: plan.id, input: {} }),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
  })
})
