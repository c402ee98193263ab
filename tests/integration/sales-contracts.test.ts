import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerExternalSystem } from '../../bot/domain/approvals/external/manage-systems'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import type { Database } from '../../db/client'
import { approvalInstances, contracts } from '../../db/schema'
import { createFakeErp, type FakeErp } from '../fakes/erp'
import { openTestDatabase } from '../helpers/db'
import { pendingTaskOf } from './approvals-harness'
import { type CrmTenant, crmTenant, ctxAs, systemCtx, tap } from './crm-harness'
import { apiCall, salesStack, simClock } from './sales-harness'

let database: Database
let org: CrmTenant
let stack: Awaited<ReturnType<typeof salesStack>>
let erp: FakeErp
let customerId: string
const clock = simClock()
const call = (key: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.app, org, key, method, path, body)

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  stack = await salesStack(database, org.tenantId, clock)
  erp = await createFakeErp()
  const reg = await registerExternalSystem({
    ctx: systemCtx(database, org),
    input: { name: 'ERP', webhookUrl: erp.url },
  })
  erp.secret = reg.secret
  customerId = (
    await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '华为技术有限公司' } })
  ).id
})
afterAll(async () => {
  await stack?.close()
  await erp?.close()
  await database?.close()
})

async function wonOpportunity(name: string) {
  const opp = (
    await call('liuyang', 'POST', '/crm/opportunities', {
      name,
      customerId,
      items: [
        { name: '流程卡 专业版', quantity: 2, unitPriceCents: 6_000_000 },
        { name: '实施', quantity: 1, unitPriceCents: 1_000_000 },
      ],
    })
  ).body
  await call('liuyang', 'POST', `/crm/opportunities/${opp.id}/close`, { outcome: 'won' })
  return opp
}

describe('contracts', () => {
  it('from a won deal: numbered, items copied, approved by a tap in chat, active, announced to the ERP', async () => {
    const opp = await wonOpportunity('华为 OA')
    const made = await call('liuyang', 'POST', '/crm/contracts', {
      name: '华为 OA 合同',
      opportunityId: opp.id,
    })
    expect(made.status).toBe(200)
    const ctr = made.body
    expect(ctr.number).toMatch(/^HT-\d{4}-0001$/)
    expect(ctr.amountCents).toBe(13_000_000)
    expect(ctr.status).toBe('draft')
    const detail = (await call('liuyang', 'GET', `/crm/contracts/${ctr.id}`)).body
    expect(detail.items.map((i: { name: string }) => i.name)).toEqual(['流程卡 专业版', '实施'])

    const submitted = await call('liuyang', 'POST', `/crm/contracts/${ctr.id}/submit`, { notes: '请审批' })
    expect(submitted.status).toBe(200)
    expect(submitted.body.contract.status).toBe('in_approval')
    const instanceId = submitted.body.approval.id
    const [ins] = await database.db
      .select()
      .from(approvalInstances)
      .where(eq(approvalInstances.id, instanceId))
    expect(ins?.businessRef).toBe(`contract:${ctr.id}`)
    expect(ins?.form).toMatchObject({
      contract: ctr.id,
      customer: customerId,
      amount: 13_000_000,
      discount: 0,
    })

    // An edit while in approval is refused and changes nothing.
    const edit = await call('liuyang', 'PATCH', `/crm/contracts/${ctr.id}`, { amountCents: 1 })
    expect(edit.status).toBe(409)
    const [row] = await database.db.select().from(contracts).where(eq(contracts.id, ctr.id))
    expect(row?.amountCents).toBe(13_000_000)

    // The manager approves from the approval card in chat.
    const task = await pendingTaskOf(database, org, instanceId, 'zhangwei')
    const tapped = await tap(database, org, 'zhangwei', {
      a: 'approval.approve',
      task: task.id,
      v: task.version,
    })
    expect(tapped.toast?.kind).toBe('success')
    await stack.drain()
    const active = (await call('liuyang', 'GET', `/crm/contracts/${ctr.id}`)).body
    expect(active.contract.status).toBe('active')
    expect(active.contract.activatedAt).not.toBeNull()
    // Jobs run on the simulated clock, the API on the real one: compare as a set.
    expect(active.history.map((h: { newValue: unknown }) => h.newValue).sort()).toEqual([
      'active',
      'draft',
      'in_approval',
    ])
    const delivery = erp.deliveries.find((d) => d.body.type === 'contract.activated')
    expect(delivery?.signatureValid).toBe(true)
    expect(delivery?.body.data).toMatchObject({ externalId: ctr.id, serialNo: ctr.number })

    // A replayed or late finished event changes nothing now.
    const again = await call('liuyang', 'POST', `/crm/contracts/${ctr.id}/submit`, {})
    expect(again.status).toBe(409)
  })

  it('a rejected approval sends the contract back to draft, editable again', async () => {
    const ctr = (
      await call('liuyang', 'POST', '/crm/contracts', { name: '直签合同', customerId, amountCents: 500_000 })
    ).body
    expect(ctr.number).toMatch(/-0002$/)
    const submitted = (await call('liuyang', 'POST', `/crm/contracts/${ctr.id}/submit`, {})).body
    const task = await pendingTaskOf(database, org, submitted.approval.id, 'zhangwei')
    const r = await tap(
      database,
      org,
      'zhangwei',
      { a: 'approval.reject', task: task.id, v: task.version },
      {
        comment: '价格太低',
      },
    )
    expect(r.toast?.kind).toBe('success')
    await stack.drain()
    const [row] = await database.db
      .select()
      .from(contracts)
      .where(and(eq(contracts.tenantId, org.tenantId), eq(contracts.id, ctr.id)))
    expect(row?.status).toBe('draft')
    expect(
      (await call('liuyang', 'PATCH', `/crm/contracts/${ctr.id}`, { amountCents: 600_000 })).body.amountCents,
    ).toBe(600_000)
  })

  it('refuses bad input naming the field: an open deal, no customer, no amount; 404 outside the scope', async () => {
    const open = (await call('liuyang', 'POST', '/crm/opportunities', { name: '未赢单', customerId })).body
    const r1 = await call('liuyang', 'POST', '/crm/contracts', { name: 'x', opportunityId: open.id })
    expect([r1.status, r1.body.error.field]).toEqual([400, 'opportunityId'])
    const r2 = await call('liuyang', 'POST', '/crm/contracts', { name: 'x', amountCents: 1 })
    expect([r2.status, r2.body.error.field]).toEqual([400, 'customerId'])
    const r3 = await call('liuyang', 'POST', '/crm/contracts', { name: 'x', customerId })
    expect([r3.status, r3.body.error.field]).toEqual([400, 'amountCents'])
    const list = (await call('liuyang', 'GET', '/crm/contracts?status=all')).body.items
    expect(list).toHaveLength(2)
    const someone = list[0].id
    expect((await call('chenjing', 'GET', `/crm/contracts/${someone}`)).status).toBe(404)
    expect((await call('chenjing', 'POST', `/crm/contracts/${someone}/submit`, {})).status).toBe(404)
  })
})
