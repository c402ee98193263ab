import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../bot/app'
import { createTemplate } from '../../bot/domain/approvals/create-template'
import { createContract } from '../../bot/domain/contracts'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { getCustomerCard } from '../../bot/domain/crm/get-customer-card'
import { parseEnv } from '../../bot/env'
import { systemClock } from '../../bot/lib/clock'
import { createLogger } from '../../bot/lib/logger'
import { type BlobStorage, createMemoryStorage } from '../../bot/lib/storage/types'
import type { Database } from '../../db/client'
import { approvalFiles, approvalInstances } from '../../db/schema'
import { InlineQueue } from '../../jobs/drivers/inline'
import { TEST_SESSION_SECRET } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'
import { type ApprovalsTenant, approvalsTenant, ctxAs, silent, uid } from './approvals-harness'

/** Form fields that point elsewhere: CRM customers (existence and data scope) and uploaded files. */
let database: Database
let org: ApprovalsTenant
let other: ApprovalsTenant
let storage: BlobStorage
let app: ReturnType<typeof createApp>
let ownCustomer = ''
let foreignCustomer = ''
let ownContract = ''
let foreignContract = ''

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
const PDF = new TextEncoder().encode('%PDF-1.4\n% test\n')

beforeAll(async () => {
  database = await openTestDatabase()
  org = await approvalsTenant(database)
  other = await approvalsTenant(database)
  storage = createMemoryStorage()
  app = createApp({
    env: parseEnv({ LOG_LEVEL: 'silent' }),
    database,
    queue: new InlineQueue(),
    logger: createLogger('silent'),
    clock: systemClock,
    sessionSecret: TEST_SESSION_SECRET,
    storage,
  })
  const sys = {
    tenantId: org.tenantId,
    actor: { kind: 'system' as const, reason: 'test' },
    db: database.db,
    clock: systemClock,
    logger: silent,
  }
  await createTemplate({
    ctx: sys,
    input: {
      key: 'deal-review',
      name: '客户方案评审',
      form: [
        { key: 'customer', label: '客户', type: 'customer', required: true },
        { key: 'contract', label: '合同', type: 'contract' },
        { key: 'files', label: '附件', type: 'attachment' },
        { key: 'photos', label: '现场照片', type: 'image' },
      ],
      flow: {
        nodes: [
          { id: 'start', type: 'start', next: 'mgr' },
          {
            id: 'mgr',
            type: 'approval',
            name: '经理审批',
            mode: 'any',
            approvers: { kind: 'users', userIds: [uid(org, 'zhangwei')] },
            next: 'end',
          },
          { id: 'end', type: 'end' },
        ],
      },
    },
  })
  // liuyang and chenjing are sales reps with the `self` data scope: each sees only their own customers.
  ownCustomer = (
    await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '中国银行上海分行' } })
  ).id
  foreignCustomer = (
    await createCustomer({ ctx: ctxAs(database, org, 'chenjing'), input: { name: '招商银行杭州分行' } })
  ).id
  ownContract = (
    await createContract({
      ctx: ctxAs(database, org, 'liuyang'),
      input: { name: '网点改造', customerId: ownCustomer, amountCents: 100 },
    })
  ).id
  foreignContract = (
    await createContract({
      ctx: ctxAs(database, org, 'chenjing'),
      input: { name: '网点改造', customerId: foreignCustomer, amountCents: 100 },
    })
  ).id
})
afterAll(async () => database?.close())

async function api(tenant: ApprovalsTenant, key: string, method: string, path: string, body?: unknown) {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: {
      ...(await sessionHeader(tenant.tenantId, uid(tenant, key))),
      'content-type': 'application/json',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return {
    status: res.status,
    json: JSON.parse(text || '{}') as Record<string, unknown> & { error?: { field?: string; code: string } },
  }
}

async function upload(tenant: ApprovalsTenant, key: string, name: string, type: string, data: Uint8Array) {
  const res = await app.request(`/api/v1/approvals/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { ...(await sessionHeader(tenant.tenantId, uid(tenant, key))), 'content-type': type },
    body: new Blob([data as Uint8Array<ArrayBuffer>]),
  })
  return {
    status: res.status,
    json: (await res.json()) as { key: string; name: string; size: number; error?: { field?: string } },
  }
}

const count = async () =>
  (await database.db.select().from(approvalInstances).where(eq(approvalInstances.tenantId, org.tenantId)))
    .length

describe('approval form references to CRM records', () => {
  it('accepts a customer inside the initiator’s scope and lists the approval on the customer card', async () => {
    const res = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: ownCustomer, contract: ownContract },
    })
    expect(res.status).toBe(201)
    expect(res.json.form).toMatchObject({ customer: ownCustomer, contract: ownContract })
    // The detail shows the customer by name, not by id.
    expect(res.json.formLabels).toEqual({ customer: '中国银行上海分行' })
    const card = await getCustomerCard({ ctx: ctxAs(database, org, 'liuyang'), customerId: ownCustomer })
    expect(card.approvals.map((a) => a.id)).toEqual([res.json.id])
    expect(card.approvals[0]).toMatchObject({ templateKey: 'deal-review', status: 'pending' })
    // The approver sees it too; the sales director sees the customer but may not open the request, so the
    // card does not list it.
    const approver = await getCustomerCard({ ctx: ctxAs(database, org, 'zhangwei'), customerId: ownCustomer })
    expect(approver.approvals.map((a) => a.id)).toEqual([res.json.id])
    const director = await getCustomerCard({ ctx: ctxAs(database, org, 'liming'), customerId: ownCustomer })
    expect(director.approvals).toEqual([])
    expect((await api(org, 'liming', 'GET', `/approvals/instances/${res.json.id}`)).status).toBe(404)
    // Through the API the card reads in the caller's language: the request's title and the owner's name.
    const read = async (lang: string) => {
      const r = await app.request(`/api/v1/crm/customers/${ownCustomer}/card`, {
        headers: { ...(await sessionHeader(org.tenantId, uid(org, 'liuyang'))), 'accept-language': lang },
      })
      expect(r.status).toBe(200)
      return (await r.json()) as {
        customer: { owner: { name: string } | null }
        approvals: Array<{ title: string; initiator: { name: string } }>
      }
    }
    const zh = await read('zh-CN')
    expect(zh.approvals[0]).toMatchObject({ title: '刘洋的客户方案评审', initiator: { name: '刘洋' } })
    expect(zh.customer.owner?.name).toBe('刘洋')
    const en = await read('en')
    expect(en.approvals[0]).toMatchObject({
      title: '客户方案评审 request from Yang Liu',
      initiator: { name: 'Yang Liu' },
    })
    expect(en.customer.owner?.name).toBe('Yang Liu')
  })

  it('answers 404 naming the field for a customer outside the scope, of another tenant, or unknown — writing nothing', async () => {
    const before = await count()
    const theirs = (
      await createCustomer({ ctx: ctxAs(database, other, 'liuyang'), input: { name: '外租户客户' } })
    ).id
    for (const id of [foreignCustomer, theirs, 'cus_nope']) {
      const res = await api(org, 'liuyang', 'POST', '/approvals/instances', {
        templateKey: 'deal-review',
        form: { customer: id },
      })
      expect(res.status, id).toBe(404)
      expect(res.json.error?.field).toBe('form.customer')
    }
    for (const id of [foreignContract, 'ctr_nope']) {
      const res = await api(org, 'liuyang', 'POST', '/approvals/instances', {
        templateKey: 'deal-review',
        form: { customer: ownCustomer, contract: id },
      })
      expect(res.status, id).toBe(404)
      expect(res.json.error?.field).toBe('form.contract')
    }
    // The owner of the other customer may reference it.
    const chen = await api(org, 'chenjing', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: foreignCustomer },
    })
    expect(chen.status).toBe(201)
    expect(await count()).toBe(before + 1)
    const wrongType = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: 42 },
    })
    expect(wrongType.status).toBe(400)
    expect(wrongType.json.error?.field).toBe('form.customer')
  })
})

describe('approval attachments and images', () => {
  it('uploads, submits with the stored name and size, and lets participants download', async () => {
    const pdf = await upload(org, 'liuyang', '报价单.pdf', 'application/pdf', PDF)
    expect(pdf.status).toBe(201)
    expect(pdf.json.key).toMatch(
      new RegExp(`^${org.tenantId}/approvals/${uid(org, 'liuyang')}/apf_\\w+\\.pdf$`),
    )
    const png = await upload(org, 'liuyang', 'site.png', 'image/png', PNG)
    expect(png.status).toBe(201)
    const res = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: {
        customer: ownCustomer,
        files: [{ key: pdf.json.key, name: 'forged.exe', size: 1 }],
        photos: [png.json.key],
      },
    })
    expect(res.status).toBe(201)
    expect((res.json.form as Record<string, unknown>).files).toEqual([
      { key: pdf.json.key, name: '报价单.pdf', size: PDF.byteLength, contentType: 'application/pdf' },
    ])
    const dl = async (tenant: ApprovalsTenant, key: string) =>
      app.request(`/api/v1/approvals/files/download?key=${encodeURIComponent(pdf.json.key)}`, {
        headers: await sessionHeader(tenant.tenantId, uid(tenant, key)),
      })
    const approver = await dl(org, 'zhangwei')
    expect(approver.status).toBe(200)
    expect(approver.headers.get('content-type')).toBe('application/pdf')
    expect(approver.headers.get('content-disposition')).toContain(encodeURIComponent('报价单.pdf'))
    expect(new Uint8Array(await approver.arrayBuffer())).toEqual(PDF)
    expect((await dl(org, 'liuyang')).status).toBe(200)
    expect((await dl(org, 'wangjianguo')).status).toBe(200) // approval admin
    expect((await dl(org, 'chenjing')).status).toBe(404) // not involved
    expect((await dl(other, 'liuyang')).status).toBe(404) // another tenant
    // A file already in one request cannot be slipped into another.
    const reuse = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: ownCustomer, files: [pdf.json.key] },
    })
    expect(reuse.status).toBe(400)
    expect(reuse.json.error?.field).toBe('form.files.0')
  })

  it('refuses someone else’s upload, a non-image in an image field, bad types and sizes', async () => {
    const before = await count()
    const hers = await upload(org, 'chenjing', 'a.pdf', 'application/pdf', PDF)
    const stolen = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: ownCustomer, files: [hers.json.key] },
    })
    expect(stolen.status).toBe(400)
    expect(stolen.json.error?.field).toBe('form.files.0')
    const pdf = await upload(org, 'liuyang', 'b.pdf', 'application/pdf', PDF)
    const notImage = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: ownCustomer, photos: [pdf.json.key] },
    })
    expect(notImage.status).toBe(400)
    expect(notImage.json.error?.field).toBe('form.photos.0')
    const unknown = await api(org, 'liuyang', 'POST', '/approvals/instances', {
      templateKey: 'deal-review',
      form: { customer: ownCustomer, files: [`${org.tenantId}/approvals/x/apf_nope.pdf`] },
    })
    expect(unknown.status).toBe(400)
    expect(await count()).toBe(before)

    const html = await upload(org, 'liuyang', 'x.html', 'text/html', new TextEncoder().encode('<script>'))
    expect(html.status).toBe(400)
    expect(html.json.error?.field).toBe('file')
    const fakePng = await upload(org, 'liuyang', 'x.png', 'image/png', new TextEncoder().encode('<svg/>'))
    expect(fakePng.status).toBe(400)
    const empty = await upload(org, 'liuyang', 'x.pdf', 'application/pdf', new Uint8Array())
    expect(empty.status).toBe(400)
    const big = await upload(org, 'liuyang', 'x.pdf', 'application/pdf', new Uint8Array(20 * 1024 * 1024 + 1))
    expect(big.status).toBe(413)
    const bigImage = new Uint8Array(10 * 1024 * 1024 + 1)
    bigImage.set(PNG)
    expect((await upload(org, 'liuyang', 'x.png', 'image/png', bigImage)).status).toBe(400)
    const rows = await database.db
      .select()
      .from(approvalFiles)
      .where(eq(approvalFiles.tenantId, org.tenantId))
    expect(rows.every((r) => r.contentType !== 'text/html')).toBe(true)
  })
})
