import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listContacts } from '../../bot/domain/crm/add-contact'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { runImport } from '../../bot/domain/crm/run-import'
import { searchCustomers } from '../../bot/domain/crm/search-customers'
import { parseXlsx, toXlsx } from '../../bot/domain/crm/spreadsheet'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { lyingBomb } from '../helpers/xlsx-bomb'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
  await createCustomer({ ctx: ctxAs(database, org, 'huangli'), input: { name: '已存在的客户有限公司' } })
})
afterAll(async () => database.close())

const upload = async (query: string, body: string | Uint8Array, who = 'liuyang') =>
  app.request(`/api/v1/crm/imports?${query}`, {
    method: 'POST',
    headers: { ...(await bearer(org, who)), 'content-type': 'application/octet-stream' },
    body: body as BodyInit,
  })

interface Job {
  id: string
  status: string
  totalRows: number
  okRows: number
  errorRows: number
  errors: Array<{ row: number; field: string; message: string }>
}

const CSV = [
  '客户名称,简称,统一社会信用代码,电话,行业,省份代码,城市代码,区县代码,纬度,经度,标签',
  '"苏州工业园区""新""科技有限公司",苏新,,0512-6666 8888,制造,,,320571,31.3,120.7,重点;制造',
  '无锡药明康德新药开发股份有限公司,药明,,,,,,,,,',
  '错误区县有限公司,,,,,,,999999,,,',
  '无锡药明康德新药开发股份有限公司,,,,,,,,,,',
  '已存在的客户有限公司,,,,,,,,,,',
  '坐标错误有限公司,,,,,,,,95,120,',
  ',,,,,,,,,,',
].join('\r\n')

describe('import and export', () => {
  it('imports valid rows and reports each invalid row with its number, field and reason', async () => {
    const res = await upload('entity=customers&format=csv&name=customers.csv', CSV)
    expect(res.status).toBe(200)
    const job = (await res.json()) as Job
    expect(job).toMatchObject({ status: 'pending', totalRows: 6 })
    const progress: number[] = []
    await runImport({
      ctx: ctxAs(database, org, 'liuyang'),
      jobId: job.id,
      onProgress: (n) => progress.push(n),
    })
    expect(progress.at(-1)).toBe(6)
    const done = (await (
      await app.request(`/api/v1/crm/imports/${job.id}`, { headers: await bearer(org, 'liuyang') })
    ).json()) as Job
    expect(done).toMatchObject({ status: 'done', okRows: 2, errorRows: 4 })
    expect(done.errors.map((e) => [e.row, e.field])).toEqual([
      [4, 'districtCode'],
      [5, 'name'],
      [6, 'name'],
      [7, 'lat'],
    ])
    expect(JSON.stringify(done.errors)).not.toContain('黄丽')
    const hits = await searchCustomers({ ctx: ctxAs(database, org, 'liuyang'), input: { q: 'szgy' } })
    expect(hits.map((h) => h.name)).toEqual(['苏州工业园区"新"科技有限公司'])
    // Another user cannot read someone's import job.
    expect(
      (await app.request(`/api/v1/crm/imports/${job.id}`, { headers: await bearer(org, 'chenjing') })).status,
    ).toBe(404)
  })

  it('atomic mode: one bad row and nothing lands', async () => {
    const csv = 'name,district_code\n原子导入甲有限公司,110101\n原子导入乙有限公司,12345x\n'
    const job = (await (await upload('entity=customers&format=csv&mode=atomic', csv)).json()) as Job
    const r = await runImport({ ctx: ctxAs(database, org, 'liuyang'), jobId: job.id })
    expect(r).toMatchObject({ status: 'failed', okRows: 0, errorRows: 1 })
    expect(
      await searchCustomers({ ctx: ctxAs(database, org, 'liuyang'), input: { q: '原子导入' } }),
    ).toHaveLength(0)
  })

  it('imports contacts from XLSX onto customers the importer may edit', async () => {
    const file = await toXlsx(
      'contacts',
      ['客户名称', '姓名', '职务', '电话', '决策角色'],
      [
        ['无锡药明康德新药开发股份有限公司', '李娜', '采购总监', '13800001111', 'decision_maker'],
        ['已存在的客户有限公司', '张三', '', '', ''],
        ['无锡药明康德新药开发股份有限公司', '', '', '', ''],
        ['无锡药明康德新药开发股份有限公司', '王五', '', '', 'boss'],
      ],
    )
    const job = (await (await upload('entity=contacts&format=xlsx', file)).json()) as Job
    const r = await runImport({ ctx: ctxAs(database, org, 'liuyang'), jobId: job.id })
    expect(r).toMatchObject({ status: 'done', okRows: 1, errorRows: 3 })
    const [wuxi] = await searchCustomers({ ctx: ctxAs(database, org, 'liuyang'), input: { q: '李娜' } })
    expect(wuxi?.name).toBe('无锡药明康德新药开发股份有限公司')
    const people = await listContacts({ ctx: ctxAs(database, org, 'liuyang'), customerId: wuxi?.id ?? '' })
    expect(people.map((p) => [p.name, p.decisionRole])).toEqual([['李娜', 'decision_maker']])
  })

  it('refuses a file without the required column, or not a spreadsheet, with 400 and no job', async () => {
    const a = await upload('entity=customers&format=csv', 'foo,bar\n1,2\n')
    expect(a.status).toBe(400)
    expect(((await a.json()) as { error: { field: string } }).error.field).toBe('file')
    const b = await upload('entity=customers&format=xlsx', 'not a zip')
    expect(b.status).toBe(400)
    const c = await upload('entity=people&format=csv', 'name\nx\n')
    expect(c.status).toBe(400)
  })

  it('refuses a zip bomb whose directory lies about its sizes with 400 naming the file, writing nothing', async () => {
    const before = await database.rows<{ n: number }>(sql`select count(*)::int as n from crm_import_jobs`)
    const bomb = await lyingBomb()
    const res = await upload('entity=customers&format=xlsx&name=bomb.xlsx', bomb, 'huangli')
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; field: string; message: string } }
    expect(body.error).toMatchObject({ code: 'invalid_input', field: 'file' })
    expect(body.error.message).toMatch(/^bomb\.xlsx: not an acceptable XLSX file: compression ratio/)
    const after = await database.rows<{ n: number }>(sql`select count(*)::int as n from crm_import_jobs`)
    expect(after[0]?.n).toBe(before[0]?.n)
  })

  it('exports XLSX that the import reads back', async () => {
    const res = await app.request('/api/v1/crm/export?entity=customers&format=xlsx', {
      headers: await bearer(org, 'liuyang'),
    })
    expect(res.status).toBe(200)
    const sheet = await parseXlsx(new Uint8Array(await res.arrayBuffer()))
    expect(sheet.headers[0]).toBe('客户名称')
    expect(sheet.rows.map((r) => r[0]).sort()).toEqual([
      '无锡药明康德新药开发股份有限公司',
      '苏州工业园区"新"科技有限公司',
    ])
  })

  it('exports CSV with formula-looking cells defused, so a spreadsheet opens them as text', async () => {
    await createCustomer({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '=HYPERLINK("http://127.0.0.1/x","点我")', phone: '+15550100' },
    })
    const res = await app.request('/api/v1/crm/export?entity=customers&format=csv', {
      headers: await bearer(org, 'liuyang'),
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain(`"'=HYPERLINK(""http://127.0.0.1/x"",""点我"")"`)
    expect(text).toContain(`"'+15550100"`)
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m)
  })
})
