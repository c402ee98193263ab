import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportRecords } from '../../bot/domain/crm/export-records'
import { createLead, listChannels } from '../../bot/domain/leads'
import { exportLeads } from '../../bot/domain/leads/list-leads'
import { setTenantSettings } from '../../bot/domain/org/time-zone'
import type { Database } from '../../db/client'
import { actingAs } from '../helpers/actors'
import { dayFromNow } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'

/** Files people open (CSV, XLSX) show times in the tenant's zone, as cards and the mini-app do (M5). */
let database: Database
let org: Awaited<ReturnType<typeof createTestTenant>>

// 07:30 in Beijing tomorrow: still today in UTC, and 15:30 today in Los Angeles.
const tomorrow = dayFromNow(1)
const at = new Date(`${tomorrow}T07:30:00+08:00`)
const utcDay = at.toISOString().slice(0, 10)
const clock = { now: () => at }

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database, { tenantKey: `export-times-${Date.now()}` })
  const ctx = actingAs(database, org, 'wangjianguo', 'api', clock)
  const channel = (await listChannels({ ctx })).find((c) => c.code === 'web_form')
  await createLead({
    ctx,
    input: { name: '时区线索', phone: '13700000077', company: '时区科技', channelId: channel?.id ?? '' },
  })
})
afterAll(async () => database?.close())

const leadsCsv = async () =>
  new TextDecoder().decode(
    await exportLeads({ ctx: actingAs(database, org, 'wangjianguo', 'api', clock), input: {} }),
  )

describe('times in exports', () => {
  it('writes the lead CSV and names the CRM file in Beijing time by default', async () => {
    expect(utcDay).not.toBe(tomorrow)
    const csv = await leadsCsv()
    expect(csv).toContain('创建时间（Asia/Shanghai）')
    expect(csv).toContain(`"${tomorrow} 07:30:00"`)
    expect(csv).not.toContain(utcDay)
    const file = await exportRecords({
      ctx: actingAs(database, org, 'wangjianguo', 'api', clock),
      entity: 'customers',
      format: 'xlsx',
    })
    expect(file.fileName).toBe(`customers-${tomorrow}.xlsx`)
  })

  it('follows the tenant’s zone once an admin sets it', async () => {
    const admin = actingAs(database, org, 'wangjianguo', 'api', clock)
    await setTenantSettings({ ctx: admin, input: { timeZone: 'America/Los_Angeles' } })
    const csv = await leadsCsv()
    expect(csv).toContain('创建时间（America/Los_Angeles）')
    expect(csv).toContain(`"${utcDay} 15:30:00"`)
    const file = await exportRecords({ ctx: admin, entity: 'customers', format: 'csv' })
    expect(file.fileName).toBe(`customers-${utcDay}.csv`)
  })
})
