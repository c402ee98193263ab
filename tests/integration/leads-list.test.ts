import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addLeadFollowUp, createLead, listChannels } from '../../bot/domain/leads'
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
  const ctx = ctxAs(database, org, 'liuyang')
  const chans = await listChannels({ ctx })
  const expo = chans.find((c) => c.code === 'expo')?.id ?? ''
  const phone = chans.find((c) => c.code === 'phone')?.id ?? ''
  const a = await createLead({ ctx, input: { name: '列表甲', phone: '13300000001', channelId: expo } })
  await createLead({ ctx, input: { name: '列表乙', phone: '13300000002', channelId: phone } })
  await createLead({
    ctx: ctxAs(database, org, 'wangjianguo'),
    input: { name: '池中丙', phone: '13300000003', channelId: expo, ownerId: null },
  })
  await addLeadFollowUp({ ctx, leadId: a.lead?.id ?? '', input: { content: '联系过' } })
})
afterAll(async () => database.close())

const list = async (who: string, q: string) => {
  const res = await app.request(`/api/v1/crm/leads?${q}`, { headers: await bearer(org, who) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: Array<{ name: string }>; total: number }).items
    .map((l) => l.name)
    .sort()
}

describe('lead list', () => {
  it('filters by status, reached stage, channel, SLA state, pool and scope', async () => {
    const expo = (await listChannels({ ctx: ctxAs(database, org, 'liuyang') })).find(
      (c) => c.code === 'expo',
    )?.id
    expect(await list('liuyang', '')).toEqual(['列表乙', '列表甲', '池中丙'].sort())
    expect(await list('liuyang', 'status=contacted')).toEqual(['列表甲'])
    expect(await list('liuyang', 'reached=contacted')).toEqual(['列表甲'])
    expect(await list('liuyang', `channelId=${expo}`)).toEqual(['列表甲', '池中丙'].sort())
    expect(await list('liuyang', 'sla=pending')).toEqual(['列表乙'])
    expect(await list('liuyang', 'scope=pool')).toEqual(['池中丙'])
    expect(await list('chenjing', 'scope=owned')).toEqual([])
    const bad = await app.request('/api/v1/crm/leads?status=lost', { headers: await bearer(org, 'liuyang') })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('status')
  })

  it('exports the filtered list as CSV for those with crm.export only', async () => {
    const res = await app.request('/api/v1/crm/leads/export?scope=owned', {
      headers: await bearer(org, 'wangjianguo'),
    })
    expect(res.status).toBe(200)
    const text = new TextDecoder().decode(await res.arrayBuffer())
    expect(text).toContain('"姓名","公司","电话"')
    expect(text).toContain('列表甲')
    expect(text).not.toContain('池中丙')
    const rep = await app.request('/api/v1/crm/leads/export', { headers: await bearer(org, 'liuyang') })
    expect(rep.status).toBe(403)
  })
})
