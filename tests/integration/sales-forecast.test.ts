import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { getCustomerCard } from '../../bot/domain/crm/get-customer-card'
import {
  changeStage,
  closeOpportunity,
  createOpportunity,
  getForecast,
  listCloseReasons,
  listStageSets,
} from '../../bot/domain/opportunities'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, fixedClock } from './crm-harness'
import { apiCall } from './sales-harness'

let database: Database
let org: CrmTenant
let customerId = ''
// A fixed "now" so the months are known: 2026-06-10 China time.
const now = new Date('2026-06-10T04:00:00Z')
const clock = fixedClock(now)
const as = (key: string) => ctxAs(database, org, key, clock)

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  customerId = (await createCustomer({ ctx: as('liuyang'), input: { name: '预测客户有限公司' } })).id
  const stages = (await listStageSets({ ctx: as('liuyang') }))[0]?.stages ?? []
  const stage = (name: string) => stages.find((s) => s.name === name)?.id ?? ''
  const make = async (key: string, name: string, amount: number, close: string, stageName?: string) => {
    const o = await createOpportunity({
      ctx: as(key),
      input: {
        name,
        customerId:
          key === 'liuyang'
            ? customerId
            : (await createCustomer({ ctx: as(key), input: { name: `${name}客户` } })).id,
        amountCents: amount,
        expectedCloseDate: close,
      },
    })
    if (stageName)
      await changeStage({ ctx: as(key), opportunityId: o.id, input: { stageId: stage(stageName) } })
    return o
  }
  await make('liuyang', 'A', 1_000_000, '2026-06-20') // 初步接洽 10 % pipeline
  await make('liuyang', 'B', 2_000_000, '2026-06-25', '谈判审核') // 70 % commit
  await make('chenjing', 'C', 4_000_000, '2026-07-05', '方案报价') // 50 % best case
  const won = await make('liuyang', 'D', 3_000_000, '2026-07-10')
  await closeOpportunity({ ctx: as('liuyang'), opportunityId: won.id, input: { outcome: 'won' } })
  const lost = await make('liuyang', 'E', 9_000_000, '2026-06-15')
  const reason = (await listCloseReasons({ ctx: as('liuyang') })).find((r) => r.kind === 'lost')?.id
  await closeOpportunity({
    ctx: as('liuyang'),
    opportunityId: lost.id,
    input: { outcome: 'lost', reasonId: reason ?? '' },
  })
  await make('liuyang', 'F', 5_000_000, '2027-01-15') // outside the default window
})
afterAll(async () => database?.close())

describe('forecast', () => {
  it('weights open deals by probability per month, splits by category, counts won, excludes lost', async () => {
    const f = await getForecast({ ctx: as('wangjianguo') })
    expect([f.from, f.to]).toEqual(['2026-06-01', '2026-11-30'])
    expect(f.rows.map((r) => r.key)).toEqual(['2026-06', '2026-07'])
    expect(f.rows[0]).toMatchObject({
      count: 2,
      amountCents: 3_000_000,
      weightedCents: 100_000 + 1_400_000,
      commitCents: 2_000_000,
      pipelineCents: 1_000_000,
      wonCents: 0,
    })
    expect(f.rows[1]).toMatchObject({
      count: 2,
      weightedCents: 2_000_000 + 3_000_000,
      bestCaseCents: 4_000_000,
      wonCents: 3_000_000,
    })
  })

  it('by owner and for a department, within the caller’s scope', async () => {
    const byOwner = await getForecast({ ctx: as('wangjianguo'), input: { groupBy: 'owner' } })
    expect(byOwner.rows.map((r) => r.label).sort()).toEqual(['刘洋', '陈静'].sort())
    const mine = await getForecast({ ctx: as('chenjing') })
    expect(mine.total).toMatchObject({ count: 1, amountCents: 4_000_000 })
    const byDept = await getForecast({ ctx: as('wangjianguo'), input: { groupBy: 'department' } })
    expect(byDept.rows).toHaveLength(1)
    const bad = await apiCall(testApp(database).app, org, 'wangjianguo', 'GET', '/crm/forecast?groupBy=team')
    expect([bad.status, bad.body.error.field]).toEqual([400, 'groupBy'])
  })

  it('the customer card shows its deals and they join the timeline', async () => {
    const card = await getCustomerCard({ ctx: as('liuyang'), customerId })
    expect(card.opportunities.map((o) => o.name).sort()).toEqual(['A', 'B', 'D', 'E', 'F'])
    expect(card.timeline.some((e) => e.kind === 'opportunity')).toBe(true)
    const res = await apiCall(
      testApp(database).app,
      org,
      'liuyang',
      'GET',
      `/crm/customers/${customerId}/card`,
    )
    expect(res.status).toBe(200)
    expect(res.body.opportunities).toHaveLength(5)
  })
})
