import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { type Database, openDatabase, pgliteTemplatePath } from '../../db/client'
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

describe('the demo template built at install time', () => {
  const template = pgliteTemplatePath('demo')
  it.skipIf(!existsSync(template) && !process.env.CI)(
    'was filled no earlier than any row it holds was written, so moved to the present none is ahead of now',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fc-demo-template-'))
      const demo = await openDatabase({ dataDir: join(dir, 'pglite'), template: 'demo' })
      try {
        expect(demo.filledAt).toBeInstanceOf(Date)
        const columns = await demo.rows<{ table_name: string }>(
          sql`select table_name from information_schema.columns
               where table_schema = 'public' and column_name = 'created_at'
                 and data_type = 'timestamp with time zone'`,
        )
        const latest = await demo.rows<{ at: Date | string | null }>(
          sql.raw(
            `select max(at) as at from (${columns
              .map((c) => `select max(created_at) as at from "${c.table_name}"`)
              .join(' union all ')}) t`,
          ),
        )
        const at = latest[0]?.at
        expect(at).not.toBeNull()
        expect(new Date(at as string).getTime()).toBeLessThanOrEqual(demo.filledAt?.getTime() ?? 0)
      } finally {
        await demo.close()
        rmSync(dir, { recursive: true, force: true })
      }
    },
    120_000,
  )
})
