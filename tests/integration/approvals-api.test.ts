import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatTime } from '../../bot/cards/approval-common'
import { signToken } from '../../bot/lib/session-token'
import type { Database } from '../../db/client'
import { approvalInstances, approvalTasks, users } from '../../db/schema'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { dayFromNow as D } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { type ApprovalsTenant, approvalsTenant, timelineOf, uid } from './approvals-harness'

let database: Database
let org: ApprovalsTenant
let other: ApprovalsTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
  other = await approvalsTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

async function call(
  tenant: ApprovalsTenant,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  lang?: string,
) {
  const token = await signToken(TEST_SESSION_SECRET, {
    t: tenant.tenantId,
    u: uid(tenant, key),
    p: 'devchat',
    exp: Math.floor(Date.now() / 1000) + 600,
    k: 'session',
    j: `j-${Math.random()}`,
  })
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(lang ? { 'accept-language': lang } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const json = (await res.json()) as Record<string, unknown> & {
    error?: { code: string; message: string; field?: string }
  }
  return { status: res.status, json }
}

const instanceCount = async (tenantId: string) =>
  (await database.db.select().from(approvalInstances).where(eq(approvalInstances.tenantId, tenantId))).length

interface InstanceDto {
  id: string
  status: string
  version: number
  myTask: { id: string; version: number } | null
  tasks: Array<{
    id: string
    assignee: { id: string; name: string }
    status: string
    version: number
    kind: string
  }>
  timeline?: Array<{ action: string; actor: { name: string } | null }>
  progress: Array<{ title: string; state: string; detail?: string }>
}

const expense = (amount: unknown, extra: Record<string, unknown> = {}) => ({
  templateKey: 'expense',
  form: { category: 'travel', amount, date: D(-3), description: '客户拜访差旅', ...extra },
})

describe('approvals API: templates', () => {
  it('lists and gets the seeded templates', async () => {
    const list = await call(org, 'liuyang', 'GET', '/approvals/templates')
    expect(list.status).toBe(200)
    // 合同审批 is started from its contract (submit), so it is not offered here.
    expect((list.json.items as Array<{ key: string }>).map((t) => t.key).sort()).toEqual([
      'expense',
      'leave',
      'overtime',
      'payment',
      'purchase',
      'seal',
      'trip',
    ])
    const leave = await call(org, 'liuyang', 'GET', '/approvals/templates/leave')
    expect(leave.status).toBe(200)
    expect((leave.json.form as Array<{ key: string }>).map((f) => f.key)).toEqual([
      'kind',
      'dates',
      'reason',
      'handover',
    ])
  })

  const def = (nodes: unknown[]) => ({
    key: 'bad',
    name: '坏流程',
    form: [{ key: 'amount', label: '金额', type: 'money' }],
    flow: { nodes },
  })

  it.each([
    [
      'an unreachable node',
      [
        { id: 'start', type: 'start', next: 'end' },
        {
          id: 'lonely',
          type: 'approval',
          name: '孤岛',
          approvers: { kind: 'manager', level: 1 },
          next: 'end',
        },
        { id: 'end', type: 'end' },
      ],
      'flow.nodes.lonely',
    ],
    [
      'a condition without a default branch',
      [
        { id: 'start', type: 'start', next: 'c' },
        {
          id: 'c',
          type: 'condition',
          name: '金额',
          branches: [
            { name: '大额', when: [{ kind: 'form', field: 'amount', op: 'gt', value: 1 }], next: 'end' },
          ],
        },
        { id: 'end', type: 'end' },
      ],
      'flow.nodes.c',
    ],
    [
      'a cycle',
      [
        { id: 'start', type: 'start', next: 'a' },
        { id: 'a', type: 'approval', name: 'A', approvers: { kind: 'manager', level: 1 }, next: 'b' },
        { id: 'b', type: 'approval', name: 'B', approvers: { kind: 'manager', level: 1 }, next: 'a' },
        { id: 'end', type: 'end' },
      ],
      'flow.nodes.a',
    ],
  ])('refuses a flow with %s, naming the node', async (_what, nodes, field) => {
    const res = await call(org, 'wangjianguo', 'POST', '/approvals/templates', def(nodes))
    expect(res.status).toBe(400)
    expect(res.json.error?.field).toBe(field)
  })

  it('lets only admins create templates, and versions updates', async () => {
    const body = {
      key: 'outing',
      name: '外出',
      form: [{ key: 'city', label: '城市', type: 'text', required: true }],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'm' },
          { id: 'm', type: 'approval', name: '上级', approvers: { kind: 'manager', level: 1 }, next: 'end' },
          { id: 'end', type: 'end' },
        ],
      },
    }
    expect((await call(org, 'liuyang', 'POST', '/approvals/templates', body)).status).toBe(403)
    const created = await call(org, 'wangjianguo', 'POST', '/approvals/templates', body)
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ key: 'outing', version: 1 })
    expect((await call(org, 'wangjianguo', 'POST', '/approvals/templates', body)).status).toBe(409)
    const started = await call(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'outing',
      form: { city: '上海' },
    })
    expect(started.status).toBe(201)
    const updated = await call(org, 'hefang', 'PUT', '/approvals/templates/outing', {
      ...body,
      form: [...body.form, { key: 'days', label: '天数', type: 'number', required: true }],
    })
    expect(updated.json).toMatchObject({ version: 2 })
    // The running instance keeps version 1; a new one needs the new field.
    const running = await call(
      org,
      'liuyang',
      'GET',
      `/approvals/instances/${(started.json as { id: string }).id}`,
    )
    expect((running.json.template as { version: number }).version).toBe(1)
    const missing = await call(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'outing',
      form: { city: '上海' },
    })
    expect(missing.status).toBe(400)
    expect(missing.json.error?.field).toBe('form.days')
  })
})

describe('approvals API: requests', () => {
  it.each([
    ['money as text', expense('五千'), 'form.amount'],
    ['money with fractions of a cent', expense(12.5), 'form.amount'],
    [
      'an option that does not exist',
      { ...expense(1000), form: { ...expense(1000).form, category: 'yacht' } },
      'form.category',
    ],
    [
      'a missing required field',
      { templateKey: 'expense', form: { category: 'travel', amount: 1000, date: D(-3) } },
      'form.description',
    ],
    ['an impossible date', expense(1000, { date: '2026-02-30' }), 'form.date'],
    ['a broken file reference', expense(1000, { receipts: [{ name: 'x.pdf' }] }), 'form.receipts.0'],
    [
      'detail rows that do not add up to the amount',
      expense(125_000, {
        items: [
          { item: '高铁', amount: 55_300 },
          { item: '酒店', amount: 60_000 },
        ],
      }),
      'form.items',
    ],
    ['a detail row without its item', expense(55_300, { items: [{ amount: 55_300 }] }), 'form.items.0.item'],
    [
      'a date range ending before it starts',
      {
        templateKey: 'leave',
        form: { kind: 'sick', dates: { start: D(34), end: D(30) }, reason: 'x' },
      },
      'form.dates.end',
    ],
    [
      'a handover colleague who does not exist',
      {
        templateKey: 'leave',
        form: {
          kind: 'sick',
          dates: { start: D(30), end: D(30) },
          reason: 'x',
          handover: 'usr_nobody',
        },
      },
      'form.handover',
    ],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_what, body, field) => {
    const before = await instanceCount(org.tenantId)
    const res = await call(org, 'liuyang', 'POST', '/approvals/instances', body)
    expect(res.status).toBe(400)
    expect(res.json.error?.field).toBe(field)
    expect(await instanceCount(org.tenantId)).toBe(before)
  })

  it('runs an expense over ¥5,000 through manager then finance, with lists, timeline and statistics', async () => {
    // Detail rows that add up to the amount are kept, normalised, on the request.
    const rows = [
      { date: D(-4), item: '机票', amount: 480_000 },
      { item: '酒店', amount: 200_000 },
    ]
    const started = await call(
      org,
      'liuyang',
      'POST',
      '/approvals/instances',
      expense(680_000, { items: rows }),
    )
    expect(started.status).toBe(201)
    const ins = started.json as unknown as InstanceDto
    expect(ins.status).toBe('pending')
    expect((started.json as { form?: Record<string, unknown> }).form?.items).toEqual(rows)
    const todo = await call(org, 'zhangwei', 'GET', '/approvals/instances?box=todo')
    const item = (todo.json.items as Array<{ id: string; myTask: { id: string; version: number } }>).find(
      (i) => i.id === ins.id,
    )
    if (!item) throw new Error('not in todo')
    // Not yours: 403, nothing changes.
    const notMine = await call(org, 'chenjing', 'POST', `/approvals/tasks/${item.myTask.id}/approve`, {})
    expect(notMine.status).toBe(403)
    const ok = await call(org, 'zhangwei', 'POST', `/approvals/tasks/${item.myTask.id}/approve`, {
      comment: '同意',
      version: item.myTask.version,
    })
    expect(ok.status).toBe(200)
    // Again: 409 saying who handled it.
    const again = await call(org, 'zhangwei', 'POST', `/approvals/tasks/${item.myTask.id}/approve`, {})
    expect(again.status).toBe(409)
    expect(again.json.error?.message).toContain('张伟')
    const fin = (ok.json as unknown as InstanceDto).tasks.filter((t) => t.status === 'pending')
    expect(fin.map((t) => t.assignee.name).sort()).toEqual(['朱红', '胡斌'].sort())
    const hubinTask = fin.find((t) => t.assignee.name === '胡斌')
    if (!hubinTask) throw new Error('no finance task')
    const done = await call(org, 'hubin', 'POST', `/approvals/tasks/${hubinTask.id}/approve`, {})
    expect((done.json as unknown as InstanceDto).status).toBe('approved')
    const detail = await call(org, 'liuyang', 'GET', `/approvals/instances/${ins.id}`)
    expect((detail.json as unknown as InstanceDto).timeline?.map((e) => e.action)).toEqual([
      'submit',
      'approve',
      'approve',
      'finish',
    ])
    expect((detail.json as unknown as InstanceDto).timeline?.[1]?.actor?.name).toBe('张伟')
    const mine = await call(
      org,
      'liuyang',
      'GET',
      '/approvals/instances?box=mine&status=approved&templateKey=expense',
    )
    expect((mine.json.items as Array<{ id: string }>).some((i) => i.id === ins.id)).toBe(true)
    const doneBox = await call(org, 'zhangwei', 'GET', '/approvals/instances?box=done&pageSize=1')
    expect(doneBox.json.pageSize).toBe(1)
    expect((doneBox.json.items as unknown[]).length).toBe(1)
    const stats = await call(org, 'wangjianguo', 'GET', '/approvals/statistics')
    expect(stats.status).toBe(200)
    const row = (
      stats.json.templates as Array<{ templateKey: string; approved: number; avgHours: number | null }>
    ).find((r) => r.templateKey === 'expense')
    expect(row?.approved).toBeGreaterThanOrEqual(1)
    expect(row?.avgHours).not.toBeNull()
    expect((await call(org, 'liuyang', 'GET', '/approvals/statistics')).status).toBe(403)
  })

  it('lists an overdue task under the request’s title and names in the reader’s language', async () => {
    const started = await call(org, 'liuyang', 'POST', '/approvals/instances', expense(1200))
    const id = (started.json as { id: string }).id
    // The manager's task has waited two days.
    await database.db
      .update(approvalTasks)
      .set({ activatedAt: new Date(Date.now() - 48 * 3_600_000) })
      .where(and(eq(approvalTasks.instanceId, id), eq(approvalTasks.status, 'pending')))
    type Overdue = { instanceId: string; title: string; assignee: { name: string } }
    type Stats = { overdue: Overdue[]; templates: Array<{ templateKey: string; templateName: string }> }
    const read = async (lang: string) => {
      const res = await call(org, 'wangjianguo', 'GET', '/approvals/statistics', undefined, lang)
      expect(res.status).toBe(200)
      const stats = res.json as unknown as Stats
      return { row: stats.overdue.find((o) => o.instanceId === id), stats }
    }
    const zh = await read('zh-CN')
    expect(zh.row).toMatchObject({ title: '刘洋的报销：客户拜访差旅', assignee: { name: '张伟' } })
    expect(zh.stats.templates.find((t) => t.templateKey === 'expense')?.templateName).toBe('报销')
    const en = await read('en')
    expect(en.row).toMatchObject({
      title: 'Expense request from Yang Liu: 客户拜访差旅',
      assignee: { name: 'Wei Zhang' },
    })
    expect(en.stats.templates.find((t) => t.templateKey === 'expense')?.templateName).toBe('Expense')
  })

  it('rate-limits urging to once an hour, lets an admin cancel, and hides requests from outsiders', async () => {
    const started = await call(org, 'chenjing', 'POST', '/approvals/instances', expense(1000))
    const id = (started.json as { id: string }).id
    expect((await call(org, 'chenjing', 'POST', `/approvals/instances/${id}/urge`, {})).status).toBe(200)
    const second = await call(org, 'chenjing', 'POST', `/approvals/instances/${id}/urge`, {})
    expect(second.status).toBe(429)
    expect((await call(org, 'huangli', 'GET', `/approvals/instances/${id}`)).status).toBe(404)
    expect((await call(org, 'huangli', 'POST', `/approvals/instances/${id}/cancel`, {})).status).toBe(403)
    const cancelled = await call(org, 'hefang', 'POST', `/approvals/instances/${id}/cancel`, {
      comment: '重复提交',
    })
    expect(cancelled.status).toBe(200)
    expect((cancelled.json as unknown as InstanceDto).status).toBe('cancelled')
    const actions = (await timelineOf(database, id)).map((e) => e.action)
    expect(actions).toEqual(['submit', 'urge', 'cancel', 'finish'])
  })

  it('keeps tenants apart: another tenant sees none of it, even with the ids', async () => {
    const started = await call(org, 'liuyang', 'POST', '/approvals/instances', expense(1000))
    const dto = started.json as unknown as InstanceDto
    const taskId = dto.tasks[0]?.id ?? ''
    expect((await call(other, 'zhangwei', 'GET', `/approvals/instances/${dto.id}`)).status).toBe(404)
    expect((await call(other, 'zhangwei', 'POST', `/approvals/tasks/${taskId}/approve`, {})).status).toBe(404)
    expect(
      (await call(other, 'wangjianguo', 'POST', `/approvals/instances/${dto.id}/cancel`, {})).status,
    ).toBe(404)
    const todo = await call(other, 'zhangwei', 'GET', '/approvals/instances?box=todo')
    expect(todo.json.total).toBe(0)
    const stats = await call(other, 'wangjianguo', 'GET', '/approvals/statistics')
    expect(stats.json.templates).toEqual([])
  })

  it('asks the initiator to choose approvers where the flow says so, and refuses someone who left', async () => {
    const created = await call(org, 'wangjianguo', 'POST', '/approvals/templates', {
      key: 'pick',
      name: '自选审批人',
      form: [{ key: 'note', label: '说明', type: 'text', required: true }],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'chosen' },
          {
            id: 'chosen',
            type: 'approval',
            name: '自选',
            approvers: { kind: 'initiator_chooses', multiple: true },
            mode: 'all',
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ],
      },
    })
    expect(created.status).toBe(201)
    const none = await call(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'pick',
      form: { note: 'x' },
    })
    expect(none.status).toBe(400)
    expect(none.json.error?.field).toBe('approvers.chosen')
    const { sql } = await import('drizzle-orm')
    await database.db.execute(sql`update users set status = 'inactive' where id = ${uid(org, 'luoxue')}`)
    const gone = await call(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'pick',
      form: { note: 'x' },
      approvers: { chosen: [uid(org, 'luoxue')] },
    })
    expect(gone.status).toBe(400)
    expect(gone.json.error?.message).toContain('离职')
    const ok = await call(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'pick',
      form: { note: 'x' },
      approvers: { chosen: [uid(org, 'sunyue'), uid(org, 'hubin')] },
    })
    expect(ok.status).toBe(201)
    const dto = ok.json as unknown as InstanceDto
    expect(dto.tasks.map((t) => t.assignee.name).sort()).toEqual(['孙悦', '胡斌'].sort())
  })

  it('lists what was copied to me (cc box)', async () => {
    const started = await call(org, 'huangli', 'POST', '/approvals/instances', {
      templateKey: 'leave',
      form: { kind: 'annual', dates: { start: D(30), end: D(30) }, reason: '办事' },
    })
    const dto = started.json as unknown as InstanceDto
    const task = dto.tasks.find((t) => t.status === 'pending')
    if (!task) throw new Error('no task')
    await call(org, 'zhaolei', 'POST', `/approvals/tasks/${task.id}/approve`, {})
    const cc = await call(org, 'lintao', 'GET', '/approvals/instances?box=cc&q=办事')
    expect((cc.json.items as Array<{ id: string }>).map((i) => i.id)).toContain(dto.id)
    const detail = await call(org, 'lintao', 'GET', `/approvals/instances/${dto.id}`)
    expect(detail.status).toBe(200)
  })

  it('lets an admin transfer the task of an approver who left, and lists overdue tasks', async () => {
    const started = await call(org, 'yangfan', 'POST', '/approvals/instances', expense(2000))
    const dto = started.json as unknown as InstanceDto
    const task = dto.tasks.find((t) => t.status === 'pending')
    if (!task) throw new Error('no task')
    expect(
      (
        await call(org, 'chenjing', 'POST', `/approvals/tasks/${task.id}/transfer`, {
          toUserId: uid(org, 'liming'),
        })
      ).status,
    ).toBe(403)
    await new Promise((r) => setTimeout(r, 50))
    const stats = await call(org, 'wangjianguo', 'GET', '/approvals/statistics?overdueHours=0.00001')
    const overdue = stats.json.overdue as Array<{ taskId: string; assignee: { name: string } }>
    expect(overdue.find((o) => o.taskId === task.id)?.assignee.name).toBe('张伟')
    const moved = await call(org, 'hefang', 'POST', `/approvals/tasks/${task.id}/transfer`, {
      toUserId: uid(org, 'liming'),
      comment: '张伟休假',
    })
    expect(moved.status).toBe(200)
    const now = (moved.json as unknown as InstanceDto).tasks.find((t) => t.status === 'pending')
    expect(now?.assignee.name).toBe('李明')
  })

  it('is in the OpenAPI document', async () => {
    const res = await app.request('/api/openapi.json')
    const doc = (await res.json()) as { paths: Record<string, unknown> }
    for (const p of [
      '/api/v1/approvals/templates',
      '/api/v1/approvals/templates/{key}',
      '/api/v1/approvals/instances',
      '/api/v1/approvals/instances/{id}',
      '/api/v1/approvals/instances/{id}/withdraw',
      '/api/v1/approvals/instances/{id}/resubmit',
      '/api/v1/approvals/tasks/{id}/approve',
      '/api/v1/approvals/tasks/{id}/add-sign',
      '/api/v1/approvals/statistics',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p)
    }
  })
})

describe('approvals API: titles in the reader’s language (m1)', () => {
  it('renders a request’s title, template and applicant in the language the app asks for', async () => {
    await database.db
      .update(users)
      .set({ enName: 'Yang Liu' })
      .where(eq(users.id, uid(org, 'liuyang')))
    const made = await call(
      org,
      'liuyang',
      'POST',
      '/approvals/instances',
      expense(88_00, { description: '打车去客户' }),
    )
    expect(made.status).toBe(201)
    const id = String(made.json.id)
    // Stored once, in Chinese (search and external systems read it).
    const [row] = await database.db.select().from(approvalInstances).where(eq(approvalInstances.id, id))
    expect(row?.title).toBe('刘洋的报销：打车去客户')
    const en = await call(org, 'liuyang', 'GET', `/approvals/instances/${id}`, undefined, 'en')
    expect(en.json.title).toBe('Expense request from Yang Liu: 打车去客户')
    expect((en.json.template as { name: string }).name).toBe('Expense')
    expect((en.json.initiator as { name: string }).name).toBe('Yang Liu')
    // The progress steps too (they were always in Chinese).
    const enSteps = JSON.stringify(en.json.progress)
    expect(enSteps).toContain('Yang Liu')
    expect(enSteps).not.toContain('刘洋')
    const zh = await call(org, 'liuyang', 'GET', `/approvals/instances/${id}`, undefined, 'zh-CN')
    expect(zh.json.title).toBe('刘洋的报销：打车去客户')
    expect(JSON.stringify(zh.json.progress)).toContain('刘洋')
    // Times in the reader's own zone: the company's (China) until they choose one, then theirs.
    const submittedAt = row?.createdAt ?? new Date()
    const china = formatTime(submittedAt, 'Asia/Shanghai')
    const la = formatTime(submittedAt, 'America/Los_Angeles')
    expect(china).not.toBe(la)
    const firstDetail = (r: { json: Record<string, unknown> }) =>
      (r.json.progress as Array<{ detail?: string }>)[0]?.detail
    expect(firstDetail(zh)).toContain(china)
    await database.db
      .update(users)
      .set({ timeZoneChoice: 'America/Los_Angeles' })
      .where(eq(users.id, uid(org, 'liuyang')))
    try {
      const own = await call(org, 'liuyang', 'GET', `/approvals/instances/${id}`, undefined, 'zh-CN')
      expect(firstDetail(own)).toContain(la)
      // Another reader of the same request still reads China time.
      const other = await call(org, 'zhangwei', 'GET', `/approvals/instances/${id}`, undefined, 'zh-CN')
      expect(firstDetail(other)).toContain(china)
    } finally {
      await database.db
        .update(users)
        .set({ timeZoneChoice: null })
        .where(eq(users.id, uid(org, 'liuyang')))
    }
    // Without the header, the account's language (zh-CN).
    expect((await call(org, 'liuyang', 'GET', `/approvals/instances/${id}`)).json.title).toBe(
      '刘洋的报销：打车去客户',
    )
    const list = await call(org, 'liuyang', 'GET', '/approvals/instances?box=mine', undefined, 'en')
    const item = (list.json.items as Array<Record<string, unknown>>).find((i) => i.id === id)
    expect(item).toMatchObject({
      title: 'Expense request from Yang Liu: 打车去客户',
      templateName: 'Expense',
      initiator: { name: 'Yang Liu' },
    })
    // The approver's home to-dos, in each language.
    const homeEn = await call(org, 'zhangwei', 'GET', '/home', undefined, 'en')
    const todo = (homeEn.json.approvals as Array<{ id: string; title: string }>).find((a) => a.id === id)
    expect(todo?.title).toBe('Expense request from Yang Liu: 打车去客户')
    const homeZh = await call(org, 'zhangwei', 'GET', '/home', undefined, 'zh-CN')
    expect(
      (homeZh.json.approvals as Array<{ id: string; title: string }>).find((a) => a.id === id)?.title,
    ).toBe('刘洋的报销：打车去客户')
  })
})
