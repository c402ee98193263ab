import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import { customers, followUps, visits } from '../../db/schema'
import { demoSeeders } from '../../db/seed/demo'
import type { SeededOrg } from '../../db/seed/org'
import { testApp } from '../helpers/app'
import { dayFromNow as D } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

let database: Database
let org: SeededOrg
beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  await database.db.transaction(async (tx) => {
    for (const seed of demoSeeders) await seed(tx, org)
  })
})
afterAll(async () => database.close())

interface Home {
  approvals: Array<{ id: string; title: string; initiator: { name: string } }>
  followups: Array<{ customer: { name: string }; summary: string }>
  visits: Array<{ customer: { name: string } }>
  notices: Array<{ title: string }>
}

describe('GET /api/v1/home', () => {
  it("gathers today's approvals, follow-ups, visits and unread notices for the caller only", async () => {
    const { app } = testApp(database)
    const rep = org.users.liuyang ?? ''
    const [customer] = await database.db
      .select({ id: customers.id, name: customers.name })
      .from(customers)
      .where(eq(customers.tenantId, org.tenantId))
      .limit(1)
    const customerId = customer?.id ?? ''
    const now = new Date()
    await database.db.insert(followUps).values([
      {
        id: newId('fu'),
        tenantId: org.tenantId,
        customerId,
        authorId: rep,
        kind: 'call',
        content: '确认报价',
        nextFollowUpAt: now,
      },
      {
        id: newId('fu'),
        tenantId: org.tenantId,
        customerId,
        authorId: org.users.chenjing ?? '',
        kind: 'call',
        content: '别人的',
        nextFollowUpAt: now,
      },
    ])
    await database.db
      .insert(visits)
      .values({ id: newId('vis'), tenantId: org.tenantId, customerId, userId: rep, plannedAt: now })
    const repHeaders = await sessionHeader(org.tenantId, rep)
    const started = await app.request('/api/v1/approvals/instances', {
      method: 'POST',
      headers: { ...repHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({
        templateKey: 'expense',
        form: { category: 'travel', amount: 12000, date: D(-3), description: '上海出差' },
      }),
    })
    expect(started.status).toBe(201)

    const repHome = (await (await app.request('/api/v1/home', { headers: repHeaders })).json()) as Home
    expect(repHome.followups.map((f) => f.summary)).toEqual(['确认报价'])
    expect(repHome.visits.map((v) => v.customer.name)).toEqual([customer?.name])
    expect(repHome.approvals).toEqual([])
    expect(repHome.notices.length).toBeGreaterThan(0)

    const manager = await sessionHeader(org.tenantId, org.users.zhangwei ?? '')
    const managerHome = (await (await app.request('/api/v1/home', { headers: manager })).json()) as Home
    expect(managerHome.approvals).toHaveLength(1)
    expect(managerHome.approvals[0]?.initiator.name).toBe('刘洋')
    expect(managerHome.followups).toEqual([])
  })

  it('requires a session', async () => {
    const { app } = testApp(database)
    expect((await app.request('/api/v1/home')).status).toBe(401)
  })
})
