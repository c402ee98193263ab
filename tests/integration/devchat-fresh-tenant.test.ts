import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'

let database: Database
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => {
  await database?.close()
})

describe('devchat: a company on its first day', () => {
  it('creates a fresh company with the default roles and templates, its founder the app admin, nothing configured by hand', async () => {
    const { app } = testApp(database, { env: { DEVCHAT: 'on', LOG_LEVEL: 'error' } })
    const res = await app.request('/devchat/api/tenants/fresh', { method: 'POST' })
    expect(res.status).toBe(201)
    const { tenant, url } = (await res.json()) as { tenant: { key: string }; url: string }
    expect(url).toBe(`/devchat/?tenant=${tenant.key}&as=chenlei&chat=p2p:chenlei`)
    const [t] = await database.rows<{
      templates: number
      admins: string[]
      manual: number
      heads: number
      roles: number
    }>(sql`
      select (select count(*)::int from approval_templates a where a.tenant_id = t.id) as templates,
             (select coalesce(array_agg(u.name), '{}') from user_roles ur join roles r on r.id = ur.role_id
               join users u on u.id = ur.user_id
               where ur.tenant_id = t.id and r.key = 'admin') as admins,
             (select count(*)::int from user_roles ur where ur.tenant_id = t.id and ur.source = 'manual') as manual,
             (select count(*)::int from user_roles ur join roles r on r.id = ur.role_id
               where ur.tenant_id = t.id and r.key = 'dept_head') as heads,
             (select count(*)::int from roles r where r.tenant_id = t.id) as roles
      from tenants t where t.platform = 'devchat' and t.platform_tenant_key = ${tenant.key}`)
    expect(t).toEqual({ templates: 9, admins: ['陈磊'], manual: 0, heads: 3, roles: 12 })
    const org = await app.request(`/devchat/api/org?tenant=${encodeURIComponent(tenant.key)}`)
    expect(org.status).toBe(200)
  })
})
