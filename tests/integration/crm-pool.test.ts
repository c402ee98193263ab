import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SendMessagePayload } from '../../bot/domain/chat/send'
import { assignCustomer } from '../../bot/domain/crm/assign-customer'
import { claimCustomer } from '../../bot/domain/crm/claim-customer'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { createFollowUp } from '../../bot/domain/crm/create-follow-up'
import { getCustomer } from '../../bot/domain/crm/get-customer'
import { releaseCustomer } from '../../bot/domain/crm/release-customer'
import { updateCrmRules } from '../../bot/domain/crm/update-crm-rules'
import type { Database } from '../../db/client'
import { customers, outbox } from '../../db/schema'
import { InlineQueue } from '../../jobs/drivers/inline'
import { OutboxRelay, outboxWorkOptions, stripOutboxFields } from '../../jobs/outbox'
import { crmProcessors, POOL_SCAN } from '../../jobs/processors/crm'
import type { ProcessorDeps } from '../../jobs/processors/types'
import { openTestDatabase } from '../helpers/db'
import { cardOfPayload } from '../helpers/outbox-card'
import { waitFor } from '../helpers/wait'
import { type CrmTenant, crmTenant, ctxAs, DAY, fixedClock, outboxOf, silent, tap } from './crm-harness'

let database: Database
let org: CrmTenant
const t0 = new Date('2030-03-01T02:00:00Z')
const at = (days: number) => new Date(t0.getTime() + days * DAY)

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  await updateCrmRules({
    ctx: ctxAs(database, org, 'wangjianguo', fixedClock(t0)),
    input: {
      reclaimAfterDays: 10,
      warnDaysBefore: 3,
      extendDays: 5,
      reclaimCooldownDays: 7,
      claimLimit: 2,
      checkInFlagMeters: 500,
    },
  })
})
afterAll(async () => database.close())

/** The scan processor as the job system runs it, with a clock in the future. */
const scanAt = async (when: Date) => {
  const deps = { database, logger: silent, clock: fixedClock(when) } as unknown as ProcessorDeps
  await crmProcessors(deps)[POOL_SCAN]?.(
    { tenantId: org.tenantId },
    { id: 'x', name: POOL_SCAN, attempt: 1, maxAttempts: 1 },
  )
}
const poolCards = async (customerId: string) =>
  (await outboxOf(database, org)).filter(
    (r) => (r.payload as unknown as SendMessagePayload).ref === `crm:pool:${customerId}`,
  )
const row = async (id: string) => (await database.db.select().from(customers).where(eq(customers.id, id)))[0]

describe('pool rules over simulated time', () => {
  it('warns 3 days before, extends once on a tap, reclaims at the deadline and enforces the cooldown', async () => {
    const rep = ctxAs(database, org, 'liuyang', fixedClock(t0))
    const c = await createCustomer({ ctx: rep, input: { name: '上海振华重工（集团）股份有限公司' } })
    expect(c.reclaimDueAt).toBe(at(10).toISOString())

    await scanAt(at(6))
    expect(await poolCards(c.id)).toHaveLength(0)

    await scanAt(at(7.5))
    const [warning] = await poolCards(c.id)
    const payload = warning?.payload as unknown as SendMessagePayload
    expect(payload.to).toEqual({ userId: org.users.liuyang })
    expect((await cardOfPayload(database, payload))?.header.title).toBe('客户即将收回公海')
    await scanAt(at(7.6))
    expect(await poolCards(c.id)).toHaveLength(1)

    const extended = await tap(
      database,
      org,
      'liuyang',
      { a: 'crm.pool.extend', customer: c.id },
      {},
      fixedClock(at(8)),
    )
    expect(extended.card?.header.title).toBe('已延期')
    expect((await row(c.id))?.reclaimDueAt?.toISOString()).toBe(at(15).toISOString())
    const again = await tap(
      database,
      org,
      'liuyang',
      { a: 'crm.pool.extend', customer: c.id },
      {},
      fixedClock(at(8.1)),
    )
    expect(again.toast?.kind).toBe('error')
    expect((await row(c.id))?.reclaimDueAt?.toISOString()).toBe(at(15).toISOString())
    // A colleague cannot extend someone else's customer.
    const other = await tap(
      database,
      org,
      'chenjing',
      { a: 'crm.pool.extend', customer: c.id },
      {},
      fixedClock(at(8.2)),
    )
    expect(other.toast?.kind).toBe('error')

    await scanAt(at(14))
    expect((await row(c.id))?.ownerId).toBe(org.users.liuyang)
    await scanAt(at(15.1))
    const reclaimed = await row(c.id)
    expect(reclaimed).toMatchObject({ ownerId: null, lostById: org.users.liuyang })
    const updates = await outboxOf(database, org, 'send.card_update')
    expect(updates.some((u) => (u.payload as { ref?: string }).ref === `crm:pool:${c.id}`)).toBe(true)

    await expect(
      claimCustomer({ ctx: ctxAs(database, org, 'liuyang', fixedClock(at(16))), customerId: c.id }),
    ).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'cooldown' },
    })
    const claimed = await claimCustomer({
      ctx: ctxAs(database, org, 'liuyang', fixedClock(at(22.2))),
      customerId: c.id,
    })
    expect(claimed.owner?.name).toBe('刘洋')
  })

  it('a follow-up restarts the clock', async () => {
    const rep = ctxAs(database, org, 'yangfan', fixedClock(t0))
    const c = await createCustomer({ ctx: rep, input: { name: '青岛海尔智家股份有限公司' } })
    await createFollowUp({
      ctx: ctxAs(database, org, 'yangfan', fixedClock(at(9))),
      customerId: c.id,
      input: { kind: 'call', content: '确认了采购计划' },
    })
    await scanAt(at(10.5))
    expect((await row(c.id))?.ownerId).toBe(org.users.yangfan)
    expect((await row(c.id))?.reclaimDueAt?.toISOString()).toBe(at(19).toISOString())
  })

  it('enforces the per-rep claim limit, release, and manager assignment', async () => {
    const admin = ctxAs(database, org, 'wangjianguo', fixedClock(t0))
    const pool = []
    for (const name of ['江苏恒瑞医药股份有限公司', '宁德时代新能源科技股份有限公司', '比亚迪股份有限公司']) {
      pool.push(await createCustomer({ ctx: admin, input: { name, ownerId: null } }))
    }
    const [a, b, c] = pool.map((p) => p.id) as [string, string, string]
    const rep = ctxAs(database, org, 'zhoujie', fixedClock(t0))
    await claimCustomer({ ctx: rep, customerId: a })
    await claimCustomer({ ctx: rep, customerId: b })
    await expect(claimCustomer({ ctx: rep, customerId: c })).rejects.toMatchObject({
      details: { reason: 'claim_limit' },
    })
    expect((await row(c))?.ownerId).toBeNull()
    // Once claimed it is out of the pool: for another rep it no longer exists (404, not "taken by X").
    await expect(
      claimCustomer({ ctx: ctxAs(database, org, 'wumin', fixedClock(t0)), customerId: a }),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
    // A manager whose scope covers it hears that it is taken.
    await expect(
      claimCustomer({ ctx: ctxAs(database, org, 'zhaolei', fixedClock(t0)), customerId: a }),
    ).rejects.toMatchObject({
      details: { reason: 'taken' },
    })
    await releaseCustomer({ ctx: rep, customerId: b })
    expect(await row(b)).toMatchObject({ ownerId: null, lostById: org.users.zhoujie })
    await claimCustomer({ ctx: rep, customerId: c })
    // A rep cannot assign; the north team lead assigns within their team; nobody outside scope sees it.
    await expect(
      assignCustomer({
        ctx: ctxAs(database, org, 'wumin', fixedClock(t0)),
        customerId: b,
        input: { ownerId: org.users.wumin ?? '' },
      }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await assignCustomer({
      ctx: ctxAs(database, org, 'zhaolei', fixedClock(t0)),
      customerId: b,
      input: { ownerId: org.users.wumin ?? '' },
    })
    expect((await getCustomer({ ctx: ctxAs(database, org, 'wumin'), customerId: b })).owner?.name).toBe(
      '吴敏',
    )
    await expect(
      assignCustomer({
        ctx: ctxAs(database, org, 'zhangwei', fixedClock(t0)),
        customerId: b,
        input: { ownerId: org.users.liuyang ?? '' },
      }),
    ).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('follow-up reminders', () => {
  it('sends the reminder card when the relay runs at the next follow-up time', async () => {
    const now = new Date()
    const rep = ctxAs(database, org, 'chenjing')
    const c = await createCustomer({ ctx: rep, input: { name: '珠海格力电器股份有限公司' } })
    const due = new Date(now.getTime() + 2 * DAY)
    const f = await createFollowUp({
      ctx: rep,
      customerId: c.id,
      input: { kind: 'meeting', content: '约了下周演示', nextFollowUpAt: due.toISOString() },
    })
    const queue = new InlineQueue()
    const deps = { database, logger: silent, clock: fixedClock(due), queue } as unknown as ProcessorDeps
    await queue.work(stripOutboxFields(crmProcessors(deps)), outboxWorkOptions(database))
    const relay = new OutboxRelay(database, queue, { tenantId: org.tenantId })
    await relay.relayAll(now)
    const reminderCards = async () =>
      (await outboxOf(database, org)).filter(
        (r) => (r.payload as unknown as SendMessagePayload).ref === `crm:reminder:${f.id}`,
      )
    const [remindRow] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'crm.follow_up.remind')))
    expect(remindRow?.status).toBe('pending')
    await relay.relayAll(new Date(due.getTime() + 1000))
    const [card] = await waitFor(async () => {
      const r = await reminderCards()
      return r.length > 0 ? r : null
    }, 'the reminder card')
    const p = card?.payload as unknown as SendMessagePayload
    expect(p.to).toEqual({ userId: org.users.chenjing })
    expect((await cardOfPayload(database, p))?.header.title).toBe('跟进提醒')
    await queue.close()
  })
})
