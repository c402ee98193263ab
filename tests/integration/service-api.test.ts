import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerExternalSystem } from '../../bot/domain/approvals/external/manage-systems'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { chinaDay } from '../../bot/domain/leads/rollup'
import { acceptTicket, createTicket, rateTicket, setTicketStatus } from '../../bot/domain/service'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { serviceTickets } from '../../db/schema'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, ctxAs, systemCtx, uid } from './crm-harness'
import { apiCall, type Json, signedCall } from './sales-harness'
import { serviceTenant } from './service-harness'

let database: Database
let org: CrmTenant
const storage = createMemoryStorage()
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await serviceTenant(database)
  app = testApp(database, { storage }).app
})
afterAll(async () => database.close())

const call = (key: string, method: string, path: string, body?: unknown) =>
  apiCall(app, org, key, method, path, body)

const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
])

describe('the service API', () => {
  it('creates, lists with filters, shows the timeline, and moves a ticket; 4xx name the field', async () => {
    const made = await call('zhangwei', 'POST', '/service/tickets', {
      subject: '冷水机报警',
      type: '故障',
      priority: 'high',
      ownerId: uid(org, 'chenjing'),
    })
    expect(made.status).toBe(200)
    expect(made.body.number).toMatch(/^GD-\d{4}-\d{4}$/)
    const id = made.body.id as string
    const bad = await call('zhangwei', 'POST', '/service/tickets', { subject: '', priority: 'asap' })
    expect(bad.status).toBe(400)
    expect(['subject', 'priority']).toContain(bad.body.error.field)
    const badType = await call('zhangwei', 'POST', '/service/tickets', { subject: 'x', type: '闲聊' })
    expect([badType.status, badType.body.error.field]).toEqual([400, 'type'])
    // A ticket's photos are objects stored for this tenant's tickets: not another tenant's, not a visit's.
    for (const key of [
      'ten_someoneelse/service/pho_01abc.png',
      `${org.tenantId}/visits/vis_01abc/pho_01abc.jpg`,
      `${org.tenantId}/service/../visits/pho_01abc.jpg`,
    ]) {
      const foreign = await call('zhangwei', 'POST', '/service/tickets', { subject: 'x', photos: ['', key] })
      expect([foreign.status, foreign.body.error.field]).toEqual([400, expect.stringMatching(/^photos/)])
      const alone = await call('zhangwei', 'POST', '/service/tickets', { subject: 'x', photos: [key] })
      expect([alone.status, alone.body.error.field]).toEqual([400, 'photos.0'])
    }
    const list = await call('chenjing', 'GET', '/service/tickets?status=open&ownerId=me&priority=high')
    expect(list.body.items.map((t: Json) => t.id)).toEqual([id])
    expect((await call('chenjing', 'GET', '/service/tickets?status=done')).body.error.field).toBe('status')
    expect((await call('huangli', 'GET', `/service/tickets/${id}`)).status).toBe(404)
    expect((await call('huangli', 'POST', `/service/tickets/${id}/accept`)).status).toBe(404)
    const accepted = await call('chenjing', 'POST', `/service/tickets/${id}/accept`)
    expect(accepted.body.ticket.status).toBe('in_progress')
    const noNote = await call('chenjing', 'POST', `/service/tickets/${id}/status`, { status: 'rejected' })
    expect([noNote.status, noNote.body.error.field]).toEqual([400, 'note'])
    const wrong = await call('chenjing', 'POST', `/service/tickets/${id}/status`, { status: 'closed' })
    expect(wrong.status).toBe(409)
    await call('chenjing', 'POST', `/service/tickets/${id}/comments`, { body: '已远程指导重启' })
    const resolved = await call('chenjing', 'POST', `/service/tickets/${id}/status`, {
      status: 'resolved',
      note: '传感器松动，已紧固',
    })
    expect(resolved.body.ticket.status).toBe('resolved')
    expect(resolved.body.timeline.map((e: Json) => e.kind)).toEqual([
      'created',
      'assigned',
      'status',
      'comment',
      'status',
    ])
    expect((await call('liuyang', 'PUT', '/service/settings', { lowRating: 1 })).status).toBe(403)
    const settings = await call('zhangwei', 'PUT', '/service/settings', { types: ['咨询', '故障', '巡检'] })
    expect(settings.body.types).toContain('巡检')
    const rule = await call('zhangwei', 'POST', '/service/rules', { name: '全部', members: [] })
    expect([rule.status, rule.body.error.field]).toEqual([400, 'members'])
  })

  it('the signed external intake is idempotent; an unsigned call is refused', async () => {
    const reg = await registerExternalSystem({
      ctx: systemCtx(database, org),
      input: { name: '400 热线', webhookUrl: 'https://hotline.example/hook' },
    })
    const system = { id: reg.system.id, secret: reg.secret }
    const body = { subject: '热线：电梯困人', type: '故障', priority: 'urgent' }
    const first = await signedCall(app, system, 'POST', '/external/service/tickets', body, {
      'idempotency-key': 'CALL-9',
    })
    const again = await signedCall(app, system, 'POST', '/external/service/tickets', body, {
      'idempotency-key': 'CALL-9',
    })
    expect([first.status, again.status]).toEqual([201, 200])
    expect(again.body.ticket.id).toBe(first.body.ticket.id)
    expect(first.body.ticket.channel).toBe('api')
    const noKey = await signedCall(app, system, 'POST', '/external/service/tickets', body)
    expect([noKey.status, noKey.body.error.field]).toEqual([400, 'externalId'])
    const unsigned = await app.request('/api/v1/external/service/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(unsigned.status).toBe(401)
  })
})

describe('the public form and device QR codes', () => {
  it('a customer scans a device code, sends photos, gets a number and a status link showing only that ticket', async () => {
    const customer = await createCustomer({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '扫码客户有限公司' },
    })
    expect((await call('liuyang', 'POST', '/service/codes', { label: '1号机' })).status).toBe(403)
    const codes = await call('zhangwei', 'GET', '/service/codes')
    expect(codes.body.items.some((c: Json) => c.customerId === null)).toBe(true)
    const made = await call('zhangwei', 'POST', '/service/codes', {
      label: '1号空压机',
      customerId: customer.id,
      deviceLabel: 'SN-0001',
    })
    const code = made.body.code as string
    const page = await app.request(`/s/${code}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('SN-0001')
    expect(html).not.toContain('扫码客户有限公司')
    const form = () => {
      const f = new FormData()
      f.set('name', '王师傅')
      f.set('phone', '13900001111')
      f.set('subject', '空压机不启动')
      f.set('type', '故障')
      return f
    }
    const notImage = form()
    notImage.append(
      'photos',
      new File([new TextEncoder().encode('<?php echo 1; ?>')], 'a.jpg', { type: 'image/jpeg' }),
    )
    const refused = await app.request(`/s/${code}`, {
      method: 'POST',
      body: notImage,
      headers: { 'x-forwarded-for': '10.0.0.1' },
    })
    expect(refused.status).toBe(400)
    const refusedHtml = await refused.text()
    expect(refusedHtml).toContain('data-field="photos.0"')
    expect(refusedHtml).toContain('请上传 JPEG、PNG、WebP 或 HEIC 图片')
    const good = form()
    good.append('photos', new File([PNG], 'p.png', { type: 'application/octet-stream' }))
    const sent = await app.request(`/s/${code}`, {
      method: 'POST',
      body: good,
      headers: { 'x-forwarded-for': '10.0.0.2' },
    })
    expect(sent.status).toBe(303)
    const statusPath = sent.headers.get('location') ?? ''
    expect(statusPath).toMatch(/^\/s\/t\/st_/)
    const [row] = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.customerId, customer.id))
    expect([row?.channel, row?.deviceLabel, row?.photos.length]).toEqual(['qr', 'SN-0001', 1])
    expect((await storage.head(row?.photos[0] ?? ''))?.contentType).toBe('image/png')
    const status = await app.request(statusPath, { headers: { accept: 'application/json' } })
    const view = (await status.json()) as Json
    expect(view.subject).toBe('空压机不启动')
    expect(JSON.stringify(view)).not.toContain('13900001111')
    expect((await app.request(`${statusPath.slice(0, -3)}abc`)).status).toBe(404)
    const rateEarly = await app.request(statusPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rating: 5 }),
    })
    expect(rateEarly.status).toBe(409)
  })

  it('a filled honeypot and a flood from one address answer 202 and store nothing', async () => {
    const codes = await call('zhangwei', 'GET', '/service/codes')
    const code = codes.body.items.find((c: Json) => c.customerId === null).code as string
    const post = (extra: Record<string, string>, ip: string) =>
      app.request(`/s/${code}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ name: '访客', phone: '13800000000', subject: '咨询保修', ...extra }),
      })
    const before = (
      await database.db.select().from(serviceTickets).where(eq(serviceTickets.tenantId, org.tenantId))
    ).length
    expect((await post({ website: 'http://spam' }, '10.1.0.1')).status).toBe(202)
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) statuses.push((await post({}, '10.1.0.2')).status)
    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201])
    expect(statuses.slice(5)).toEqual([202, 202])
    const after = (
      await database.db.select().from(serviceTickets).where(eq(serviceTickets.tenantId, org.tenantId))
    ).length
    expect(after - before).toBe(5)
    // At once (the submissions share a transaction): still five per address, each address on its own.
    const burst: number[] = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        Promise.resolve(post({}, i % 2 ? '10.1.0.4' : '10.1.0.5')).then((r) => r.status),
      ),
    )
    for (const odd of [0, 1]) {
      const mine = burst.filter((_, i) => i % 2 === odd)
      expect([mine.filter((s) => s === 201).length, mine.filter((s) => s === 202).length]).toEqual([5, 2])
    }
    const afterBurst = (
      await database.db.select().from(serviceTickets).where(eq(serviceTickets.tenantId, org.tenantId))
    ).length
    expect(afterBurst - after).toBe(10)
    const missing = await post({ subject: '' }, '10.1.0.3')
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as Json).error.field).toBe('subject')
    expect((await app.request('/s/sf_doesnotexist00')).status).toBe(404)
  })
})

describe('service reports', () => {
  it('volume, open, breach rate, first response, MTTR and satisfaction by engineer, in the caller’s scope', async () => {
    const own = await serviceTenant(database)
    const mgr = ctxAs(database, own, 'zhangwei')
    const mk = async (key: string, subject: string, rating: number | null) => {
      const t0 = await createTicket({ ctx: mgr, input: { subject, ownerId: uid(own, key) } })
      if (rating === null) return t0
      await acceptTicket({ ctx: ctxAs(database, own, key), ticketId: t0.id })
      await setTicketStatus({
        ctx: ctxAs(database, own, key),
        ticketId: t0.id,
        input: { status: 'resolved', note: '好' },
      })
      await rateTicket({ ctx: mgr, ticketId: t0.id, input: { rating } })
      return t0
    }
    await mk('liuyang', 'a', 5)
    await mk('liuyang', 'b', 4)
    await mk('chenjing', 'c', null)
    const today = chinaDay(new Date())
    const get = async (who: string, params: Record<string, string>) => {
      const res = await apiCall(
        app,
        own,
        who,
        'GET',
        `/reports/service-tickets?${new URLSearchParams({ from: today, to: today, ...params })}`,
      )
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return res.body as {
        rows: Array<{ label: string; values: Record<string, number | null> }>
        totals: Json
      }
    }
    const byOwner = await get('zhangwei', { dimension: 'owner' })
    const fig = (m: string) => Object.fromEntries(byOwner.rows.map((r) => [r.label, r.values[m]]))
    expect(fig('tickets')).toEqual({ 刘洋: 2, 陈静: 1 })
    expect(fig('open')).toEqual({ 刘洋: 0, 陈静: 1 })
    expect(fig('satisfaction')).toEqual({ 刘洋: 4.5, 陈静: null })
    expect(fig('breachRate')).toEqual({ 刘洋: 0, 陈静: null })
    expect(byOwner.totals.tickets).toBe(3)
    expect(typeof fig('mttr').刘洋).toBe('number')
    const mine = await get('liuyang', { dimension: 'owner' })
    expect(mine.rows.map((r) => r.label)).toEqual(['刘洋'])
    const drill = await apiCall(
      app,
      own,
      'zhangwei',
      'GET',
      `/reports/service-tickets/records?${new URLSearchParams({ from: today, to: today, dimension: 'owner', value: uid(own, 'chenjing'), measure: 'open' })}`,
    )
    expect(drill.body.items.map((r: Json) => r.kind)).toEqual(['service_ticket'])
  })
})
