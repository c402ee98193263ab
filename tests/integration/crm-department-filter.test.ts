import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { searchCustomers } from '../../bot/domain/crm/search-customers'
import type { Database } from '../../db/client'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

/** 本部门: customers owned by people of the caller's departments (and below), within the data scope. */
let database: Database
let org: CrmTenant

const owners = { liuyang: '华东甲公司', chenjing: '华东乙公司', huangli: '华北丙公司' } as const

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  const admin = ctxAs(database, org, 'wangjianguo')
  for (const [key, name] of Object.entries(owners)) {
    const ownerId = org.users[key]
    if (!ownerId) throw new Error(`no user ${key}`)
    await createCustomer({ ctx: admin, input: { name, ownerId } })
  }
  await createCustomer({ ctx: admin, input: { name: '公海丁公司', ownerId: null } })
})
afterAll(async () => database.close())

const departmentNames = async (key: string) =>
  (await searchCustomers({ ctx: ctxAs(database, org, key), input: { filter: 'department', limit: 100 } }))
    .map((h) => h.name)
    .sort()

describe('the 本部门 filter of the customer list', () => {
  it('shows a team lead the customers of the team, not another team’s and not the pool', async () => {
    expect(await departmentNames('zhangwei')).toEqual(['华东乙公司', '华东甲公司'].sort())
  })

  it('shows a director the customers of every team below', async () => {
    expect(await departmentNames('liming')).toEqual(['华东乙公司', '华东甲公司', '华北丙公司'].sort())
  })

  it('keeps a rep with self scope to what the scope allows: their own, never the pool', async () => {
    expect(await departmentNames('liuyang')).toEqual(['华东甲公司'])
    const all = await searchCustomers({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { filter: 'all', limit: 100 },
    })
    expect(all.map((h) => h.name)).toContain('公海丁公司')
  })
})
