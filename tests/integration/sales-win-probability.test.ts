import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { emit } from '../../bot/domain/outbox'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'
import { opportunities, stageHistory } from '../../db/schema'
import { WIN_REFRESH } from '../../jobs/processors/sales'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs, systemCtx, uid } from './crm-harness'
import { apiCall, salesStack, simClock } from './sales-harness'

// The learned win probability on a constructed history whose answer is known: among deals that reached
// 需求确认, those against a competitor were won 1 time in 5, the others 4 times in 5; nothing else differs.

const DAY = 86_400_000
const clock = simClock(new Date('2026-06-01T02:00:00Z'))
let database: Database
let org: CrmTenant
let stack: Awaited<ReturnType<typeof salesStack>>
let customerId: string
let stageIds: Record<string, string> = {}
const call = (key: string, method: string, path: string, body?: unknown) =>
  apiCall(stack.app, org, key, method, path, body)

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  stack = await salesStack(database, org.tenantId, clock)
  customerId = (
    await createCustomer({ ctx: ctxAs(database, org, 'liuyang'), input: { name: '华为技术有限公司' } })
  ).id
  const sets = (await call('liuyang', 'GET', '/crm/stage-sets')).body.items
  const set = sets.find((s: { isDefault: boolean }) => s.isDefault)
  stageIds = Object.fromEntries(set.stages.map((s: { name: string; id: string }) => [s.name, s.id]))
})
afterAll(async () => {
  await stack?.close()
  await database?.close()
})

/** `n` closed deals that went 初步接洽 → 需求确认 (10 days there) → won or lost. */
async function closedDeals(n: number, won: boolean, competitor: boolean): Promise<void> {
  const s1 = stageIds.初步接洽 ?? ''
  const s2 = stageIds.需求确认 ?? ''
  const end = stageIds[won ? '赢单' : '输单'] ?? ''
  const rows = Array.from({ length: n }, (_, i) => {
    const start = new Date(clock.now().getTime() - (100 + i) * DAY)
    return {
      id: newId('opp'),
      start,
      at2: new Date(start.getTime() + 5 * DAY),
      closed: new Date(start.getTime() + 15 * DAY),
    }
  })
  await database.db.insert(opportunities).values(
    rows.map((r) => ({
      id: r.id,
      tenantId: org.tenantId,
      name: `历史商机 ${r.id}`,
      customerId,
      stageSetId: '',
      stageId: end,
      status: won ? ('won' as const) : ('lost' as const),
      amountCents: 5_000_000,
      ownerId: uid(org, 'liuyang'),
      competitors: competitor ? ['泛微'] : [],
      stageEnteredAt: r.closed,
      lastActivityAt: r.closed,
      closedAt: r.closed,
      winProbability: won ? 100 : 0,
    })),
  )
  await database.db.insert(stageHistory).values(
    rows.flatMap((r) => [
      {
        tenantId: org.tenantId,
        opportunityId: r.id,
        stageId: s1,
        stageName: '初步接洽',
        enteredAt: r.start,
        leftAt: r.at2,
        amountCents: 5_000_000,
      },
      {
        tenantId: org.tenantId,
        opportunityId: r.id,
        stageId: s2,
        stageName: '需求确认',
        enteredAt: r.at2,
        leftAt: r.closed,
        amountCents: 5_000_000,
      },
      {
        tenantId: org.tenantId,
        opportunityId: r.id,
        stageId: end,
        stageName: won ? '赢单' : '输单',
        enteredAt: r.closed,
        leftAt: null,
        amountCents: 5_000_000,
      },
    ]),
  )
}

async function openDeal(name: string, competitors: string[]) {
  const made = await call('liuyang', 'POST', '/crm/opportunities', {
    name,
    customerId,
    amountCents: 5_000_000,
    stageId: stageIds.需求确认,
    competitors,
  })
  expect(made.status).toBe(200)
  // Into the stage ten days ago, like the history.
  await database.db
    .update(opportunities)
    .set({ stageEnteredAt: new Date(clock.now().getTime() - 10 * DAY) })
    .where(and(eq(opportunities.tenantId, org.tenantId), eq(opportunities.id, made.body.id)))
  return made.body.id as string
}

const refresh = async () => {
  await emit(systemCtx(database, org, clock), { topic: WIN_REFRESH, payload: { tenantId: org.tenantId } })
  await stack.drain()
}
const deal = async (id: string) => (await call('liuyang', 'GET', `/crm/opportunities/${id}`)).body.opportunity

describe('learned win probability', () => {
  it('keeps the stage default while the history is too small', async () => {
    await closedDeals(5, true, false)
    await closedDeals(5, false, true)
    const id = await openDeal('华为 小历史', ['泛微'])
    await refresh()
    const o = await deal(id)
    expect(o.winProbability).toBe(30) // 需求确认's default
    expect(o.probabilityFactors).toEqual([])
  })

  it('learns 1 in 5 against a competitor and 4 in 5 without, and says why', async () => {
    // With the five and five above: 10 won / 40 lost against a competitor, 40 won / 10 lost without.
    await closedDeals(10, true, true)
    await closedDeals(35, false, true)
    await closedDeals(35, true, false)
    await closedDeals(10, false, false)
    const against = await openDeal('华为 对标泛微', ['泛微'])
    const alone = await openDeal('华为 独家', [])
    const before = await deal(alone)
    await refresh()
    const a = await deal(against)
    const b = await deal(alone)
    expect(a.winProbability).toBe(21)
    expect(b.winProbability).toBe(79)
    expect(a.probabilityFactors[0]).toEqual({
      factor: '竞争对手',
      value: '有',
      factorEn: 'Competitor',
      valueEn: 'Yes',
      effect: -29,
    })
    expect(b.probabilityFactors[0]).toMatchObject({
      factor: '竞争对手',
      value: '无',
      valueEn: 'None',
      effect: 29,
    })
    // A re-assessment is not an edit: no version bump, no new position in "recently updated".
    expect(b.version).toBe(before.version)
    expect(b.updatedAt).toBe(before.updatedAt)
  })

  it('applies the learned model on a stage change at once, not only at night', async () => {
    const made = await call('liuyang', 'POST', '/crm/opportunities', {
      name: '华为 新商机',
      customerId,
      amountCents: 5_000_000,
      stageId: stageIds.初步接洽,
      competitors: ['泛微'],
    })
    const moved = await call('liuyang', 'POST', `/crm/opportunities/${made.body.id}/stage`, {
      stageId: stageIds.需求确认,
    })
    expect(moved.status).toBe(200)
    // Everything but the competitor is alike in the history (a fresh stage age is a band nobody had): 1 in 5.
    expect(moved.body.winProbability).toBe(21)
    expect(moved.body.probabilityFactors[0]).toMatchObject({
      factorEn: 'Competitor',
      valueEn: 'Yes',
      effect: -29,
    })
    // Closing leaves the model: won is the won stage's probability, no factors.
    const won = await call('liuyang', 'POST', `/crm/opportunities/${made.body.id}/stage`, {
      stageId: stageIds.赢单,
    })
    expect([won.body.winProbability, won.body.probabilityFactors]).toEqual([100, []])
  })
})
