import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerExternalSystem } from '../../bot/domain/approvals/external/manage-systems'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { chinaDay } from '../../bot/domain/leads/rollup'
import {
  acceptTicket,
  createTicket,
  findIntakeCode,
  INTAKE_CODE_TTL_MS,
  rateTicket,
  setTicketStatus,
} from '../../bot/domain/service'
import { SERVICE_PHOTO_LINK } from '../../bot/http/routes/service-schemas'
import { signBlobLink, signObjectLink } from '../../bot/lib/storage/signed-link'
import { createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { serviceIntakeCodes, servicePhotos, serviceTickets } from '../../db/schema'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, ctxAs, systemCtx, uid } from './crm-harness'
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

const uploadPhoto = async (key: string, data: Uint8Array) => {
  const res = await app.request('/api/v1/service/photos', {
    method: 'POST',
    headers: { ...(await bearer(org, key)), 'content-type': 'image/png' },
    body: data as Uint8Array<ArrayBuffer>,
  })
  return { status: res.status, body: (await res.json()) as Json }
}

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
    // Deliveries arriving together share a transaction; a redelivery among them opens nothing more.
    const burst = await Promise.all(
      [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6].map((n) =>
        signedCall(app, system, 'POST', '/external/service/tickets', {
          ...body,
          subject: `热线批量 ${n}`,
          externalId: `BURST-${n}`,
        }),
      ),
    )
    expect(burst.filter((r) => r.status === 201).length).toBe(6)
    expect(burst.filter((r) => r.status === 200).length).toBe(6)
    for (let n = 0; n < 6; n++) expect(burst[n + 6]?.body.ticket.id).toBe(burst[n]?.body.ticket.id)
    const stored = await database.db
      .select({ id: serviceTickets.id, number: serviceTickets.number })
      .from(serviceTickets)
      .where(eq(serviceTickets.externalSystem, system.id))
    expect(stored.length).toBe(1 + 6)
    expect(new Set(stored.map((t) => t.number)).size).toBe(7)
    // An external system puts only photos it uploaded itself on a ticket: not a person's upload.
    const upload = await uploadPhoto('zhangwei', PNG)
    const foreign = await signedCall(app, system, 'POST', '/external/service/tickets', {
      ...body,
      externalId: 'CALL-10',
      photos: [upload.body.key],
    })
    expect([foreign.status, foreign.body.error.field]).toEqual([400, 'photos.0'])
  })

  it('a photo opens only by its own signed link; a ticket takes only photos its caller uploaded, once', async () => {
    const up = await uploadPhoto('zhangwei', PNG)
    expect(up.status).toBe(200)
    const key = up.body.key as string
    expect(key).toMatch(new RegExp(`^${org.tenantId}/service/pho_[0-9a-z]+\\.png$`))
    const notImage = await uploadPhoto('zhangwei', new TextEncoder().encode('<svg onload=alert(1)>'))
    expect([notImage.status, notImage.body.error.field]).toEqual([400, 'photos.0'])
    // Another person of the tenant cannot put this upload on their ticket.
    const stolen = await call('chenjing', 'POST', '/service/tickets', { subject: '借用照片', photos: [key] })
    expect([stolen.status, stolen.body.error.field, stolen.body.error.message]).toEqual([
      400,
      'photos.0',
      expect.stringContaining('uploaded by someone else'),
    ])
    const made = await call('zhangwei', 'POST', '/service/tickets', { subject: '外壳破裂', photos: [key] })
    expect(made.status).toBe(200)
    expect(made.body.photos).toEqual([
      { key, url: expect.stringMatching(/^\/api\/v1\/service\/photos\/o1\./) },
    ])
    const url = made.body.photos[0].url as string
    // No session needed: the link itself is the grant, for this photo only.
    const got = await app.request(url)
    expect([got.status, got.headers.get('content-type')]).toEqual([200, 'image/png'])
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(PNG)
    const detail = await call('zhangwei', 'GET', `/service/tickets/${made.body.id}`)
    expect(detail.body.ticket.photos.map((p: Json) => p.key)).toEqual([key])
    const listed = await call('zhangwei', 'GET', `/service/tickets?q=${encodeURIComponent('外壳破裂')}`)
    expect(listed.body.items[0].photos[0].url).toMatch(/^\/api\/v1\/service\/photos\/o1\./)
    // The same key on a second ticket, by the same person: refused (and nothing written).
    const before = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, org.tenantId))
    const reused = await call('zhangwei', 'POST', '/service/tickets', { subject: '再用一次', photos: [key] })
    expect([reused.status, reused.body.error.field, reused.body.error.message]).toEqual([
      400,
      'photos.0',
      expect.stringContaining('already on another ticket'),
    ])
    const twice = await uploadPhoto('zhangwei', PNG)
    const dup = await call('zhangwei', 'POST', '/service/tickets', {
      subject: '两次',
      photos: [twice.body.key, twice.body.key],
    })
    expect([dup.status, dup.body.error.field]).toEqual([400, 'photos.1'])
    const made2 = await call('zhangwei', 'POST', '/service/tickets', {
      subject: '整机',
      photos: [twice.body.key],
    })
    expect(made2.status).toBe(200)
    const after = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, org.tenantId))
    expect(after.length).toBe(before.length + 1)
    // A changed link, a link of another photo's key with this signature, an expired link: 403.
    const token = url.slice('/api/v1/service/photos/'.length)
    const [v, t, k, exp, sig] = token.split('.') as [string, string, string, string, string]
    const otherKey = Buffer.from(made2.body.photos[0].key).toString('base64url')
    const flip = (x: string) => (x.startsWith('A') ? `B${x.slice(1)}` : `A${x.slice(1)}`)
    for (const bad of [
      [v, t, otherKey, exp, sig],
      [v, t, k, String(Number(exp) + 3600), sig],
      [v, t, k, exp, flip(sig)],
      [v, Buffer.from('ten_other').toString('base64url'), k, exp, sig],
    ]) {
      const res = await app.request(`/api/v1/service/photos/${bad.join('.')}`)
      expect(res.status).toBe(403)
    }
    const old = await signObjectLink(
      TEST_SESSION_SECRET,
      SERVICE_PHOTO_LINK,
      org.tenantId,
      key,
      Math.floor(Date.now() / 1000) - 3 * 3600,
    )
    const expired = await app.request(`/api/v1/service/photos/${old}`)
    expect([expired.status, (await expired.json()).error.message]).toEqual([
      403,
      expect.stringContaining('expired'),
    ])
    // A folder link (the visits' kind) for the tenant's service photos opens nothing.
    const folder = await signBlobLink(TEST_SESSION_SECRET, `${org.tenantId}/service/`)
    expect((await app.request(`/api/v1/crm/files/${folder}/${key.split('/').pop()}`)).status).toBe(404)
    expect((await app.request(`/api/v1/service/photos/${folder}`)).status).toBe(403)
  })
})

describe('the public form and device QR codes', () => {
  it('a code is read once per 5 s; switching it off here stops it at once, elsewhere within 5 s', async () => {
    const made = await call('zhangwei', 'POST', '/service/codes', { label: '缓存测试机' })
    const code = made.body.code as string
    const t0 = new Date('2030-01-07T02:00:00Z')
    const at = (ms: number) => new Date(t0.getTime() + ms)
    expect((await findIntakeCode(database, code, t0)).label).toBe('缓存测试机')
    // Switched off by another process (straight in the database): this one keeps the code it read for 5 s.
    const off = (active: boolean) =>
      database.db.update(serviceIntakeCodes).set({ active }).where(eq(serviceIntakeCodes.code, code))
    await off(false)
    expect((await findIntakeCode(database, code, at(INTAKE_CODE_TTL_MS - 1))).label).toBe('缓存测试机')
    await expect(findIntakeCode(database, code, at(INTAKE_CODE_TTL_MS))).rejects.toThrow(/service form/)
    // A code that was off is never remembered as off.
    await off(true)
    expect((await findIntakeCode(database, code, at(INTAKE_CODE_TTL_MS))).label).toBe('缓存测试机')
    // Switched off through the API in this process: gone at once, inside the 5 s.
    const patched = await call('zhangwei', 'PATCH', `/service/codes/${made.body.id}`, { active: false })
    expect([patched.status, patched.body.active]).toEqual([200, false])
    await expect(findIntakeCode(database, code, at(INTAKE_CODE_TTL_MS + 1))).rejects.toThrow(/service form/)
    expect((await app.request(`/s/${code}`)).status).toBe(404)
    expect((await call('chenjing', 'PATCH', `/service/codes/${made.body.id}`, { active: true })).status).toBe(
      403,
    )
    const on = await call('zhangwei', 'PATCH', `/service/codes/${made.body.id}`, { active: true })
    expect(on.body.active).toBe(true)
    // A settings change here reaches the form at once (the code is read with its tenant's settings).
    expect((await findIntakeCode(database, code, at(INTAKE_CODE_TTL_MS + 2))).types).not.toContain('保养')
    const settings = await call('zhangwei', 'GET', '/service/settings')
    await call('zhangwei', 'PUT', '/service/settings', { types: [...settings.body.types, '保养'] })
    expect((await findIntakeCode(database, code, at(INTAKE_CODE_TTL_MS + 3))).types).toContain('保养')
  })

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
    // The form's photo is on its ticket at once: no API caller can take it for another.
    const owned = await database.db
      .select()
      .from(servicePhotos)
      .where(eq(servicePhotos.key, row?.photos[0] ?? ''))
    expect(owned.map((p) => [p.tenantId, p.ticketId, p.uploadedBy])).toEqual([[org.tenantId, row?.id, null]])
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

  it('the form read from its bytes: a multipart honeypot is spam, a broken body names the body, an oversized one is refused unread', async () => {
    const codes = await call('zhangwei', 'GET', '/service/codes')
    const code = codes.body.items.find((c: Json) => c.customerId === null).code as string
    const count = async () =>
      (await database.db.select().from(serviceTickets).where(eq(serviceTickets.tenantId, org.tenantId)))
        .length
    const before = await count()
    const f = new FormData()
    f.set('name', '访客')
    f.set('phone', '13800000000')
    f.set('subject', '咨询保修')
    f.set('website', 'http://spam')
    f.append('photos', new File([PNG], 'p.png'))
    const spam = await app.request(`/s/${code}`, {
      method: 'POST',
      body: f,
      headers: { 'x-forwarded-for': '10.2.0.1' },
    })
    expect(spam.status).toBe(202)
    // A field sent twice reads as missing; the error page names it.
    const twice = new FormData()
    twice.set('name', '访客')
    twice.set('phone', '13800000000')
    twice.append('subject', '一')
    twice.append('subject', '二')
    const dup = await app.request(`/s/${code}`, {
      method: 'POST',
      body: twice,
      headers: { 'x-forwarded-for': '10.2.0.2' },
    })
    expect(dup.status).toBe(400)
    expect(await dup.text()).toContain('data-field="subject"')
    const broken = await app.request(`/s/${code}`, {
      method: 'POST',
      body: '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n访客',
      headers: { 'content-type': 'multipart/form-data; boundary=b', 'x-forwarded-for': '10.2.0.3' },
    })
    expect(broken.status).toBe(400)
    expect(((await broken.json()) as Json).error.field).toBe('body')
    const huge = await app.request(`/s/${code}`, {
      method: 'POST',
      body: 'x',
      headers: {
        'content-type': 'multipart/form-data; boundary=b',
        'content-length': String(16 * 1024 * 1024),
        'x-forwarded-for': '10.2.0.4',
      },
    })
    expect(huge.status).toBe(413)
    expect(((await huge.json()) as Json).error.code).toBe('payload_too_large')
    expect(await count()).toBe(before)
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
