import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { findCustomersElsewhere } from '../../bot/domain/crm/find-customers-elsewhere'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { waitFor } from '../helpers/wait'
import { bearer, type CrmTenant, crmTenant, ctxAs, outboxOf, say } from './crm-harness'

/** A rep searching for a colleague's customer learns it exists and whom to ask: name and owner only. */
let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
  await createCustomer({
    ctx: ctxAs(database, org, 'huangli'),
    input: { name: '中国银行北京市分行', phone: '010-66596688', address: '北京市西城区复兴门内大街 1 号' },
  })
})
afterAll(async () => database.close())

describe('customers outside the searcher’s scope', () => {
  it('answers the API with the name and the owner only, never the customer’s data or id', async () => {
    const res = await app.request('/api/v1/crm/customers/elsewhere?q=zgyh', {
      headers: await bearer(org, 'liuyang'),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { items: unknown[] }
    expect(body.items).toEqual([
      { name: '中国银行北京市分行', owner: { name: '黄丽', department: expect.any(String) } },
    ])
    expect(JSON.stringify(body)).not.toMatch(/66596688|复兴门|cus_/)
  })

  it('tells nothing about customers the searcher can see, and needs at least two characters', async () => {
    expect(
      await findCustomersElsewhere({ ctx: ctxAs(database, org, 'wangjianguo'), input: { q: 'zgyh' } }),
    ).toEqual([])
    expect(await findCustomersElsewhere({ ctx: ctxAs(database, org, 'liuyang'), input: { q: 'z' } })).toEqual(
      [],
    )
  })

  it('answers 客户 zgyh in chat with whom to ask instead of 没有找到', async () => {
    await say(database, org, 'liuyang', '客户 zgyh')
    const reply = await waitFor(async () => {
      const rows = await outboxOf(database, org)
      return rows.map((r) => JSON.stringify(r.payload)).find((p) => p.includes('中国银行北京市分行'))
    }, 'the reply to 客户 zgyh')
    expect(reply).toContain('负责人 黄丽')
    expect(reply).not.toContain('没有找到')
    expect(reply).not.toContain('66596688')
  })
})
