import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../db/client'
import { createFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk'
import { type DingtalkStack, startDingtalkStack } from '../helpers/dingtalk'
import { openOwnDatabase } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

/**
 * A company installs flowcard on DingTalk: the first mini-app login creates the tenant with its default
 * roles and templates and signs the person in; DingTalk's admins (`/topapi/user/listadmin`) and
 * FLOWCARD_ADMINS become admins, and someone removed upstream loses the grant on the next sync.
 */
let fake: FakeDingtalk
let own: { database: Database; drop: () => Promise<void> }
let stack: DingtalkStack

beforeAll(async () => {
  fake = await createFakeDingtalk({ admins: [{ userid: 'zhangsan', sysLevel: 1 }] })
  own = await openOwnDatabase()
  stack = await startDingtalkStack(fake, own.database, {
    noTenant: true,
    env: { FLOWCARD_ADMINS: 'zhaoliu' },
  })
})
afterAll(async () => {
  await stack?.close()
  await own?.drop()
  await fake?.close()
})

async function login(userid: string) {
  const res = await stack.app.request('/api/v1/auth/dingtalk', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: fake.controls.mintAuthCode(userid) }),
  })
  return {
    status: res.status,
    body: (await res.json()) as { token: string; user: { permissions: string[] } },
  }
}

const adminsNow = () =>
  own.database.rows<{ userid: string; source: string }>(sql`
    select i.platform_user_id as userid, ur.source from user_roles ur
    join roles r on r.id = ur.role_id join user_identities i on i.user_id = ur.user_id
    where r.key = 'admin' order by 1, 2`)

describe('a company that just installed the DingTalk app', () => {
  it('signs in the first person to open the mini-app and bootstraps the tenant', async () => {
    const { status, body } = await login('wangwu')
    expect(status).toBe(200)
    expect(body.user.permissions).not.toContain('*')
    const [t] = await own.database.rows<{ tenants: number; templates: number }>(sql`
      select (select count(*)::int from tenants) as tenants,
             (select count(*)::int from approval_templates) as templates`)
    expect(t).toEqual({ tenants: 1, templates: 9 })
    // 合同审批 leads back to its contract, so a contract sent to it follows the outcome.
    const [contract] = await own.database.rows<{ ref: string | null; field: string | null }>(sql`
      select v.settings->>'businessRefField' as ref,
             (select f->>'type' from jsonb_array_elements(v.form) f where f->>'key' = v.settings->>'businessRefField') as field
      from approval_templates a
      join approval_template_versions v on v.template_id = a.id and v.version = a.current_version
      where a.key = 'contract'`)
    expect(contract).toEqual({ ref: 'contract', field: 'contract' })
  })

  it('makes the DingTalk admin and the FLOWCARD_ADMINS entry admins after the sync', async () => {
    await waitFor(async () => {
      const [r] = await own.database.rows<{ n: number }>(sql`select count(*)::int as n from users`)
      return (r?.n ?? 0) >= 5
    }, 'the directory sync')
    await stack.settle(10_000)
    expect(await adminsNow()).toEqual([
      { userid: 'zhangsan', source: 'platform_admin' },
      { userid: 'zhaoliu', source: 'env' },
    ])
    const { body } = await login('zhangsan')
    expect(body.user.permissions).toContain('*')
  })

  it('takes the grant away when the admin is removed on DingTalk', async () => {
    fake.controls.setAdmins([{ userid: 'lisi', sysLevel: 2 }])
    const { body } = await login('zhangsan')
    const res = await stack.app.request('/api/v1/admin/directory/sync', {
      method: 'POST',
      headers: { authorization: `Bearer ${body.token}` },
    })
    expect(res.status).toBe(202)
    await waitFor(
      async () => {
        const now = await adminsNow()
        return now.some((a) => a.userid === 'lisi') && !now.some((a) => a.userid === 'zhangsan')
      },
      'the admin change',
      10_000,
    )
    expect(await adminsNow()).toEqual([
      { userid: 'lisi', source: 'platform_admin' },
      { userid: 'zhaoliu', source: 'env' },
    ])
  })
})
