import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startInstance } from '../../bot/domain/approvals/start-instance'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { notices } from '../../db/schema'
import { seedApprovalTemplates } from '../../db/seed/approvals'
import { seedNotices } from '../../db/seed/notices'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs } from '../helpers/actors'
import { type CardSampleRecords, createSalesSamples, renderEveryCard } from '../helpers/card-samples'
import { dayFromNow } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'

/** Every card shows times in China time: 07:30 in Beijing is still the previous day in UTC. */
let database: Database
let org: SeededOrg
let records: CardSampleRecords

// 07:30 Beijing time tomorrow (23:30 UTC today): a date shown in UTC would be a day early.
const tomorrow = dayFromNow(1)
const at = new Date(`${tomorrow}T07:30:00+08:00`)
const utcDay = at.toISOString().slice(0, 10)
const clock = { now: () => at }

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database, { tenantKey: `card-times-${Date.now()}` })
  await seedApprovalTemplates(database.db, org)
  await seedNotices(database.db, org)
  const ctx = actingAs(database, org, 'liuyang', 'api', clock)
  const customer = await createCustomer({ ctx, input: { name: '华东精密机械有限公司' } })
  const view = await startInstance({
    ctx,
    input: {
      templateKey: 'expense',
      form: { category: 'travel', amount: 120_00, date: dayFromNow(-1), description: '打车' },
    },
  })
  const [notice] = await database.db
    .select({ id: notices.id })
    .from(notices)
    .where(eq(notices.tenantId, org.tenantId))
    .limit(1)
  if (!notice) throw new Error('no seeded notice')
  records = {
    customerId: customer.id,
    customerName: customer.name,
    approvalId: view.instance.id,
    templateKey: 'expense',
    noticeId: notice.id,
    ...(await createSalesSamples(ctx, customer.id)),
  }
})
afterAll(async () => database?.close())

describe('times on cards', () => {
  it('shows every card type’s dates in Beijing time at 07:30 there', async () => {
    expect(utcDay).not.toBe(tomorrow)
    for (const locale of ['zh-CN', 'en'] as const) {
      const cards = await renderEveryCard(
        actingAs(database, org, 'liuyang', 'api', clock),
        records,
        locale,
        at,
      )
      const withDates: string[] = []
      for (const [name, card] of Object.entries(cards)) {
        // What the reader sees: button payloads (machine data, ISO times) left out.
        const text = JSON.stringify(card, (key, value) => (key === 'action' ? undefined : value))
        expect(text, `${name} shows the UTC date`).not.toContain(utcDay)
        expect(text, `${name} shows the UTC date`).not.toContain(utcDay.slice(5))
        if (text.includes(tomorrow) || text.includes(`${tomorrow.slice(5)} 07:30`)) withDates.push(name)
      }
      // The cards that show a time at all show the Beijing one.
      expect(withDates).toEqual(
        expect.arrayContaining(['noticeChatCard', 'noticeListCard', 'poolWarningCard', 'approvalTodoCard']),
      )
    }
  })
})
