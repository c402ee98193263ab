import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getHome } from '../../bot/domain/home/get-home'
import { analyseChannels } from '../../bot/domain/leads/analyse-channels'
import { chinaDay } from '../../bot/domain/leads/rollup'
import type { Database } from '../../db/client'
import { seedLeads } from '../../db/seed/leads'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, DAY } from './crm-harness'

let database: Database
let org: CrmTenant

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  await database.db.transaction((tx) => seedLeads(tx, org))
}, 120_000)
afterAll(async () => database.close())

describe('demo leads', () => {
  it('give the channel analysis real figures for the last months, with costs', async () => {
    const now = new Date()
    const a = await analyseChannels({
      ctx: ctxAs(database, org, 'wangjianguo'),
      input: { from: chinaDay(new Date(now.getTime() - 130 * DAY)), to: chinaDay(now) },
    })
    expect(a.total.leads).toBeGreaterThanOrEqual(110)
    expect(a.total.converted).toBeGreaterThan(5)
    expect(a.total.costCents).toBeGreaterThan(0)
    expect(a.rows.find((r) => r.channelName === '搜索广告')?.costPerLeadCents).toBeGreaterThan(0)
    expect(a.trend.length).toBeGreaterThan(10)
  })

  it('show a rep their own figures and their new leads on the home page', async () => {
    const ctx = ctxAs(database, org, 'liuyang')
    const now = new Date()
    const mine = await analyseChannels({
      ctx,
      input: { from: chinaDay(new Date(now.getTime() - 130 * DAY)), to: chinaDay(now) },
    })
    expect(mine.total.leads).toBeGreaterThan(0)
    expect(mine.total.costCents).toBeNull()
    const home = await getHome({ ctx })
    expect(Array.isArray(home.leads)).toBe(true)
  })
})
