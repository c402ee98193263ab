import type { z } from '@hono/zod-openapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runImport } from '../../bot/domain/crm/run-import'
import {
  CrmCheckIn,
  CrmContact,
  CrmCustomer,
  CrmCustomerCard,
  CrmCustomerHit,
  CrmCustomField,
  CrmFieldChange,
  CrmFollowUp,
  CrmImportJob,
  CrmNearbyCustomer,
  CrmRelationEdge,
  CrmRelationGraph,
  CrmRulesOut,
  CrmVisit,
  CrmVisitMap,
  itemsOf,
} from '../../bot/http/routes/crm-schemas'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

/**
 * Every CRM route answers exactly what its published response schema says: the real JSON parsed by the
 * schema comes back unchanged (a missing field fails the parse, an undeclared one is stripped and fails the
 * comparison). The mini-app's generated types rest on this.
 */
let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database, { storage: createMemoryStorage() }).app
})
afterAll(async () => database.close())

async function call<S extends z.ZodType>(
  schema: S,
  method: string,
  path: string,
  body?: unknown,
  who = 'zhangwei',
): Promise<z.infer<S>> {
  const headers: Record<string, string> = await bearer(org, who)
  let payload: BodyInit | undefined
  if (body instanceof Uint8Array) {
    headers['content-type'] = 'image/jpeg'
    payload = body as Uint8Array<ArrayBuffer>
  } else if (typeof body === 'string') {
    headers['content-type'] = 'text/csv'
    payload = body
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const res = await app.request(`/api/v1${path}`, { method, headers, ...(payload ? { body: payload } : {}) })
  const json: unknown = await res.json()
  expect(res.status, `${method} ${path}: ${JSON.stringify(json)}`).toBe(200)
  const parsed = schema.safeParse(json)
  expect(parsed.error?.issues ?? [], `${method} ${path}`).toEqual([])
  expect(parsed.data, `${method} ${path} answers fields its schema does not declare`).toEqual(json)
  return parsed.data as z.infer<S>
}

describe('CRM responses match their published schemas', () => {
  it('every route, with every optional part filled', async () => {
    await call(
      CrmCustomField,
      'POST',
      '/crm/custom-fields',
      { key: 'budget', label: '预算', type: 'number' },
      'wangjianguo',
    )
    await call(itemsOf(CrmCustomField, 'x'), 'GET', '/crm/custom-fields')
    await call(CrmRulesOut, 'GET', '/crm/rules')
    await call(
      CrmRulesOut,
      'PUT',
      '/crm/rules',
      {
        reclaimAfterDays: 30,
        warnDaysBefore: 3,
        extendDays: 7,
        reclaimCooldownDays: 7,
        claimLimit: 50,
        checkInFlagMeters: 500,
      },
      'wangjianguo',
    )
    const customer = await call(CrmCustomer, 'POST', '/crm/customers', {
      name: '契约测试网络科技有限公司',
      shortName: '契约',
      districtCode: '310115',
      lat: 31.23,
      lng: 121.47,
      tags: ['重点'],
      customFields: { budget: 100 },
    })
    const other = await call(CrmCustomer, 'POST', '/crm/customers', { name: '契约测试上游供应有限公司' })
    const id = customer.id
    await call(CrmCustomer, 'GET', `/crm/customers/${id}`)
    await call(CrmCustomer, 'PATCH', `/crm/customers/${id}`, { industry: '软件', version: customer.version })
    await call(itemsOf(CrmCustomerHit, 'x'), 'GET', '/crm/customers?q=qiyue')
    await call(itemsOf(CrmFieldChange, 'x'), 'GET', `/crm/customers/${id}/history`)
    const contact = await call(CrmContact, 'POST', `/crm/customers/${id}/contacts`, {
      name: '钱多多',
      phone: '13800001111',
      email: 'qian@example.com',
      decisionRole: 'decision_maker',
    })
    await call(itemsOf(CrmContact, 'x'), 'GET', `/crm/customers/${id}/contacts`)
    await call(CrmFollowUp, 'POST', `/crm/customers/${id}/follow-ups`, {
      kind: 'call',
      content: '电话沟通需求',
      contactId: contact.id,
      nextFollowUpAt: new Date(Date.now() + 86_400_000).toISOString(),
    })
    await call(itemsOf(CrmFollowUp, 'x'), 'GET', `/crm/customers/${id}/follow-ups`)
    await call(CrmRelationEdge, 'POST', `/crm/customers/${id}/relations`, {
      toCustomerId: other.id,
      kind: 'supplier',
      note: '主要供应商',
    })
    await call(CrmRelationGraph, 'GET', `/crm/customers/${id}/relations`)
    const plan = await call(CrmVisit, 'POST', '/crm/visits', {
      customerId: id,
      plannedAt: new Date(Date.now() + 3600_000).toISOString(),
      purpose: '演示',
    })
    const checkIn = await call(CrmCheckIn, 'POST', '/crm/visits/check-in', {
      customerId: id,
      visitId: plan.id,
      clientKey: 'contract-device-0001',
      checkedInAt: new Date().toISOString(),
      lat: 31.23,
      lng: 121.47,
    })
    await call(
      CrmVisit,
      'POST',
      `/crm/visits/${checkIn.visit.id}/photos?name=door.jpg`,
      new Uint8Array([0xff, 0xd8, 0xff]),
    )
    await call(CrmVisit, 'POST', `/crm/visits/${checkIn.visit.id}/check-out`, { summary: '顺利' })
    await call(itemsOf(CrmVisit, 'x'), 'GET', `/crm/customers/${id}/visits`)
    const map = await call(CrmVisitMap, 'GET', '/crm/visits/map')
    expect(map.items.map((v) => v.id)).toContain(checkIn.visit.id)
    await call(itemsOf(CrmNearbyCustomer, 'x'), 'GET', '/crm/nearby?lat=31.23&lng=121.47')
    const card = await call(CrmCustomerCard, 'GET', `/crm/customers/${id}/card`)
    expect(card.contacts).toHaveLength(1)
    expect(card.followUps[0]?.author?.name).toBeTruthy()
    expect(card.visits[0]?.photos).toHaveLength(1)
    await call(CrmCustomer, 'POST', `/crm/customers/${id}/release`)
    await call(CrmCustomer, 'POST', `/crm/customers/${id}/assign`, { ownerId: org.users.liuyang })
    const job = await call(
      CrmImportJob,
      'POST',
      '/crm/imports?entity=customers&format=csv&name=c.csv',
      '客户名称,区县代码\r\n契约导入有限公司,310115\r\n坏行有限公司,999999\r\n',
    )
    await runImport({ ctx: ctxAs(database, org, 'zhangwei'), jobId: job.id })
    const done = await call(CrmImportJob, 'GET', `/crm/imports/${job.id}`)
    expect(done).toMatchObject({ status: 'done', okRows: 1, errorRows: 1 })
    expect(done.finishedAt).not.toBeNull()
  })
})
