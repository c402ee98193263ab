import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listContracts } from '../../bot/domain/contracts'
import { listOpportunities } from '../../bot/domain/opportunities'
import { scanOverdue } from '../../bot/domain/payments'
import type { Database } from '../../db/client'
import { products } from '../../db/schema'
import { seedCrm } from '../../db/seed/crm'
import { seedSales } from '../../db/seed/sales'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, systemCtx } from './crm-harness'

let database: Database
let org: CrmTenant
beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  await database.db.transaction(async (tx) => {
    await seedCrm(tx, org)
    await seedSales(tx, org)
  })
})
afterAll(async () => database?.close())

describe('demo sales seed', () => {
  it('gives the demo company products, deals at every stage, an active contract with an overdue 回款', async () => {
    expect(await database.db.select().from(products).where(eq(products.tenantId, org.tenantId))).toHaveLength(
      4,
    )
    const deals = await listOpportunities({
      ctx: ctxAs(database, org, 'wangjianguo'),
      input: { status: 'all', limit: 50 },
    })
    expect(new Set(deals.map((d) => d.stage.name))).toEqual(
      new Set(['初步接洽', '需求确认', '方案报价', '谈判审核', '赢单', '输单']),
    )
    const active = await listContracts({
      ctx: ctxAs(database, org, 'wangjianguo'),
      input: { status: 'active' },
    })
    expect(active).toHaveLength(1)
    expect((await scanOverdue({ ctx: systemCtx(database, org) })).found).toBe(1)
  })
})
