import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FakeFeishu } from '../fakes/feishu'
import { toRequestInit } from '../fakes/feishu/push'
import { largePayment } from '../helpers/approval-templates'
import { type FeishuStack, type FeishuWorld, startFeishuWorld } from '../helpers/feishu'
import { waitFor } from '../helpers/wait'

/**
 * A real company installs flowcard on Feishu: nothing configured, nobody synced. An ordinary employee opens
 * the mini-app first and is signed in; the app's administrator (from Feishu's admin list) is an admin;
 * 「发起 请假」 works from the default templates; people who are not admins get 403 on every admin route.
 */
let world: FeishuWorld
let fake: FakeFeishu
let stack: FeishuStack

beforeAll(async () => {
  world = await startFeishuWorld({ stack: { noTenant: true } })
  ;({ fake, stack } = world)
})
afterAll(async () => {
  await world?.close()
})

async function login(userId: string) {
  const code = fake.issueLoginCode(fake.user(userId).openId)
  const res = await stack.app.request('/api/v1/auth/feishu', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  })
  return {
    status: res.status,
    body: (await res.json()) as {
      token: string
      user: { name: string; roles: string[]; permissions: string[] }
    },
  }
}

const api = (token: string, path: string, init: RequestInit = {}) =>
  stack.app.request(`/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  })

/** 大额付款 with its branch over ¥50,000 to the admins (the app admin holds that role after the sync). */
const bigPayment = largePayment('admin')

describe('a company that just installed the Feishu app', () => {
  let employeeToken = ''
  let adminToken = ''

  it('signs in an ordinary employee who opens the mini-app before anything else happened', async () => {
    const started = performance.now()
    const { status, body } = await login('hemei')
    expect(status).toBe(200)
    // Seconds, not a 403 (the p95 ≤ 3 s figure is measured by tests/bench/tenant-onboarding.ts).
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(body.user.name).toBe('何梅')
    expect(body.user.permissions).not.toContain('*')
    employeeToken = body.token
    const [tenant] = await stack.database.rows<{ tenants: number; roles: number; templates: number }>(sql`
      select (select count(*)::int from tenants) as tenants,
             (select count(*)::int from roles) as roles,
             (select count(*)::int from approval_templates where active) as templates`)
    expect(tenant).toEqual({ tenants: 1, roles: 12, templates: 9 })
  })

  it('syncs the whole directory in the background and grants the app admin and the leaders', async () => {
    await waitFor(async () => {
      const [r] = await stack.database.rows<{ n: number }>(
        sql`select count(*)::int as n from users where status = 'active'`,
      )
      return (r?.n ?? 0) >= 12
    }, 'the directory sync')
    await stack.settle(10_000)
    const { status, body } = await login('zhangsan')
    expect(status).toBe(200)
    expect(body.user.permissions).toContain('*')
    adminToken = body.token
    const leaders = await stack.database.rows<{ name: string }>(sql`
      select u.name from user_roles ur join roles r on r.id = ur.role_id join users u on u.id = ur.user_id
      where r.key = 'dept_head' and ur.source = 'leader' order by u.name`)
    expect(leaders.map((l) => l.name).sort()).toEqual(['李四', '王五', '赵六', '孙七', '周八', '吴九'].sort())
    const me = await api(employeeToken, '/me')
    expect(((await me.json()) as { roles: string[] }).roles).toContain('employee')
    expect(adminToken).not.toBe('')
  })

  it('answers 「发起 请假」 with the leave form with no admin action at all', async () => {
    const lisi = fake.user('lisi')
    const msg = fake.controls.addUserMessage({ senderUserId: 'lisi', text: '发起 请假' })
    const p = await world.push.messageReceive({
      message: { messageId: msg.messageId, chatId: msg.chatId, chatType: 'p2p' },
      text: '发起 请假',
      sender: { openId: lisi.openId },
    })
    const res = await stack.app.request('/webhooks/feishu/events', toRequestInit(p))
    expect(res.status).toBe(200)
    const replies = () =>
      fake.recorder
        .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
        .filter((r) => r.path.includes(msg.messageId) && r.status === 200)
    const [reply] = await waitFor(() => (replies().length > 0 ? replies() : null), 'reply', 10_000)
    const body = reply?.body as { msg_type?: string; content?: string }
    expect(body.msg_type).toBe('interactive')
    expect(body.content).toContain('请假')
    expect(body.content).not.toContain('还没有审批模板')
  })

  it('lets the app admin use the admin API, and refuses everyone else on every admin route', async () => {
    const people = await api(adminToken, '/admin/people?limit=100')
    expect(people.status).toBe(200)
    const list = (await people.json()) as {
      items: Array<{ name: string; roles: Array<{ key: string; source: string }> }>
    }
    const zhangsan = list.items.find((p) => p.name === '张三')
    expect(zhangsan?.roles).toContainEqual(
      expect.objectContaining({ key: 'admin', source: 'platform_admin' }),
    )
    // The names behind ids a page already holds (the designer's named approvers), and a malformed list refused.
    const two = (list.items as Array<{ id?: string; name: string }>).slice(0, 2)
    const byIds = await api(
      adminToken,
      `/admin/people?status=all&ids=${two.map((p) => p.id).join(',')},usr_nobody`,
    )
    expect(byIds.status).toBe(200)
    expect(
      ((await byIds.json()) as { items: Array<{ name: string }> }).items.map((p) => p.name).sort(),
    ).toEqual(two.map((p) => p.name).sort())
    const badIds = await api(adminToken, '/admin/people?ids=a;drop')
    expect(badIds.status).toBe(400)
    expect(JSON.stringify(await badIds.json())).toContain('ids')
    const status = await api(adminToken, '/admin/directory')
    expect(((await status.json()) as { lastSyncedAt: string | null }).lastSyncedAt).not.toBeNull()
    const rolesRes = await api(adminToken, '/admin/roles')
    const rolesBody = await rolesRes.json()
    expect(rolesRes.status, JSON.stringify(rolesBody)).toBe(200)
    const roles = rolesBody as {
      items: Array<{ id: string; key: string }>
    }
    const marketing = roles.items.find((r) => r.key === 'marketing')
    expect(marketing).toBeDefined()
    const roleId = marketing?.id ?? ''
    const adminRole = roles.items.find((r) => r.key === 'admin')?.id ?? ''
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/admin/permissions'],
      ['GET', '/admin/directory'],
      ['POST', '/admin/directory/sync'],
      ['GET', '/admin/people'],
      ['GET', '/admin/departments'],
      ['GET', '/admin/roles'],
      ['POST', '/admin/roles', { key: 'auditor', name: '审计', permissions: ['audit.view'] }],
      ['PATCH', `/admin/roles/${roleId}`, { dataScope: 'all' }],
      ['GET', `/admin/roles/${roleId}/members`],
      ['POST', `/admin/roles/${roleId}/members`, { userIds: ['x'] }],
      ['DELETE', `/admin/roles/${adminRole}/members/users/x`],
      ['DELETE', `/admin/roles/${roleId}/members/departments/x`],
      ['GET', '/admin/audit'],
      ['GET', '/admin/audit/export'],
      ['POST', '/admin/approval-templates/leave/disable'],
      ['POST', '/admin/approval-templates/leave/enable'],
      ['POST', '/approvals/templates', bigPayment],
      ['PUT', '/approvals/templates/bigpay', { ...bigPayment, baseVersion: 1 }],
      ['POST', '/approvals/templates/preview', bigPayment],
    ]
    for (const [method, path, payload] of routes) {
      const res = await api(employeeToken, path, {
        method,
        ...(payload ? { body: JSON.stringify(payload) } : {}),
      })
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 403`)
      const err = (await res.json()) as { error: { message: string } }
      expect(err.error.message).toMatch(/needs the (org\.admin|audit\.view|approvals\.admin) permission/)
    }
    const doc = (await (await stack.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, unknown>
      components: { schemas: Record<string, { enum?: string[] }> }
    }
    expect(Object.keys(doc.paths)).toContain('/api/v1/admin/roles/{roleId}/members')
    expect(doc.components.schemas.PermissionName?.enum).toContain('approvals.admin')
  })

  it('lets the app admin publish a template with an amount condition that an employee starts from chat, each amount taking its branch', async () => {
    const created = await api(adminToken, '/approvals/templates', {
      method: 'POST',
      body: JSON.stringify(bigPayment),
    })
    expect(created.status, await created.clone().text()).toBe(201)
    const userOf = async (handle: string) => {
      const [row] = await stack.database.rows<{ user_id: string }>(
        sql`select user_id from user_identities where open_id = ${fake.user(handle).openId}`,
      )
      if (!row) throw new Error(`${handle} not synced`)
      return row.user_id
    }
    const pending = async (instanceId: string) =>
      stack.database.rows<{ id: string; version: number; assignee_id: string }>(
        sql`select id, version, assignee_id from approval_tasks where instance_id = ${instanceId} and status = 'pending'`,
      )
    const hemei = fake.user('hemei')
    let seq = 0
    const tap = async (
      handle: string,
      value: Record<string, unknown>,
      formValue?: Record<string, unknown>,
    ) => {
      const u = fake.user(handle)
      const p = await world.push.cardAction({
        operator: { openId: u.openId },
        value,
        ...(formValue ? { formValue } : {}),
        messageId: `om_bigpay_${++seq}`,
        chatId: fake.controls.p2pChatId(u.openId),
      })
      const res = await stack.app.request('/webhooks/feishu/cards', toRequestInit(p))
      expect(res.status).toBe(200)
      return (await res.json()) as { toast?: { type: string; content: string } }
    }
    /** 「发起 大额付款」 in the employee's chat, then the form card submitted with `amount` 元. */
    const start = async (amount: string) => {
      const said = fake.controls.addUserMessage({ senderUserId: 'hemei', text: '发起 大额付款' })
      const p = await world.push.messageReceive({
        message: { messageId: said.messageId, chatId: said.chatId, chatType: 'p2p' },
        text: '发起 大额付款',
        sender: { openId: hemei.openId },
      })
      expect((await stack.app.request('/webhooks/feishu/events', toRequestInit(p))).status).toBe(200)
      const replies = () =>
        fake.recorder
          .find('POST', '/open-apis/im/v1/messages/:message_id/reply')
          .filter((r) => r.path.includes(said.messageId) && r.status === 200)
      const [reply] = await waitFor(() => (replies().length ? replies() : null), 'form card', 10_000)
      const content = String((reply?.body as { content?: string } | undefined)?.content)
      expect(content).toContain('approval.submit')
      expect(content).toContain('bigpay')
      const before = await stack.database.rows<{ id: string }>(
        sql`select i.id from approval_instances i join approval_templates t on t.id = i.template_id where t.key = 'bigpay'`,
      )
      const submitted = await tap('hemei', { a: 'approval.submit', tpl: 'bigpay', tv: 1 }, { amount })
      expect(submitted.toast?.type).toBe('success')
      const after = await stack.database.rows<{ id: string }>(
        sql`select i.id from approval_instances i join approval_templates t on t.id = i.template_id where t.key = 'bigpay'`,
      )
      const fresh = after.find((r) => !before.some((b) => b.id === r.id))
      if (!fresh) throw new Error('no instance started')
      return fresh.id
    }
    const zhouba = await userOf('zhouba')
    const zhangsan = await userOf('zhangsan')

    // ¥60,000: the direct manager, then the branch over ¥50,000 to the admins (the app admin, 张三).
    const big = await start('60,000')
    const [mgr] = await pending(big)
    expect(mgr?.assignee_id).toBe(zhouba)
    expect((await tap('zhouba', { a: 'approval.approve', task: mgr?.id, v: mgr?.version })).toast?.type).toBe(
      'success',
    )
    const [board] = await pending(big)
    expect(board?.assignee_id).toBe(zhangsan)

    // ¥800: the manager only; the default branch ends the flow.
    const small = await start('800')
    const [mgr2] = await pending(small)
    expect(mgr2?.assignee_id).toBe(zhouba)
    await tap('zhouba', { a: 'approval.approve', task: mgr2?.id, v: mgr2?.version })
    expect(await pending(small)).toEqual([])
    const [done] = await stack.database.rows<{ status: string }>(
      sql`select status from approval_instances where id = ${small}`,
    )
    expect(done?.status).toBe('approved')
  })
})
