import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { auditLog, dealReviews } from '../../db/schema'
import { testApp } from '../helpers/app'
import { dayFromNow } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant
let other: CrmTenant
let app: ReturnType<typeof testApp>['app']
const ids: Record<string, string> = {}

const call = async (key: string, method: string, path: string, body?: unknown, tenant = org) => {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await bearer(tenant, key)), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers loosely
  return { status: res.status, body: (await res.json()) as any }
}

async function deal(key: string, customerId: string, name: string, extra: Record<string, unknown> = {}) {
  const res = await call(key, 'POST', '/crm/opportunities', {
    name,
    customerId,
    expectedCloseDate: dayFromNow(60),
    ...extra,
  })
  expect(res.status).toBe(200)
  return res.body.id as string
}

async function close(key: string, id: string, outcome: 'won' | 'lost') {
  const body: Record<string, unknown> = { outcome }
  if (outcome === 'lost') {
    const reasons = (await call(key, 'GET', '/crm/close-reasons')).body.items
    body.reasonId = reasons.find((r: { kind: string }) => r.kind === 'lost').id
  }
  expect((await call(key, 'POST', `/crm/opportunities/${id}/close`, body)).status).toBe(200)
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  other = await crmTenant(database)
  app = testApp(database).app
  const customer = async (key: string, name: string, industry: string) =>
    (await createCustomer({ ctx: ctxAs(database, org, key), input: { name, industry } })).id
  ids.north = await customer('huangli', '三一重工', '制造业')
  ids.east = await customer('liuyang', '徐工集团', '制造业')
  ids.bank = await customer('liuyang', '招商银行', '金融')
  for (const [sku, name] of [
    ['ERP-1', '流程卡 ERP 连接器'],
    ['CRM-1', '流程卡 CRM 专业版'],
  ] as const) {
    const p = await call('liming', 'POST', '/crm/products', { sku, name, listPriceCents: 1_000_000 })
    expect(p.status).toBe(200)
    ids[sku] = p.body.id
  }
})
afterAll(async () => database.close())

describe('打单经验 (deal reviews)', () => {
  it('a closed deal gets its review with the facts it is searched by; an open one, a blank one or a stale rewrite is refused', async () => {
    ids.northWon = await deal('huangli', ids.north ?? '', '三一 ERP 集成', {
      items: [{ productId: ids['ERP-1'], quantity: 2 }],
      competitors: ['用友'],
    })
    const early = await call('huangli', 'PUT', `/crm/opportunities/${ids.northWon}/review`, {
      lessons: '太早',
    })
    expect(early.status).toBe(409)
    expect(early.body.error.field).toBe('opportunityId')
    await close('huangli', ids.northWon ?? '', 'won')
    expect((await call('huangli', 'GET', `/crm/opportunities/${ids.northWon}/review`)).body).toEqual({
      review: null,
    })

    const blank = await call('huangli', 'PUT', `/crm/opportunities/${ids.northWon}/review`, {
      whatWorked: '  ',
    })
    expect(blank.status).toBe(400)
    expect(blank.body.error.field).toBe('whatWorked')
    const tooManyTags = await call('huangli', 'PUT', `/crm/opportunities/${ids.northWon}/review`, {
      lessons: 'x',
      tags: Array.from({ length: 11 }, (_, i) => `t${i}`),
    })
    expect(tooManyTags.status).toBe(400)
    expect(tooManyTags.body.error.field).toBe('tags')
    expect(
      await database.db.select().from(dealReviews).where(eq(dealReviews.tenantId, org.tenantId)),
    ).toEqual([])

    const written = await call('huangli', 'PUT', `/crm/opportunities/${ids.northWon}/review`, {
      whatWorked: '先做一个车间的试点，两周见效',
      lessons: '尽早拉上财务总监',
      tags: ['试点', '试点', '高层'],
    })
    expect(written.status).toBe(200)
    expect(written.body).toMatchObject({
      outcome: 'won',
      industry: '制造业',
      productIds: [ids['ERP-1']],
      competitors: ['用友'],
      tags: ['试点', '高层'],
      version: 1,
      author: { name: expect.any(String) },
      deal: { name: '三一 ERP 集成', customerName: '三一重工', amountCents: 2_000_000 },
    })
    const stale = await call('huangli', 'PUT', `/crm/opportunities/${ids.northWon}/review`, {
      lessons: '改一下',
      version: 0,
    })
    expect(stale.status).toBe(409)
    const again = await call('huangli', 'PUT', `/crm/opportunities/${ids.northWon}/review`, {
      whatWorked: written.body.whatWorked,
      lessons: '尽早拉上财务总监和 IT',
      tags: ['试点', '高层'],
      version: 1,
    })
    expect(again.body.version).toBe(2)
    const audits = await database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.targetId, ids.northWon ?? '')))
    expect(audits.map((a) => a.action).filter((a) => a.startsWith('deal_review'))).toEqual([
      'deal_review.create',
      'deal_review.update',
    ])
  })

  it('is scoped: a colleague outside the deal\u2019s scope may not write it (404), another tenant sees nothing', async () => {
    expect(
      (await call('liuyang', 'PUT', `/crm/opportunities/${ids.northWon}/review`, { lessons: '我来写' }))
        .status,
    ).toBe(404)
    expect((await call('liuyang', 'GET', `/crm/opportunities/${ids.northWon}/review`)).status).toBe(404)
    expect((await call('wangjianguo', 'GET', '/crm/deal-reviews', undefined, other)).body.items).toEqual([])
  })

  it('an open deal shows similar won deals, best match first, with what they share; the customer only in scope', async () => {
    // A won deal in banking that met 金蝶 (one shared competitor: 2 points), and a lost deal in the same
    // industry (lost reviews are never "similar won deals").
    const bankWon = await deal('liuyang', ids.bank ?? '', '招行 CRM', {
      competitors: ['金蝶'],
      amountCents: 300_000,
    })
    await close('liuyang', bankWon, 'won')
    await call('liuyang', 'PUT', `/crm/opportunities/${bankWon}/review`, { whatWorked: '总行背书' })
    const lost = await deal('liuyang', ids.east ?? '', '徐工 一期', {
      items: [{ productId: ids['ERP-1'], quantity: 1 }],
      competitors: ['用友'],
    })
    await close('liuyang', lost, 'lost')
    await call('liuyang', 'PUT', `/crm/opportunities/${lost}/review`, { lessons: '报价太晚' })
    // Nothing in common with anything: not listed.
    const unrelated = await deal('liuyang', ids.bank ?? '', '招行 培训', { amountCents: 1 })
    await close('liuyang', unrelated, 'won')
    await call('liuyang', 'PUT', `/crm/opportunities/${unrelated}/review`, { lessons: '无' })

    const open = await deal('liuyang', ids.east ?? '', '徐工 二期', {
      items: [{ productId: ids['ERP-1'], quantity: 1 }],
      competitors: ['用友', '金蝶'],
    })
    const similar = await call('liuyang', 'GET', `/crm/opportunities/${open}/similar-won`)
    expect(similar.status).toBe(200)
    expect(similar.body.items.map((s: { opportunityId: string }) => s.opportunityId)).toEqual([
      ids.northWon,
      bankWon,
    ])
    const [best, second] = similar.body.items
    expect(best.shared).toEqual({ industry: true, products: 1, competitors: ['用友'] })
    expect(best.lessons).toBe('尽早拉上财务总监和 IT')
    expect(best.deal).toBeNull() // huangli's deal: outside liuyang's scope
    expect(second.shared).toEqual({ industry: false, products: 0, competitors: ['金蝶'] })
    expect(second.deal).toMatchObject({ name: '招行 CRM', customerName: '招商银行' })
    // The sales manager over both teams sees the customer.
    const forManager = await call('liming', 'GET', `/crm/opportunities/${open}/similar-won`)
    expect(forManager.body.items[0].deal).toMatchObject({ customerName: '三一重工' })
  })

  it('searches by outcome, industry, product, competitor, tag and words', async () => {
    const names = async (query: string) =>
      (await call('liming', 'GET', `/crm/deal-reviews?${query}`)).body.items.map(
        (r: { deal: { name: string } | null }) => r.deal?.name,
      )
    expect(await names('competitor=用友')).toEqual(['徐工 一期', '三一 ERP 集成'])
    expect(await names('competitor=用友&outcome=won')).toEqual(['三一 ERP 集成'])
    expect(await names(`productId=${ids['ERP-1']}&outcome=lost`)).toEqual(['徐工 一期'])
    expect(await names('industry=金融')).toEqual(['招行 培训', '招行 CRM'])
    expect(await names('tag=试点')).toEqual(['三一 ERP 集成'])
    expect(await names(`q=${encodeURIComponent('财务')}`)).toEqual(['三一 ERP 集成'])
    expect(await names(`q=${encodeURIComponent('%')}`)).toEqual([])
    const bad = await call('liming', 'GET', '/crm/deal-reviews?outcome=maybe')
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('outcome')
    // A rep reads every review to learn from, but sees the deal only where their scope reaches.
    const forRep = (await call('liuyang', 'GET', '/crm/deal-reviews?competitor=用友')).body.items
    expect(forRep.map((r: { deal: unknown }) => r.deal === null)).toEqual([false, true])
  })
})
