import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { auditLog, customerValues } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'
import { apiCall, salesStack, simClock } from './sales-harness'

let database: Database
let org: CrmTenant
let stack: Awaited<ReturnType<typeof salesStack>>
let customerId: string
const call = (key: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.app, org, key, method, path, body)
const value = async () =>
  (
    await database.db
      .select()
      .from(customerValues)
      .where(and(eq(customerValues.tenantId, org.tenantId), eq(customerValues.customerId, customerId)))
  )[0]

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  stack = await salesStack(database, org.tenantId, simClock())
  customerId = (
    await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '华为技术有限公司' } })
  ).id
})
afterAll(async () => {
  await stack?.close()
  await database?.close()
})

describe('PUT /crm/customers/{id}/value-tier', () => {
  it('lets a CRM manager set a tier with a reason, audited, and clear it again', async () => {
    const set = await call('zhangwei', 'PUT', `/crm/customers/${customerId}/value-tier`, {
      tier: 'A',
      reason: '战略客户，明年续约大单',
    })
    expect(set.status).toBe(200)
    expect(set.body).toEqual({ customerId, tier: 'A', reason: '战略客户，明年续约大单' })
    expect(await value()).toMatchObject({ overrideTier: 'A', overrideReason: '战略客户，明年续约大单' })
    const audit = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.action, 'sales.customer_value.override')))
    expect(audit).toHaveLength(1)

    const cleared = await call('zhangwei', 'PUT', `/crm/customers/${customerId}/value-tier`, { tier: null })
    expect(cleared.status).toBe(200)
    expect(await value()).toMatchObject({ overrideTier: null, overrideReason: null })
  })

  it('refuses a tier without a reason, a bad tier and a rep without crm.manage, changing nothing', async () => {
    const noReason = await call('zhangwei', 'PUT', `/crm/customers/${customerId}/value-tier`, { tier: 'B' })
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.field).toBe('reason')
    const bad = await call('zhangwei', 'PUT', `/crm/customers/${customerId}/value-tier`, {
      tier: 'S',
      reason: 'x',
    })
    expect(bad.status).toBe(400)
    const rep = await call('liuyang', 'PUT', `/crm/customers/${customerId}/value-tier`, {
      tier: 'A',
      reason: '我觉得很重要',
    })
    expect(rep.status).toBe(403)
    expect((await value())?.overrideTier ?? null).toBeNull()
    const missing = await call('zhangwei', 'PUT', '/crm/customers/cus_missing/value-tier', {
      tier: 'A',
      reason: '不存在',
    })
    expect(missing.status).toBe(404)
  })
})
