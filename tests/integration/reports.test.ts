import { and, eq } from 'drizzle-orm'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../bot/lib/ids'
import { zonedNow } from '../../bot/lib/zoned'
import type { Database } from '../../db/client'
import { auditLog, customers, followUps, visits } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { dayFromNow } from '../helpers/dates'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

let database: Database
let org: SeededOrg
let app: ReturnType<typeof testApp>['app']

const DAY = 86_400_000
const ago = (days: number, minutes = 0) => new Date(Date.now() - days * DAY + minutes * 60_000)
const from = dayFromNow(-40)
const to = dayFromNow(-1)
const ids: Record<string, string> = {}

/**
 * A small company whose figures are computed by hand below: six customers (one in the pool, one created
 * before the period), follow-ups and visits of two reps, one of them outside the period.
 */
async function seed() {
  const customer = async (
    key: string,
    owner: string | null,
    days: number,
    extra: Partial<typeof customers.$inferInsert>,
  ) => {
    ids[key] = newId('cus')
    await database.db.insert(customers).values({
      id: ids[key],
      tenantId: org.tenantId,
      name: `报表客户${key}`,
      nameNorm: `报表客户${key}`,
      ownerId: owner ? uid(org, owner) : null,
      createdAt: ago(days),
      ...extra,
    })
  }
  await customer('c1', 'liuyang', 30, {
    industry: '制造',
    tier: 'A',
    provinceCode: '310000',
    cityCode: '310100',
  })
  await customer('c2', 'liuyang', 10, {
    industry: '制造',
    tier: 'B',
    provinceCode: '320000',
    cityCode: '320100',
  })
  await customer('c3', 'chenjing', 5, {
    industry: '金融',
    tier: 'A',
    provinceCode: '310000',
    cityCode: '310100',
  })
  await customer('c4', 'huangli', 20, {
    industry: '金融',
    tier: 'C',
    provinceCode: '110000',
    cityCode: '110100',
  })
  await customer('c5', 'liuyang', 60, {
    industry: '制造',
    tier: 'A',
    provinceCode: '310000',
    cityCode: '310100',
  })
  await customer('c6', null, 3, {})
  const followUp = (customerKey: string, author: string, days: number) =>
    database.db.insert(followUps).values({
      id: newId('fu'),
      tenantId: org.tenantId,
      customerId: ids[customerKey] ?? '',
      authorId: uid(org, author),
      kind: 'call',
      content: `跟进 ${customerKey}`,
      createdAt: ago(days),
    })
  await followUp('c1', 'liuyang', 25)
  await followUp('c1', 'liuyang', 12)
  await followUp('c2', 'liuyang', 8)
  await followUp('c3', 'chenjing', 4)
  await followUp('c1', 'liuyang', 50) // before the period
  const visit = (customerKey: string, user: string, days: number, minutes: number, flagged: boolean) =>
    database.db.insert(visits).values({
      id: newId('vis'),
      tenantId: org.tenantId,
      customerId: ids[customerKey] ?? '',
      userId: uid(org, user),
      status: 'checked_out',
      checkInAt: ago(days),
      checkOutAt: ago(days, minutes),
      checkInFlagged: flagged,
    })
  await visit('c1', 'liuyang', 15, 60, true)
  await visit('c2', 'liuyang', 9, 30, false)
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  app = testApp(database).app
  await seed()
})
afterAll(async () => database.close())

async function call(who: string, path: string, init: RequestInit = {}) {
  const headers = {
    ...(await sessionHeader(org.tenantId, uid(org, who))),
    'content-type': 'application/json',
  }
  const res = await app.request(`/api/v1${path}`, { ...init, headers })
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, body: type.includes('json') ? await res.json() : await res.arrayBuffer() }
}

interface Result {
  rows: Array<{ key: string | null; label: string; values: Record<string, number | null> }>
  totals: Record<string, number | null>
}
const figures = (r: Result, measure: string) =>
  Object.fromEntries(r.rows.map((row) => [row.label, row.values[measure]]))
const report = async (who: string, key: string, params: Record<string, string> = {}) => {
  const res = await call(who, `/reports/${key}?${new URLSearchParams({ from, to, ...params })}`)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body as Result
}

describe('customers-new', () => {
  it('counts the customers created in the period by owner, inside each caller’s data scope', async () => {
    const admin = await report('wangjianguo', 'customers-new', { dimension: 'owner' })
    expect(figures(admin, 'customers')).toEqual({ 刘洋: 2, 陈静: 1, 黄丽: 1, '公海（无负责人）': 1 })
    expect(admin.totals.customers).toBe(5)
    const manager = await report('zhangwei', 'customers-new', { dimension: 'owner' })
    expect(figures(manager, 'customers')).toEqual({ 刘洋: 2, 陈静: 1 })
    const rep = await report('liuyang', 'customers-new', { dimension: 'owner' })
    expect(figures(rep, 'customers')).toEqual({ 刘洋: 2 })
  })

  it('groups by industry, with a row for customers where it is not filled in', async () => {
    const r = await report('wangjianguo', 'customers-new', { dimension: 'industry' })
    expect(figures(r, 'customers')).toEqual({ 制造: 2, 金融: 2, '（未填写）': 1 })
  })

  it('narrows to a department with or without its sub-departments, never beyond the caller’s scope', async () => {
    const tree = await report('wangjianguo', 'customers-new', {
      dimension: 'owner',
      departmentId: org.departments.sales ?? '',
    })
    expect(tree.totals.customers).toBe(4)
    const own = await report('wangjianguo', 'customers-new', {
      dimension: 'owner',
      departmentId: org.departments.sales ?? '',
      includeSub: 'false',
    })
    expect(own.totals.customers).toBe(0)
    const outside = await report('zhangwei', 'customers-new', {
      departmentId: org.departments.sales_north ?? '',
    })
    expect(outside.totals.customers).toBe(0)
  })

  it('buckets by month in Beijing time, in time order', async () => {
    const r = await report('wangjianguo', 'customers-new', { dimension: 'month' })
    const keys = r.rows.map((row) => row.key)
    expect(keys).toEqual([...keys].sort())
    expect(r.totals.customers).toBe(5)
    for (const k of keys) expect(k).toMatch(/^\d{4}-\d{2}$/)
  })

  it('drills down to the records behind a figure, with the same scope and filters', async () => {
    const res = await call(
      'wangjianguo',
      `/reports/customers-new/records?${new URLSearchParams({ from, to, dimension: 'owner', value: uid(org, 'liuyang') })}`,
    )
    expect(res.status).toBe(200)
    const items = (res.body as { items: Array<{ id: string; link: string }> }).items
    expect(items.map((i) => i.id).sort()).toEqual([ids.c1, ids.c2].sort())
    expect(items[0]?.link).toMatch(/^\/app\/customers\//)
    const pool = await call(
      'wangjianguo',
      `/reports/customers-new/records?${new URLSearchParams({ from, to, dimension: 'owner', value: '' })}`,
    )
    expect((pool.body as { items: Array<{ id: string }> }).items.map((i) => i.id)).toEqual([ids.c6])
    const rep = await call(
      'liuyang',
      `/reports/customers-new/records?${new URLSearchParams({ from, to, dimension: 'owner', value: uid(org, 'chenjing') })}`,
    )
    expect((rep.body as { items: unknown[] }).items).toEqual([])
  })
})

describe('customer-map', () => {
  it('counts customers by province as of the period’s end, with tiers, in one grouping', async () => {
    const r = await report('wangjianguo', 'customer-map')
    const byKey = Object.fromEntries(r.rows.map((row) => [row.key, row.values]))
    expect(byKey['310000']).toEqual({ customers: 3, tierA: 3, tierB: 0, tierC: 0 })
    expect(byKey['320000']).toEqual({ customers: 1, tierA: 0, tierB: 1, tierC: 0 })
    expect(byKey['110000']).toEqual({ customers: 1, tierA: 0, tierB: 0, tierC: 1 })
    expect(r.totals.customers).toBe(6)
    expect(r.rows.find((row) => row.key === '310000')?.label).toContain('上海')
  })

  it('drills a province down to its cities', async () => {
    const r = await report('wangjianguo', 'customer-map', { dimension: 'city', provinceCode: '31' })
    expect(r.rows.map((row) => [row.key, row.values.customers])).toEqual([['310100', 3]])
  })
})

describe('activity', () => {
  it('counts follow-ups and visits per rep, customers covered, far check-ins and time on site', async () => {
    const r = await report('wangjianguo', 'activity')
    const liu = r.rows.find((row) => row.label === '刘洋')?.values
    expect(liu).toEqual({
      followUps: 3,
      visits: 2,
      customersCovered: 2,
      flaggedVisits: 1,
      avgVisitMinutes: 45,
    })
    const chen = r.rows.find((row) => row.label === '陈静')?.values
    expect(chen).toEqual({
      followUps: 1,
      visits: 0,
      customersCovered: 1,
      flaggedVisits: 0,
      avgVisitMinutes: null,
    })
    expect(r.totals).toEqual({
      followUps: 4,
      visits: 2,
      customersCovered: 3,
      flaggedVisits: 1,
      avgVisitMinutes: 45,
    })
  })
})

describe('targets', () => {
  const month = dayFromNow(-10).slice(0, 7)
  const put = (who: string, targets: unknown[]) =>
    call(who, '/reports/targets', { method: 'PUT', body: JSON.stringify({ targets }) })

  it('lets a manager set their people’s targets and shows achievement beside them', async () => {
    const set = await put('zhangwei', [
      { subjectKind: 'user', subjectId: uid(org, 'liuyang'), kind: 'new_customers', month, value: 4 },
      {
        subjectKind: 'user',
        subjectId: uid(org, 'liuyang'),
        kind: 'contract_amount',
        month,
        value: 1_000_000_00,
      },
    ])
    expect(set.status).toBe(200)
    const r = await report('zhangwei', 'achievement')
    const liu = r.rows.find((row) => row.label === '刘洋')?.values
    expect(liu).toMatchObject({
      newCustomersTarget: 4,
      newCustomers: 2,
      newCustomersRate: 50,
      contractAmountTarget: 1_000_000_00,
    })
    const listed = await call('zhangwei', `/reports/targets?year=${month.slice(0, 4)}`)
    expect((listed.body as { items: unknown[] }).items).toHaveLength(2)
  })

  it('refuses targets outside the setter’s scope, a rep’s own, and departments without the permission', async () => {
    const huang = await put('zhangwei', [
      { subjectKind: 'user', subjectId: uid(org, 'huangli'), kind: 'visits', month, value: 10 },
    ])
    expect(huang.status).toBe(403)
    const self = await put('liuyang', [
      { subjectKind: 'user', subjectId: uid(org, 'liuyang'), kind: 'visits', month, value: 1 },
    ])
    expect(self.status).toBe(403)
    const dept = await put('zhangwei', [
      { subjectKind: 'department', subjectId: org.departments.sales_east, kind: 'visits', month, value: 10 },
    ])
    expect(dept.status).toBe(403)
    const bad = await put('wangjianguo', [
      { subjectKind: 'user', subjectId: uid(org, 'liuyang'), kind: 'visits', month: '2026-13', value: 1 },
    ])
    expect(bad.status).toBe(400)
    expect((bad.body as { error: { field: string } }).error.field).toContain('month')
  })

  it('rolls department targets against the department’s people (sub-departments included)', async () => {
    const set = await put('wangjianguo', [
      { subjectKind: 'department', subjectId: org.departments.sales, kind: 'visits', month, value: 8 },
    ])
    expect(set.status).toBe(200)
    const r = await report('wangjianguo', 'achievement', { dimension: 'department' })
    const sales = r.rows.find((row) => row.label === '销售部')?.values
    expect(sales).toMatchObject({ visitsTarget: 8, visits: 2, visitsRate: 25, followUps: 4 })
  })
})

describe('the tenant’s time zone', () => {
  it('cuts periods and buckets days at midnight in the tenant’s zone (New York, daylight saving)', async () => {
    const ny = await createTestTenant(database)
    const headers = {
      ...(await sessionHeader(ny.tenantId, uid(ny, 'wangjianguo'))),
      'content-type': 'application/json',
    }
    const put = await app.request('/api/v1/admin/settings', {
      method: 'PUT',
      headers,
      body: JSON.stringify({ timeZone: 'America/New_York' }),
    })
    expect(put.status).toBe(200)
    // 03:00Z on 10 March 2026 is 23:00 on the 9th in New York (EDT, UTC-4, since the 8th) and 11:00 on
    // the 10th in Beijing; 12:00Z is 08:00 on the 10th in New York.
    for (const [key, at] of [
      ['late', '2026-03-10T03:00:00Z'],
      ['morning', '2026-03-10T12:00:00Z'],
      ['winter', '2026-01-15T04:30:00Z'],
    ] as const)
      await database.db.insert(customers).values({
        id: newId('cus'),
        tenantId: ny.tenantId,
        name: `纽约客户${key}`,
        nameNorm: `纽约客户${key}`,
        ownerId: uid(ny, 'wangjianguo'),
        createdAt: new Date(at),
      })
    const run = async (params: Record<string, string>) => {
      const res = await app.request(`/api/v1/reports/customers-new?${new URLSearchParams(params)}`, {
        headers,
      })
      expect(res.status).toBe(200)
      return figures((await res.json()) as Result, 'customers')
    }
    expect(await run({ from: '2026-03-10', to: '2026-03-10', dimension: 'day' })).toEqual({ '2026-03-10': 1 })
    expect(await run({ from: '2026-03-09', to: '2026-03-10', dimension: 'day' })).toEqual({
      '2026-03-09': 1,
      '2026-03-10': 1,
    })
    // 04:30Z on 15 January is 23:30 on the 14th (EST, UTC-5).
    expect(await run({ from: '2026-01-01', to: '2026-03-31', dimension: 'day' })).toMatchObject({
      '2026-01-14': 1,
    })
    expect(await run({ from: '2026-01-15', to: '2026-01-31', dimension: 'month' })).toEqual({})
  })
})

describe('home target progress', () => {
  it('shows my targets this month beside what I did, and a manager their people summed', async () => {
    // This month in the tenant's zone (the seeded tenant keeps the default, Asia/Shanghai).
    const month = zonedNow(new Date(), 'Asia/Shanghai').day.slice(0, 7)
    const set = await call('wangjianguo', '/reports/targets', {
      method: 'PUT',
      body: JSON.stringify({
        targets: [
          { subjectKind: 'user', subjectId: uid(org, 'liuyang'), kind: 'new_customers', month, value: 4 },
          { subjectKind: 'user', subjectId: uid(org, 'chenjing'), kind: 'new_customers', month, value: 6 },
          {
            subjectKind: 'user',
            subjectId: uid(org, 'liuyang'),
            kind: 'contract_amount',
            month,
            value: 500_00,
          },
        ],
      }),
    })
    expect(set.status).toBe(200)
    type Progress = {
      month: string
      from: string
      to: string
      me: Array<{ kind: string; target: number; done: number; rate: number }>
      team: { people: number; items: Array<{ kind: string; target: number; done: number }> } | null
    }
    const liu = (await call('liuyang', '/reports/progress')).body as Progress
    expect(liu.month).toBe(month)
    expect(liu.from).toBe(`${month}-01`)
    expect(liu.team).toBeNull()
    expect(liu.me.map((i) => [i.kind, i.target])).toEqual([
      ['contractAmount', 500_00],
      ['newCustomers', 4],
    ])
    // The figures are the achievement report's for the same month.
    const r = await report('liuyang', 'achievement', { from: liu.from, to: liu.to, dimension: 'person' })
    const row = r.rows.find((x) => x.key === uid(org, 'liuyang'))?.values ?? {}
    const nc = liu.me.find((i) => i.kind === 'newCustomers')
    expect(nc?.done).toBe(row.newCustomers)
    expect(nc?.rate).toBe(Math.round(((nc?.done ?? 0) * 1000) / 4) / 10)

    const zhang = (await call('zhangwei', '/reports/progress')).body as Progress
    expect(zhang.me).toEqual([])
    expect(zhang.team?.items.find((i) => i.kind === 'newCustomers')?.target).toBe(10)
    expect(zhang.team?.items.find((i) => i.kind === 'contractAmount')?.target).toBe(500_00)
    // 黄丽 (another group, no targets): nothing to show, and no team figures for a rep.
    const huang = (await call('huangli', '/reports/progress')).body as Progress
    expect(huang.me).toEqual([])
  })
})

describe('targets import', () => {
  // Imports have a small per-person budget (5 at once); each call here gets an app of its own, so its own
  // in-memory budget, except where the test is about the budget.
  const upload = async (
    who: string,
    file: string | Uint8Array,
    query: Record<string, string>,
    on = testApp(database).app,
  ) => {
    const headers = await sessionHeader(org.tenantId, uid(org, who))
    const res = await on.request(`/api/v1/reports/targets/import?${new URLSearchParams(query)}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: (typeof file === 'string' ? new TextEncoder().encode(file) : file) as BodyInit,
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const listed = async (who: string, year: number) =>
    (
      (await call(who, `/reports/targets?year=${year}`)).body as {
        items: Array<{ subjectKind: string; subjectId: string; kind: string; month: string; value: number }>
      }
    ).items

  it('reads people by name and departments, months and quarters, money in yuan; a dry run writes nothing', async () => {
    const csv = [
      '人员,部门,月份,合同金额（元）,回款金额（元）,新增客户,拜访',
      '刘洋,,2031-03,"1,200.50",,4,',
      '陈静,,2031年4月,¥300,100,,12',
      ',销售部,2031-Q2,,,10,',
    ].join('\r\n')
    const dry = await upload('wangjianguo', csv, { format: 'csv', dryRun: 'true' })
    expect(dry.status, JSON.stringify(dry.body)).toBe(200)
    expect(dry.body).toEqual({ rows: 3, subjects: 3, saved: 8, dryRun: true })
    expect(await listed('wangjianguo', 2031)).toEqual([])

    const done = await upload('wangjianguo', csv, { format: 'csv', name: '2031目标.csv' })
    expect(done.body).toEqual({ rows: 3, subjects: 3, saved: 8, dryRun: false })
    const rows = await listed('wangjianguo', 2031)
    const of = (subjectId: string, kind: string) =>
      rows.filter((r) => r.subjectId === subjectId && r.kind === kind).map((r) => [r.month, r.value])
    expect(of(uid(org, 'liuyang'), 'contract_amount')).toEqual([['2031-03', 120_050]])
    expect(of(uid(org, 'liuyang'), 'new_customers')).toEqual([['2031-03', 4]])
    expect(of(uid(org, 'chenjing'), 'contract_amount')).toEqual([['2031-04', 30_000]])
    expect(of(uid(org, 'chenjing'), 'payment_amount')).toEqual([['2031-04', 10_000]])
    expect(of(uid(org, 'chenjing'), 'visits')).toEqual([['2031-04', 12]])
    // A quarter's 10 spread over its months, the remainder first.
    expect(of(org.departments.sales as string, 'new_customers')).toEqual([
      ['2031-04', 4],
      ['2031-05', 3],
      ['2031-06', 3],
    ])
    const audits = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.action, 'report.targets.import')))
    expect(audits).toHaveLength(1)

    // Again with new figures: the same keys are updated, not duplicated.
    const again = await upload('wangjianguo', '人员,月份,新增客户\n刘洋,2031-03,6\n', { format: 'csv' })
    expect(again.body).toMatchObject({ saved: 1 })
    expect(of(uid(org, 'liuyang'), 'new_customers')).toEqual([['2031-03', 4]])
    const after = await listed('wangjianguo', 2031)
    expect(after.filter((r) => r.subjectId === uid(org, 'liuyang') && r.kind === 'new_customers')).toEqual([
      expect.objectContaining({ month: '2031-03', value: 6 }),
    ])
  })

  it('reads XLSX with English headers', async () => {
    const wb = new ExcelJS.Workbook()
    const ws = wb.addWorksheet('targets')
    ws.addRow(['person', 'month', 'payment_amount', 'new_opportunities'])
    ws.addRow(['刘洋', '2032-01', '5000', '3'])
    const data = new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer)
    const res = await upload('zhangwei', data, { format: 'xlsx' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const got = (await listed('zhangwei', 2032)).map((r) => [r.kind, r.month, r.value])
    expect(got.sort()).toEqual([
      ['new_opportunities', '2032-01', 3],
      ['payment_amount', '2032-01', 500_000],
    ])
  })

  it('refuses a bad row naming its row and column, and writes nothing when one row is not allowed', async () => {
    const cases: Array<[string, string]> = [
      ['人员,月份,拜访\n刘洋,2033-13,5\n', 'rows.2.month'],
      ['人员,月份,拜访\n刘洋,2033-01,5\n无此人,2033-01,5\n', 'rows.3.person'],
      ['人员,月份,合同金额\n刘洋,2033-01,12.345\n', 'rows.2.contract_amount'],
      ['人员,月份,拜访\n刘洋,2033-01,-1\n', 'rows.2.visits'],
      ['人员,月份,拜访\n刘洋,2033-01,5\n刘洋,2033-Q1,9\n', 'rows.3.visits'],
      ['人员,月份\n刘洋,2033-01\n', 'file'],
      ['客户,月份,拜访\n刘洋,2033-01,5\n', 'file'],
      ['人员,月份,拜访\n', 'file'],
    ]
    for (const [csv, field] of cases) {
      const res = await upload('wangjianguo', csv, { format: 'csv' })
      expect(res.status, csv).toBe(400)
      expect((res.body as { error: { field: string } }).error.field, csv).toBe(field)
    }
    const xlsx = await upload('wangjianguo', 'not a zip', { format: 'xlsx' })
    expect(xlsx.status).toBe(400)
    // 张伟 manages 刘洋 but not 黄丽: the whole file is refused, 刘洋's row too.
    const mixed = await upload('zhangwei', '人员,月份,拜访\n刘洋,2033-02,5\n黄丽,2033-02,5\n', {
      format: 'csv',
    })
    expect(mixed.status).toBe(403)
    const rep = await upload('liuyang', '人员,月份,拜访\n刘洋,2033-02,5\n', { format: 'csv' })
    expect(rep.status).toBe(403)
    expect(await listed('wangjianguo', 2033)).toEqual([])
    // The sixth import at once on one app: 429, nothing read.
    const shared = testApp(database).app
    const statuses: number[] = []
    for (let i = 0; i < 6; i++)
      statuses.push((await upload('wangjianguo', '人员,月份,拜访\n', { format: 'csv' }, shared)).status)
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429])
  })
})

describe('bad input', () => {
  it('answers 400 naming the field, 404 for an unknown report', async () => {
    const cases: Array<[string, string]> = [
      [`/reports/customers-new?${new URLSearchParams({ from: to, to: from })}`, 'to'],
      [`/reports/customers-new?${new URLSearchParams({ from: dayFromNow(-800), to })}`, 'to'],
      [`/reports/customers-new?${new URLSearchParams({ from, to, dimension: 'colour' })}`, 'dimension'],
      [`/reports/customers-new?${new URLSearchParams({ from: '2026-02-30', to })}`, 'from'],
      [
        `/reports/customers-new?${new URLSearchParams({ from, to, departmentId: 'dep_nope' })}`,
        'departmentId',
      ],
      [`/reports/activity/records?${new URLSearchParams({ from, to, measure: 'profit' })}`, 'measure'],
    ]
    for (const [path, field] of cases) {
      const res = await call('wangjianguo', path)
      expect(res.status, path).toBe(400)
      expect((res.body as { error: { field: string } }).error.field, path).toBe(field)
    }
    const unknown = await call('wangjianguo', `/reports/profit?${new URLSearchParams({ from, to })}`)
    expect(unknown.status).toBe(404)
  })
})

describe('export', () => {
  it('writes the report as XLSX with numbers as numbers, and audits it', async () => {
    const res = await call(
      'zhangwei',
      `/reports/customers-new?${new URLSearchParams({ from, to, dimension: 'owner' })}`.replace(
        '/reports/customers-new?',
        '/reports/customers-new/export?',
      ),
    )
    expect(res.status).toBe(200)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(res.body as ArrayBuffer)
    const ws = wb.worksheets[0]
    const rows: unknown[][] = []
    ws?.eachRow((row) => rows.push((row.values as unknown[]).slice(1)))
    expect(rows[1]).toEqual(['负责人', '客户数'])
    expect(rows.slice(2)).toEqual([
      ['刘洋', 2],
      ['陈静', 1],
      ['合计', 3],
    ])
    const audits = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.action, 'report.export')))
    expect(audits).toHaveLength(1)
  })
})
