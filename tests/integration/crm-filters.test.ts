import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

/** Customer list filters: department (and below) and tags (any / all), always inside the data scope. */
let database: Database
let org: CrmTenant
let other: CrmTenant
let app: ReturnType<typeof testApp>['app']
const ids: Record<string, string> = {}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  other = await crmTenant(database)
  app = testApp(database).app
  const make = async (label: string, owner: string, name: string, tags: string[], pool = false) => {
    ids[label] = (
      await createCustomer({
        ctx: ctxAs(database, org, owner),
        input: { name, tags, ...(pool ? { ownerId: null } : {}) },
      })
    ).id
  }
  await make('east1', 'liuyang', '筛选测试东一科技有限公司', ['重点', '国企'])
  await make('east2', 'chenjing', '筛选测试东二贸易有限公司', ['重点'])
  await make('north', 'huangli', '筛选测试北方物流有限公司', ['国企'])
  await make('sales', 'liming', '筛选测试销售总部客户有限公司', [])
  await make('pool', 'wangjianguo', '筛选测试公海客户有限公司', ['重点'], true)
})
afterAll(async () => database.close())

async function list(who: string, query: Record<string, string>, tenant: CrmTenant = org) {
  const qs = new URLSearchParams({ limit: '100', ...query }).toString()
  const res = await app.request(`/api/v1/crm/customers?${qs}`, { headers: await bearer(tenant, who) })
  const body = (await res.json()) as { items?: Array<{ id: string }>; error?: { field?: string } }
  const labels = (body.items ?? [])
    .map((h) => Object.entries(ids).find(([, id]) => id === h.id)?.[0])
    .filter((l): l is string => Boolean(l))
    .sort()
  return { status: res.status, labels, error: body.error }
}

const dep = (key: string): string => {
  const id = org.departments[key]
  if (!id) throw new Error(`no department ${key}`)
  return id
}

describe('customer list by department', () => {
  it.each([
    ['admin, sales and below', 'wangjianguo', 'sales', 'true', ['east1', 'east2', 'north', 'sales']],
    ['admin, sales only', 'wangjianguo', 'sales', 'false', ['sales']],
    ['admin, east team', 'wangjianguo', 'sales_east', 'true', ['east1', 'east2']],
    ['director, sales and below', 'liming', 'sales', 'true', ['east1', 'east2', 'north', 'sales']],
    ['east lead, sales and below: only their tree', 'zhangwei', 'sales', 'true', ['east1', 'east2']],
    ['east lead, north team: outside their scope', 'zhangwei', 'sales_north', 'true', []],
    ['north lead, east team', 'zhaolei', 'sales_east', 'true', []],
    ['rep (self), own team: only their own', 'liuyang', 'sales_east', 'true', ['east1']],
    ['marketing (department scope), sales', 'xuna', 'sales', 'true', []],
  ])('%s', async (_label, who, department, sub, expected) => {
    const r = await list(who, { departmentId: dep(department), subDepartments: sub })
    expect(r.status).toBe(200)
    expect(r.labels).toEqual(expected)
  })

  it('refuses an unknown department, and another tenant’s department, as 400 on departmentId', async () => {
    const unknown = await list('wangjianguo', { departmentId: 'dep_nope' })
    expect(unknown.status).toBe(400)
    expect(unknown.error?.field).toBe('departmentId')
    const foreign = await list('wangjianguo', { departmentId: dep('sales') }, other)
    expect(foreign.status).toBe(400)
    expect(foreign.error?.field).toBe('departmentId')
  })
})

describe('customer list by tags', () => {
  it.each([
    ['admin, any of 重点', 'wangjianguo', '重点', 'any', ['east1', 'east2', 'pool']],
    ['admin, any of 重点 or 国企', 'wangjianguo', '重点,国企', 'any', ['east1', 'east2', 'north', 'pool']],
    ['admin, all of 重点 and 国企', 'wangjianguo', '重点, 国企', 'all', ['east1']],
    ['rep (self), any of 重点: own and pool', 'liuyang', '重点', 'any', ['east1', 'pool']],
    ['colleague (self), 国企: none of theirs', 'chenjing', '国企', 'any', []],
    ['east lead, 国企 (full-width comma list)', 'zhangwei', '国企，不存在', 'any', ['east1']],
  ])('%s', async (_label, who, tags, tagMode, expected) => {
    const r = await list(who, { tags, tagMode })
    expect(r.status).toBe(200)
    expect(r.labels).toEqual(expected)
  })

  it('combines tags, department and text search', async () => {
    const r = await list('wangjianguo', { q: '筛选测试', tags: '国企', departmentId: dep('sales_east') })
    expect(r.labels).toEqual(['east1'])
    const short = await list('wangjianguo', { q: '筛选', tags: '重点', tagMode: 'all' })
    expect(short.labels).toEqual(['east1', 'east2', 'pool'])
    const mine = await list('liuyang', { q: 'sxcs', filter: 'mine', tags: '重点' })
    expect(mine.labels).toEqual(['east1'])
  })

  it.each([
    [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`).join(',') }, 'tags'],
    [{ tags: 'x'.repeat(51) }, 'tags'],
    [{ tags: '重点', tagMode: 'some' }, 'tagMode'],
    [{ departmentId: 'x', subDepartments: 'yes' }, 'subDepartments'],
  ])('refuses bad filters naming the field: %o', async (query, field) => {
    const r = await list('wangjianguo', query)
    expect(r.status).toBe(400)
    expect(r.error?.field).toBe(field)
  })
})
