import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { listStageSets } from '../../bot/domain/opportunities'
import type { Database } from '../../db/client'
import { opportunities, outbox } from '../../db/schema'
import { testApp } from '../helpers/app'
import { dayFromNow } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, ctxAs, uid } from './crm-harness'

let database: Database
let org: CrmTenant
let other: CrmTenant
let app: ReturnType<typeof testApp>['app']
let customerId: string

const call = async (key: string, method: string, path: string, body?: unknown, tenant = org) => {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...(await bearer(tenant, key)), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers loosely
  return { status: res.status, body: (await res.json()) as any }
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  other = await crmTenant(database)
  app = testApp(database).app
  customerId = (
    await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '华为技术有限公司' } })
  ).id
})
afterAll(async () => database.close())

describe('products', () => {
  it('sales admins manage the catalogue; reps read it and get 403 on writes', async () => {
    const created = await call('liming', 'POST', '/crm/products', {
      sku: 'FC-PRO',
      name: '流程卡 专业版',
      unit: '套',
      listPriceCents: 1_200_000,
      category: '软件',
    })
    expect(created.status).toBe(200)
    expect(created.body.listPriceCents).toBe(1_200_000)
    const dup = await call('liming', 'POST', '/crm/products', { sku: 'FC-PRO', name: 'x', listPriceCents: 1 })
    expect(dup.status).toBe(409)
    expect(dup.body.error.field).toBe('sku')
    const denied = await call('liuyang', 'POST', '/crm/products', { sku: 'X1', name: 'x', listPriceCents: 1 })
    expect(denied.status).toBe(403)
    const float = await call('liming', 'POST', '/crm/products', { sku: 'X2', name: 'x', listPriceCents: 1.5 })
    expect(float.status).toBe(400)
    expect(float.body.error.field).toBe('listPriceCents')
    const list = await call('liuyang', 'GET', '/crm/products?q=专业')
    expect(list.body.items.map((p: { sku: string }) => p.sku)).toEqual(['FC-PRO'])
    const off = await call('liming', 'PATCH', `/crm/products/${created.body.id}`, { active: false })
    expect(off.body.active).toBe(false)
    expect((await call('liuyang', 'GET', '/crm/products')).body.items).toEqual([])
    await call('liming', 'PATCH', `/crm/products/${created.body.id}`, { active: true })
  })
})

describe('opportunities', () => {
  it('every tenant gets the default stage set once, including a brand-new one', async () => {
    const ctx = ctxAs(database, other, 'liuyang')
    const [a, b] = await Promise.all([listStageSets({ ctx }), listStageSets({ ctx })])
    expect(a).toHaveLength(1)
    expect(b).toHaveLength(1)
    expect(a[0]?.stages.map((s) => `${s.name} ${s.probability}`)).toEqual([
      '初步接洽 10',
      '需求确认 30',
      '方案报价 50',
      '谈判审核 70',
      '赢单 100',
      '输单 0',
    ])
  })

  it('creates from line items, moves through stages with history and durations, and closes as won', async () => {
    const products = (await call('liuyang', 'GET', '/crm/products')).body.items
    const created = await call('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 OA 项目',
      customerId,
      items: [
        { productId: products[0].id, quantity: 3 },
        { name: '实施服务', quantity: 1, unitPriceCents: 500_000 },
      ],
      expectedCloseDate: dayFromNow(120),
      competitors: ['钉钉宜搭'],
      channel: '展会',
    })
    expect(created.status).toBe(200)
    const opp = created.body
    expect(opp.amountCents).toBe(3 * 1_200_000 + 500_000)
    expect(opp.amountSource).toBe('items')
    expect(opp.stage.name).toBe('初步接洽')
    expect(opp.winProbability).toBe(10)
    const sets = (await call('liuyang', 'GET', '/crm/stage-sets')).body.items
    const stage = (name: string) => sets[0].stages.find((s: { name: string }) => s.name === name).id
    const moved = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/stage`, {
      stageId: stage('方案报价'),
    })
    expect(moved.body.stage.name).toBe('方案报价')
    expect(moved.body.winProbability).toBe(50)
    const slipped = await call('liuyang', 'PATCH', `/crm/opportunities/${opp.id}`, {
      expectedCloseDate: dayFromNow(150),
    })
    expect(slipped.body.closeDateSlips).toBe(1)
    const won = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/close`, { outcome: 'won' })
    expect(won.body.status).toBe('won')
    const detail = await call('liuyang', 'GET', `/crm/opportunities/${opp.id}`)
    expect(detail.body.items).toHaveLength(2)
    expect(detail.body.stageHistory.map((h: { stageName: string }) => h.stageName)).toEqual([
      '初步接洽',
      '方案报价',
      '赢单',
    ])
    expect(detail.body.stageHistory[0].leftAt).not.toBeNull()
    expect(detail.body.stageHistory[0].durationSeconds).toBeGreaterThanOrEqual(0)
    const history = await call('liuyang', 'GET', `/crm/opportunities/${opp.id}/history`)
    expect(history.body.items.map((h: { field: string }) => h.field)).toEqual(
      expect.arrayContaining(['ownerId', 'stageId', 'expectedCloseDate']),
    )
  })

  it('refuses a stage outside the set, a lost deal without a reason, and changes nothing', async () => {
    const opp = (
      await call('liuyang', 'POST', '/crm/opportunities', { name: '华为 二期', customerId, amountCents: 100 })
    ).body
    const bad = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/stage`, { stageId: 'stg_nope' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('stageId')
    const otherSet = (await listStageSets({ ctx: ctxAs(database, other, 'liuyang') }))[0]?.stages[1]?.id
    const foreign = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/stage`, { stageId: otherSet })
    expect(foreign.body.error.field).toBe('stageId')
    const noReason = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/close`, { outcome: 'lost' })
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.field).toBe('reasonId')
    const [row] = await database.db.select().from(opportunities).where(eq(opportunities.id, opp.id))
    expect(row?.stageId).toBe(opp.stage.id)
    expect(row?.version).toBe(1)
    const reasons = (await call('liuyang', 'GET', '/crm/close-reasons')).body.items
    const lost = reasons.find((r: { kind: string }) => r.kind === 'lost')
    const closed = await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/close`, {
      outcome: 'lost',
      reasonId: lost.id,
    })
    expect(closed.body.closeReason.name).toBe(lost.name)
  })

  it('is scoped by owner: a colleague gets 404, the team lead sees it, another tenant sees nothing', async () => {
    const opp = (
      await call('liuyang', 'POST', '/crm/opportunities', { name: '华为 三期', customerId, amountCents: 5 })
    ).body
    expect((await call('chenjing', 'GET', `/crm/opportunities/${opp.id}`)).status).toBe(404)
    expect((await call('chenjing', 'PATCH', `/crm/opportunities/${opp.id}`, { name: 'x' })).status).toBe(404)
    expect((await call('zhangwei', 'GET', `/crm/opportunities/${opp.id}`)).status).toBe(200)
    expect((await call('wangjianguo', 'GET', `/crm/opportunities/${opp.id}`, undefined, other)).status).toBe(
      404,
    )
    const mine = (await call('chenjing', 'GET', '/crm/opportunities?status=all')).body.items
    expect(mine).toEqual([])
    const lead = (await call('zhangwei', 'GET', '/crm/opportunities?q=华为&status=all')).body.items
    expect(lead.length).toBeGreaterThanOrEqual(3)
  })

  it('a manager assigning a deal to a rep queues the assignment card; a rep cannot assign', async () => {
    const made = await call('zhangwei', 'POST', '/crm/opportunities', {
      name: '华为 四期',
      customerId,
      amountCents: 10,
      ownerId: uid(org, 'liuyang'),
    })
    expect(made.status).toBe(200)
    const rows = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'sales.opportunity.assigned')))
    expect(rows.some((r) => r.payload.opportunityId === made.body.id)).toBe(true)
    const denied = await call('liuyang', 'POST', '/crm/opportunities', {
      name: 'x',
      customerId,
      ownerId: uid(org, 'chenjing'),
    })
    expect(denied.status).toBe(403)
  })
})
