import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { getHome } from '../../bot/domain/home'
import type { Database } from '../../db/client'
import type { testApp } from '../helpers/app'
import { dayFromNow } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { pendingTaskOf } from './approvals-harness'
import { bearer, type CrmTenant, crmTenant, ctxAs, DAY, fixedClock } from './crm-harness'
import { salesStack, simClock } from './sales-harness'

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']
let stack: Awaited<ReturnType<typeof salesStack>>

const call = async (key: string, method: string, path: string, body?: unknown) => {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await bearer(org, key)), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers loosely
  const json = (await res.json()) as any
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  stack = await salesStack(database, org.tenantId, simClock(new Date()))
  app = stack.app
})
afterAll(async () => {
  await stack.close()
  await database.close()
})

describe('home: my stalled deals and overdue 回款', () => {
  it('lists them for their owner only, once idle or overdue in the tenant\u2019s day', async () => {
    const customerId = (
      await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '华为' } })
    ).id
    const idle = await call('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 考勤',
      customerId,
      amountCents: 800_000,
      expectedCloseDate: dayFromNow(60),
    })
    const slipping = await call('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 OA',
      customerId,
      amountCents: 9_000_000,
      expectedCloseDate: dayFromNow(3),
    })
    await call('liuyang', 'POST', `/crm/opportunities/${slipping.id}/close`, { outcome: 'won' })
    const contract = await call('liuyang', 'POST', '/crm/contracts', {
      name: '华为 OA 合同',
      opportunityId: slipping.id,
    })
    await call('liuyang', 'PUT', `/crm/contracts/${contract.id}/instalments`, {
      instalments: [
        { dueDate: dayFromNow(5), amountCents: 3_000_000 },
        { dueDate: dayFromNow(40), amountCents: 6_000_000 },
      ],
    })
    const submitted = await call('liuyang', 'POST', `/crm/contracts/${contract.id}/submit`, {})
    const task = await pendingTaskOf(database, org, submitted.approval.id, 'zhangwei')
    await call('zhangwei', 'POST', `/approvals/tasks/${task.id}/approve`, { version: task.version })
    await stack.drain() // the contract follows the approval's outcome through the outbox
    expect((await call('liuyang', 'GET', `/crm/contracts/${contract.id}`)).contract.status).toBe('active')
    await call('liuyang', 'POST', '/crm/payments', {
      contractId: contract.id,
      amountCents: 1_000_000,
      receivedOn: dayFromNow(0),
      method: 'bank_transfer',
    })

    // Today nothing is due and nothing is idle.
    const today = await getHome({ ctx: ctxAs(database, org, 'liuyang') })
    expect(today.deals).toEqual([])
    expect(today.payments).toEqual([])

    // Twenty days on: the open deal has been idle for 20 days; the first instalment is 15 days overdue
    // with ¥20,000 of its ¥30,000 outstanding; the second is not due yet.
    const later = fixedClock(new Date(Date.now() + 20 * DAY))
    const home = await getHome({ ctx: ctxAs(database, org, 'liuyang', later) })
    expect(home.deals).toEqual([
      expect.objectContaining({ id: idle.id, idleDays: 20, stalled: true, closeDatePassed: false }),
    ])
    expect(home.payments).toEqual([
      expect.objectContaining({
        contract: { id: contract.id, number: contract.number, name: '华为 OA 合同' },
        customer: { id: customerId, name: '华为' },
        seq: 1,
        outstandingCents: 2_000_000,
        daysOverdue: 15,
      }),
    ])
    // A colleague's home shows none of it; the manager's neither (home is one's own to-dos).
    for (const key of ['chenjing', 'zhangwei']) {
      const theirs = await getHome({ ctx: ctxAs(database, org, key, later) })
      expect(theirs.deals).toEqual([])
      expect(theirs.payments).toEqual([])
    }
    // Paid in full: off the list.
    await call('liuyang', 'POST', '/crm/payments', {
      contractId: contract.id,
      amountCents: 2_000_000,
      receivedOn: dayFromNow(0),
      method: 'bank_transfer',
    })
    expect((await getHome({ ctx: ctxAs(database, org, 'liuyang', later) })).payments).toEqual([])
  })
})
