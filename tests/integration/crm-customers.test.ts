import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { defineCustomField } from '../../bot/domain/crm/define-custom-field'
import { getFieldHistory } from '../../bot/domain/crm/get-field-history'
import { updateCustomer } from '../../bot/domain/crm/update-customer'
import type { Database } from '../../db/client'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

const post = async (who: string, path: string, body: unknown) =>
  app.request(`/api/v1/crm${path}`, {
    method: 'POST',
    headers: { ...(await bearer(org, who)), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
const get = async (who: string, path: string) =>
  app.request(`/api/v1/crm${path}`, { headers: await bearer(org, who) })

describe('createCustomer', () => {
  it('creates a customer with region codes completed from the district and a geo point', async () => {
    const res = await post('liuyang', '/customers', {
      name: '深圳市腾讯计算机系统有限公司',
      shortName: '腾讯',
      districtCode: '440305',
      lat: 22.5405,
      lng: 113.9345,
      tags: ['互联网', '重点'],
      phone: '0755-8601 3388',
    })
    expect(res.status).toBe(200)
    const c = (await res.json()) as Record<string, unknown>
    expect(c).toMatchObject({
      provinceCode: '440000',
      cityCode: '440300',
      districtCode: '440305',
      lat: 22.5405,
      phone: '075586013388',
      inPool: false,
    })
    expect(String(c.region)).toContain('南山区')
  })

  it('refuses an unknown region code or coordinates out of range with 400 naming the field, writing nothing', async () => {
    for (const [body, field] of [
      [{ name: '甲公司', districtCode: '999999' }, 'districtCode'],
      [{ name: '甲公司', provinceCode: '110000', cityCode: '440300' }, 'cityCode'],
      [{ name: '甲公司', provinceCode: '990000' }, 'provinceCode'],
      [{ name: '甲公司', provinceCode: '11' }, 'provinceCode'],
      [{ name: '甲公司', lat: 91, lng: 10 }, 'lat'],
      [{ name: '甲公司', lat: 10, lng: -181 }, 'lng'],
      [{ name: '甲公司', lat: 10 }, 'lng'],
      [{ name: '' }, 'name'],
      [{ name: '甲公司', creditCode: 'ABC' }, 'creditCode'],
    ] as const) {
      const res = await post('liuyang', '/customers', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field)
    }
    const list = (await (await get('liuyang', '/customers?q=甲公司')).json()) as { items: unknown[] }
    expect(list.items).toHaveLength(0)
  })

  it('tells a rep a duplicate exists and who owns it, without the other owner’s data', async () => {
    const first = await post('huangli', '/customers', {
      name: '北京字节跳动科技有限公司',
      creditCode: '91110000MA01AB2C3X',
      phone: '010-5825 0000',
      address: '北京市海淀区知春路甲48号',
    })
    expect(first.status).toBe(200)
    for (const body of [
      { name: '北京字节跳动科技 有限公司' },
      { name: '字节', creditCode: '91110000ma01ab2c3x' },
      { name: '字节二号', phone: '01058250000' },
    ]) {
      const res = await post('liuyang', '/customers', body)
      expect(res.status, JSON.stringify(body)).toBe(409)
      const err = (
        (await res.json()) as { error: { message: string; details: { duplicate: Record<string, unknown> } } }
      ).error
      expect(err.details.duplicate).toMatchObject({
        owner: { name: '黄丽', department: '华北销售组' },
        inPool: false,
        customerId: null,
      })
      const text = JSON.stringify(err)
      expect(text).not.toContain('知春路')
      expect(text).not.toContain('91110000MA01AB2C3X')
      expect(text).not.toContain('cus_')
    }
  })
})

describe('updateCustomer', () => {
  it('records every changed field in the history and validates custom fields by type', async () => {
    const admin = ctxAs(database, org, 'wangjianguo')
    await defineCustomField({
      ctx: admin,
      input: { key: 'annual_revenue', label: '年营收（万元）', type: 'number' },
    })
    await defineCustomField({
      ctx: admin,
      input: { key: 'level', label: '合作等级', type: 'select', options: ['战略', '普通'] },
    })
    const rep = ctxAs(database, org, 'chenjing')
    const c = await createCustomer({
      ctx: rep,
      input: { name: '杭州海康威视数字技术股份有限公司', industry: '安防' },
    })
    await expect(
      updateCustomer({ ctx: rep, customerId: c.id, input: { customFields: { level: '钻石' } } }),
    ).rejects.toMatchObject({ details: { field: 'customFields.level' } })
    await expect(
      updateCustomer({ ctx: rep, customerId: c.id, input: { customFields: { nope: 1 } } }),
    ).rejects.toMatchObject({ details: { field: 'customFields.nope' } })
    const updated = await updateCustomer({
      ctx: rep,
      customerId: c.id,
      input: {
        industry: '安防设备',
        tier: 'A',
        customFields: { annual_revenue: '8000', level: '战略' },
        version: c.version,
      },
    })
    expect(updated.customFields).toEqual({ annual_revenue: 8000, level: '战略' })
    expect(updated.version).toBe(c.version + 1)
    await expect(
      updateCustomer({ ctx: rep, customerId: c.id, input: { tier: 'B', version: c.version } }),
    ).rejects.toMatchObject({ code: 'conflict' })
    const history = await getFieldHistory({ ctx: rep, customerId: c.id })
    expect(history.map((h) => h.field).sort()).toEqual(['customFields', 'industry', 'ownerId', 'tier'])
    expect(history.find((h) => h.field === 'industry')).toMatchObject({
      oldValue: '安防',
      newValue: '安防设备',
      actor: { name: '陈静' },
    })
  })
})
