import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { shiftTenantTimes } from '../../db/shift-times'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

/**
 * A new embedded database is made from the demo template built at install time; its times are then moved
 * to the present (`shiftTenantTimes`), so the demo looks seeded now. Checked on a real database: every time
 * column of the tenant moves (append-only tables included), dates by whole days, other tenants stay.
 */
let database: Database
let org: CrmTenant
let other: CrmTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  other = await crmTenant(database)
  for (const t of [org, other])
    await createCustomer({ ctx: ctxAs(database, t, 'liuyang'), input: { name: `时间平移客户${t.tenantId}` } })
})
afterAll(async () => database?.close())

const times = async (tenantId: string) =>
  (
    await database.rows<{ customer: Date; audit: Date; tenant: Date }>(
      sql`select (select min(created_at) from crm_customers where tenant_id = ${tenantId}) as customer,
                 (select min(at) from audit_log where tenant_id = ${tenantId}) as audit,
                 (select created_at from tenants where id = ${tenantId}) as tenant`,
    )
  )[0] as { customer: Date; audit: Date; tenant: Date }

describe('the demo template moved to the present', () => {
  it('moves every time of the tenant by the template age, and nothing of other tenants', async () => {
    const before = await times(org.tenantId)
    const untouched = await times(other.tenantId)
    const age = 3 * 86_400_000 + 5_000
    await shiftTenantTimes(database, org.tenantId, age)
    const after = await times(org.tenantId)
    for (const k of ['customer', 'audit', 'tenant'] as const)
      expect(new Date(after[k]).getTime() - new Date(before[k]).getTime()).toBe(age)
    expect(await times(other.tenantId)).toEqual(untouched)
  })
})
