import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import type { SeededOrg } from '../../db/seed/org'
import { testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

let database: Database
let org: SeededOrg
let other: SeededOrg
beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  other = await createTestTenant(database)
})
afterAll(async () => database.close())

interface Person {
  id: string
  name: string
  departmentName: string | null
}
interface Dept {
  name: string
  memberCount: number
  leader: { name: string } | null
  children: Dept[]
}

describe('org directory API', () => {
  it('finds colleagues by name within the tenant only', async () => {
    const { app } = testApp(database)
    const headers = await sessionHeader(org.tenantId, org.users.liuyang ?? '')
    const res = await app.request('/api/v1/org/people?q=%E5%BC%A0', { headers })
    expect(res.status).toBe(200)
    const { items } = (await res.json()) as { items: Person[] }
    expect(items.map((p) => p.name)).toEqual(['张伟'])
    expect(items[0]).toMatchObject({ id: org.users.zhangwei, departmentName: '华东销售组' })
    expect(items[0]).not.toHaveProperty('mobile')
    expect(items.some((p) => Object.values(other.users).includes(p.id))).toBe(false)
  })

  it('returns the department tree with leaders and member counts', async () => {
    const { app } = testApp(database)
    const headers = await sessionHeader(org.tenantId, org.users.liuyang ?? '')
    const res = await app.request('/api/v1/org/departments', { headers })
    expect(res.status).toBe(200)
    const { items } = (await res.json()) as { items: Dept[] }
    expect(items).toHaveLength(1)
    const root = items[0]
    expect(root?.name).toBe('云帆科技')
    expect(root?.leader?.name).toBe('王建国')
    const sales = root?.children.find((d) => d.name === '销售部')
    expect(sales?.children.map((d) => [d.name, d.memberCount])).toEqual([
      ['华东销售组', 4],
      ['华北销售组', 4],
    ])
  })

  it('refuses calls without a session and bad queries with 400 naming the field', async () => {
    const { app } = testApp(database)
    expect((await app.request('/api/v1/org/people')).status).toBe(401)
    const headers = await sessionHeader(org.tenantId, org.users.liuyang ?? '')
    const res = await app.request('/api/v1/org/people?limit=500', { headers })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('limit')
  })
})
