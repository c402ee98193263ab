import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import { assignCustomer } from '../../bot/domain/crm/assign-customer'
import { createCustomer } from '../../bot/domain/crm/create-customer'
import { getCustomerCard } from '../../bot/domain/crm/get-customer-card'
import { releaseCustomer } from '../../bot/domain/crm/release-customer'
import { setTenantSettings } from '../../bot/domain/org/time-zone'
import {
  acceptTicket,
  assignTicket,
  commentTicket,
  createDispatchRule,
  createTicket,
  getPublicTicket,
  getTicket,
  listTickets,
  rateByToken,
  receiveExternalTicket,
  SCAN_GRACE_MS,
  scanServiceSla,
  setTicketPriority,
  setTicketStatus,
  updateServiceSettings,
} from '../../bot/domain/service'
import { escalationTargets } from '../../bot/domain/service/lifecycle'
import type { Clock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { auditLog, serviceMemberLoad, serviceTickets } from '../../db/schema'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, ctxAs, DAY, silent, systemCtx, uid } from './crm-harness'
import { mondayClock, runDueTimers as runTimers, serviceTenant, ticketCards } from './service-harness'

let database: Database

beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => database.close())

const setup = () => serviceTenant(database)
const cards = (org: CrmTenant, ticketId: string) => ticketCards(database, org, ticketId)
const runDueTimers = (org: CrmTenant, clock: Clock) => runTimers(database, org, clock)

/** The trigger-kept open count per member. */
async function loads(tenantId: string): Promise<Record<string, number>> {
  const rows = await database.db
    .select()
    .from(serviceMemberLoad)
    .where(eq(serviceMemberLoad.tenantId, tenantId))
  return Object.fromEntries(rows.map((r) => [r.userId, r.openCount]))
}

/** The kept counts equal a count of the open tickets (members without any may keep a 0 row). */
async function expectLoadInStep(tenantId: string) {
  const counted = await database.rows<{ owner_id: string; n: number }>(sql`
    select owner_id, count(*)::int as n from service_tickets
    where tenant_id = ${tenantId} and owner_id is not null
      and status in ('new', 'assigned', 'in_progress', 'waiting_customer')
    group by owner_id`)
  const kept = Object.entries(await loads(tenantId)).filter(([, n]) => n !== 0)
  expect(Object.fromEntries(kept)).toEqual(Object.fromEntries(counted.map((r) => [r.owner_id, r.n])))
  expect(kept.length).toBeGreaterThan(0)
}

describe('tickets', () => {
  it('numbers per tenant, checks links against the tenant, names the bad field, and audits', async () => {
    const org = await setup()
    const other = await setup()
    const clock = mondayClock()
    const me = ctxAs(database, org, 'liuyang', clock)
    const { id: customerId } = await createCustomer({ ctx: me, input: { name: '华东精密机械有限公司' } })
    const a = await createTicket({ ctx: me, input: { subject: '设备异响', customerId, priority: 'urgent' } })
    const b = await createTicket({ ctx: me, input: { subject: '安装调试', type: '安装', ownerId: null } })
    const year = new Date(clock.now().getTime() + 8 * 3_600_000).getUTCFullYear()
    expect([a.number, b.number]).toEqual([`GD-${year}-0001`, `GD-${year}-0002`])
    const c = await createTicket({ ctx: ctxAs(database, other, 'liuyang', clock), input: { subject: 'x' } })
    expect(c.number).toBe(`GD-${year}-0001`)
    await expect(
      createTicket({ ctx: ctxAs(database, other, 'liuyang', clock), input: { subject: 'x', customerId } }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'customerId' } })
    await expect(createTicket({ ctx: me, input: { subject: 'x', type: '闲聊' } })).rejects.toMatchObject({
      details: { field: 'type' },
    })
    await expect(createTicket({ ctx: me, input: { subject: '' } })).rejects.toMatchObject({
      details: { field: 'subject' },
    })
    await expect(
      createTicket({ ctx: me, input: { subject: 'x', ownerId: uid(org, 'chenjing') } }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    // Urgent: 30 working minutes to respond, 240 to resolve; Monday 10:00 → 10:30 and 14:00.
    expect(a.firstResponseDueAt?.getTime()).toBe(clock.now().getTime() + 30 * 60_000)
    expect(a.resolutionDueAt?.getTime()).toBe(clock.now().getTime() + 240 * 60_000)
    // No rules: the creator's ticket stays in the queue (new), with the SLA clock running.
    expect(a.ownerId).toBeNull()
    expect(a.status).toBe('new')
    const audit = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.action, 'service.ticket.create')))
    expect(audit).toHaveLength(2)
  })

  it('moves through the status flow with a timeline, refuses wrong moves, and works for the owner only', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    const eng = ctxAs(database, org, 'liuyang', clock)
    const t0 = await createTicket({
      ctx: mgr,
      input: { subject: '打印机卡纸', ownerId: uid(org, 'liuyang') },
    })
    expect(t0.status).toBe('assigned')
    expect((await cards(org, t0.id)).map((c) => [c.to, c.kind])).toEqual([[uid(org, 'liuyang'), 'assigned']])
    await expect(
      acceptTicket({ ctx: ctxAs(database, org, 'chenjing', clock), ticketId: t0.id }),
    ).rejects.toMatchObject({ code: 'not_found' })
    clock.advance(10 * 60_000)
    const accepted = await acceptTicket({ ctx: eng, ticketId: t0.id })
    expect([accepted.status, accepted.responseSla]).toEqual(['in_progress', 'met'])
    await commentTicket({ ctx: eng, ticketId: t0.id, input: { body: '已约客户明早上门' } })
    await setTicketStatus({ ctx: eng, ticketId: t0.id, input: { status: 'waiting_customer' } })
    await expect(
      setTicketStatus({ ctx: eng, ticketId: t0.id, input: { status: 'rejected' } }),
    ).rejects.toMatchObject({ code: 'invalid_transition' })
    await expect(
      setTicketStatus({ ctx: eng, ticketId: t0.id, input: { status: 'bogus' as never } }),
    ).rejects.toMatchObject({ details: { field: 'status' } })
    const done = await setTicketStatus({
      ctx: eng,
      ticketId: t0.id,
      input: { status: 'resolved', note: '更换搓纸轮' },
    })
    expect([done.status, done.resolutionSla, done.resolutionNote]).toEqual(['resolved', 'met', '更换搓纸轮'])
    const detail = await getTicket({ ctx: eng, ticketId: t0.id })
    expect(detail.timeline.map((e) => e.kind)).toEqual([
      'created',
      'assigned',
      'status',
      'comment',
      'status',
      'status',
    ])
    // The requester (the manager who filed it) gets the resolved card with the rating form.
    expect((await cards(org, t0.id)).at(-1)).toEqual({ to: uid(org, 'zhangwei'), kind: 'resolved' })
  })

  it('dispatch rules pick the engineer through the shared engine (least open tickets)', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    await createDispatchRule({
      ctx: mgr,
      input: {
        name: '故障',
        match: { types: ['故障'] },
        method: 'least_open',
        members: [
          { userId: uid(org, 'liuyang'), capacity: 300 },
          { userId: uid(org, 'chenjing'), capacity: 300 },
        ],
      },
    })
    await expect(
      createDispatchRule({ ctx: ctxAs(database, org, 'liuyang', clock), input: { name: 'x', members: [] } }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const owners: Array<string | null> = []
    for (let i = 0; i < 4; i++)
      owners.push((await createTicket({ ctx: mgr, input: { subject: `坏了 ${i}`, type: '故障' } })).ownerId)
    const l = uid(org, 'liuyang')
    const c = uid(org, 'chenjing')
    expect(owners.filter((o) => o === l)).toHaveLength(2)
    expect(owners.filter((o) => o === c)).toHaveLength(2)
    const consult = await createTicket({ ctx: mgr, input: { subject: '咨询价格', type: '咨询' } })
    expect(consult.ownerId).toBeNull()
    const reassigned = await assignTicket({ ctx: mgr, ticketId: consult.id, input: { ownerId: c } })
    expect([reassigned.ownerId, reassigned.status]).toEqual([c, 'assigned'])
    // chenjing now has one more open ticket (given by hand): the rule's next two go to liuyang.
    const next = []
    for (let i = 0; i < 2; i++)
      next.push((await createTicket({ ctx: mgr, input: { subject: `又坏了 ${i}`, type: '故障' } })).ownerId)
    expect(next).toEqual([l, l])
    // Resolving two of liuyang's tickets frees him: the next one goes to him again.
    const eng = ctxAs(database, org, 'liuyang', clock)
    const his = await database.db
      .select({ id: serviceTickets.id })
      .from(serviceTickets)
      .where(and(eq(serviceTickets.tenantId, org.tenantId), eq(serviceTickets.ownerId, l)))
      .limit(2)
    for (const t of his) {
      await acceptTicket({ ctx: eng, ticketId: t.id })
      await setTicketStatus({ ctx: eng, ticketId: t.id, input: { status: 'resolved', note: '好了' } })
    }
    expect((await createTicket({ ctx: mgr, input: { subject: '再坏', type: '故障' } })).ownerId).toBe(l)
    await expectLoadInStep(org.tenantId)
  })

  it('each member’s open count follows every write: insert, assign, status, reopen, delete', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    const eng = ctxAs(database, org, 'liuyang', clock)
    const l = uid(org, 'liuyang')
    const c = uid(org, 'chenjing')
    const a = await createTicket({ ctx: mgr, input: { subject: '一', ownerId: l } })
    const b = await createTicket({ ctx: mgr, input: { subject: '二', ownerId: l } })
    await createTicket({ ctx: mgr, input: { subject: '三', ownerId: null } })
    expect(await loads(org.tenantId)).toEqual({ [l]: 2 })
    await assignTicket({ ctx: mgr, ticketId: b.id, input: { ownerId: c } })
    expect(await loads(org.tenantId)).toEqual({ [l]: 1, [c]: 1 })
    await acceptTicket({ ctx: eng, ticketId: a.id })
    await setTicketStatus({ ctx: eng, ticketId: a.id, input: { status: 'waiting_customer' } })
    expect(await loads(org.tenantId)).toEqual({ [l]: 1, [c]: 1 })
    await setTicketStatus({ ctx: eng, ticketId: a.id, input: { status: 'resolved', note: '好了' } })
    expect(await loads(org.tenantId)).toEqual({ [l]: 0, [c]: 1 })
    // A low rating reopens it: open again.
    const [row] = await database.db.select().from(serviceTickets).where(eq(serviceTickets.id, a.id))
    await rateByToken({
      database,
      clock,
      logger: silent,
      token: row?.statusToken ?? '',
      input: { rating: 1, comment: '没修好' },
    })
    expect(await loads(org.tenantId)).toEqual({ [l]: 1, [c]: 1 })
    // One statement writing many rows (as a bulk load does) and a delete.
    await database.db.execute(sql`
      insert into service_tickets (id, tenant_id, number, channel, type, subject, status, owner_id, status_token)
      select 'tkx' || i, ${org.tenantId}, 'GD-X-' || i, 'phone', '咨询', 'x',
        (case when i % 2 = 0 then 'closed' else 'in_progress' end)::service_ticket_status,
        (case when i % 3 = 0 then ${l} else ${c} end), 'tok-x-' || i
      from generate_series(1, 12) i`)
    await database.db.execute(sql`delete from service_tickets where id in ('tkx1', 'tkx2', 'tkx3')`)
    await expectLoadInStep(org.tenantId)
  })
})

describe('SLA over simulated time', () => {
  it('reminds the owner at 50 %, escalates to the manager at 100 % in working hours, and ignores stale timers', async () => {
    const org = await setup()
    const clock = mondayClock(17)
    clock.advance(30 * 60_000) // Monday 17:30: half a working hour left today.
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    // High: 60 working minutes to respond → 30 today, 30 on Tuesday from 09:00 → Tuesday 09:30.
    const t0 = await createTicket({
      ctx: mgr,
      input: { subject: '产线停机', priority: 'high', ownerId: uid(org, 'liuyang') },
    })
    const due = t0.firstResponseDueAt?.getTime() ?? 0
    expect(due - clock.now().getTime()).toBe(16 * 3_600_000)
    clock.advance(30 * 60_000)
    await runDueTimers(org, clock)
    expect((await cards(org, t0.id)).map((c) => c.kind)).toEqual(['assigned', 'response_reminder'])
    clock.advance(16 * 3_600_000)
    await runDueTimers(org, clock)
    const [row] = await database.db.select().from(serviceTickets).where(eq(serviceTickets.id, t0.id))
    expect(row?.responseSla).toBe('breached')
    expect((await cards(org, t0.id)).at(-1)).toEqual({ to: uid(org, 'zhangwei'), kind: 'escalation' })
    const timeline = (await getTicket({ ctx: mgr, ticketId: t0.id })).timeline.map((e) => e.kind)
    expect(timeline).toContain('sla_breach')
    // A reassignment makes the old timers no-ops; the late first response stays breached.
    const t1 = await createTicket({ ctx: mgr, input: { subject: '再测', ownerId: uid(org, 'liuyang') } })
    await assignTicket({ ctx: mgr, ticketId: t1.id, input: { ownerId: uid(org, 'chenjing') } })
    clock.advance(3 * DAY)
    await runDueTimers(org, clock)
    const kinds = await cards(org, t1.id)
    expect(kinds.filter((k) => k.kind === 'escalation')).toHaveLength(2) // response + resolution, once each
    const late = await acceptTicket({ ctx: ctxAs(database, org, 'chenjing', clock), ticketId: t1.id })
    expect(late.responseSla).toBe('breached')
  })

  it('the scan flags every overdue open ticket in one pass', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    for (let i = 0; i < 3; i++)
      await createTicket({ ctx: mgr, input: { subject: `扫描 ${i}`, ownerId: null } })
    clock.advance(10 * DAY)
    expect(await scanServiceSla(systemCtx(database, org, clock))).toEqual({ response: 3, resolution: 3 })
    expect(await scanServiceSla(systemCtx(database, org, clock))).toEqual({ response: 0, resolution: 0 })
    // Just past its deadline a ticket is its timer's (which sends the escalation card); after the grace, the scan's.
    const late = await createTicket({ ctx: mgr, input: { subject: '刚超时', ownerId: null } })
    clock.advance((late.firstResponseDueAt?.getTime() ?? 0) - clock.now().getTime() + 5 * 60_000)
    expect(await scanServiceSla(systemCtx(database, org, clock))).toEqual({ response: 0, resolution: 0 })
    clock.advance(SCAN_GRACE_MS)
    expect(await scanServiceSla(systemCtx(database, org, clock))).toEqual({ response: 1, resolution: 0 })
    const [flagged] = await database.db.select().from(serviceTickets).where(eq(serviceTickets.id, late.id))
    expect([flagged?.responseSla, flagged?.resolutionSla, flagged?.version]).toEqual([
      'breached',
      'pending',
      late.version + 1,
    ])
  })
  it('a breach the scan flags goes on the timeline and to the owner and their manager, once across scans', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    const owned = await createTicket({
      ctx: mgr,
      input: { subject: '无人响应', ownerId: uid(org, 'liuyang') },
    })
    const queued = await createTicket({ ctx: mgr, input: { subject: '队列中', ownerId: null } })
    // The timers never ran (a lost queue): the scan is the only one to see the deadlines pass.
    clock.advance(10 * DAY)
    expect(await scanServiceSla(systemCtx(database, org, clock))).toEqual({ response: 2, resolution: 2 })
    const breaches = async (ticketId: string) =>
      (await getTicket({ ctx: mgr, ticketId })).timeline.filter((e) => e.kind === 'sla_breach')
    expect((await breaches(owned.id)).map((e) => e.data)).toEqual([
      { clock: 'response', by: 'scan' },
      { clock: 'resolution', by: 'scan' },
    ])
    const escalations = async (ticketId: string) =>
      (await cards(org, ticketId)).filter((c) => c.kind === 'escalation').map((c) => c.to)
    expect(await escalations(owned.id)).toEqual([uid(org, 'liuyang'), uid(org, 'zhangwei')])
    // Nobody owns it: the service managers hear of it.
    const dispatchers = await escalationTargets(systemCtx(database, org, clock), { ownerId: null })
    expect(dispatchers.length).toBeGreaterThan(0)
    expect(await escalations(queued.id)).toEqual(dispatchers)
    // Later scans and the late timers add nothing.
    clock.advance(DAY)
    expect(await scanServiceSla(systemCtx(database, org, clock))).toEqual({ response: 0, resolution: 0 })
    await runDueTimers(org, clock)
    expect(await breaches(owned.id)).toHaveLength(2)
    expect(await escalations(owned.id)).toEqual([uid(org, 'liuyang'), uid(org, 'zhangwei')])
    expect(await escalations(queued.id)).toEqual(dispatchers)
  })
})

describe('satisfaction', () => {
  it('the status link shows only its ticket; a good rating closes it, a low one reopens and alerts the manager', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    const eng = ctxAs(database, org, 'liuyang', clock)
    const mk = async (subject: string) => {
      const t = await createTicket({ ctx: mgr, input: { subject, ownerId: uid(org, 'liuyang') } })
      await acceptTicket({ ctx: eng, ticketId: t.id })
      await commentTicket({ ctx: eng, ticketId: t.id, input: { body: '内部：备件在路上', internal: true } })
      await setTicketStatus({ ctx: eng, ticketId: t.id, input: { status: 'resolved', note: '已修复' } })
      return t
    }
    const good = await mk('好评单')
    const bad = await mk('差评单')
    const deps = { database, clock, logger: silent }
    const page = await getPublicTicket({ database, token: good.statusToken })
    expect(page.subject).toBe('好评单')
    expect(page.canRate).toBe(true)
    expect(JSON.stringify(page)).not.toContain('备件在路上')
    expect(JSON.stringify(page)).not.toContain(org.tenantId)
    await expect(
      getPublicTicket({ database, token: `${good.statusToken.slice(0, -2)}xx` }),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(
      rateByToken({ ...deps, token: good.statusToken, input: { rating: 9 } }),
    ).rejects.toMatchObject({
      details: { field: 'rating' },
    })
    const closed = await rateByToken({
      ...deps,
      token: good.statusToken,
      input: { rating: 5, comment: '很快' },
    })
    expect([closed.status, closed.rating, closed.canRate]).toEqual(['closed', 5, false])
    await expect(
      rateByToken({ ...deps, token: good.statusToken, input: { rating: 1 } }),
    ).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    const reopened = await rateByToken({
      ...deps,
      token: bad.statusToken,
      input: { rating: 1, comment: '没修好' },
    })
    expect(reopened.status).toBe('in_progress')
    const sent = await cards(org, bad.id)
    expect(
      sent
        .filter((c) => c.kind === 'low_rating')
        .map((c) => c.to)
        .sort(),
    ).toEqual([uid(org, 'zhangwei'), uid(org, 'liuyang')].sort())
    const [row] = await database.db.select().from(serviceTickets).where(eq(serviceTickets.id, bad.id))
    expect([row?.rating, row?.reopenCount]).toEqual([1, 1])
  })
})

describe('data scope', () => {
  it('a rep sees their own and their customers’ tickets, the manager the team’s, an outsider none', async () => {
    const org = await setup()
    const clock = mondayClock()
    const liuyang = ctxAs(database, org, 'liuyang', clock)
    const { id: customerId } = await createCustomer({ ctx: liuyang, input: { name: '刘洋的客户有限公司' } })
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    const t1 = await createTicket({
      ctx: mgr,
      input: { subject: '客户的单', customerId, ownerId: uid(org, 'chenjing') },
    })
    const t2 = await createTicket({ ctx: mgr, input: { subject: '陈静的单', ownerId: uid(org, 'chenjing') } })
    const ids = async (ctx: ServiceContext) =>
      (await listTickets({ ctx, input: {} })).items.map((i) => i.id).sort()
    expect(await ids(liuyang)).toEqual([t1.id])
    expect(await ids(ctxAs(database, org, 'chenjing', clock))).toEqual([t1.id, t2.id].sort())
    expect(await ids(mgr)).toEqual([t1.id, t2.id].sort())
    expect(await ids(ctxAs(database, org, 'huangli', clock))).toEqual([])
    await expect(
      getTicket({ ctx: ctxAs(database, org, 'huangli', clock), ticketId: t2.id }),
    ).rejects.toMatchObject({
      code: 'not_found',
    })
    // The customer card has the service section and the ticket on its timeline.
    const card = await getCustomerCard({ ctx: liuyang, customerId })
    expect([card.service.openCount, card.service.recent.map((r) => r.id)]).toEqual([1, [t1.id]])
    expect(card.timeline.some((e) => e.kind === 'ticket' && e.id === t1.id)).toBe(true)
    // The rep sees the customer's ticket but may not work it.
    await expect(acceptTicket({ ctx: liuyang, ticketId: t1.id })).rejects.toMatchObject({ code: 'forbidden' })
    const filtered = await listTickets({
      ctx: mgr,
      input: { status: 'open', ownerId: uid(org, 'chenjing'), limit: 1 },
    })
    expect(filtered.items).toHaveLength(1)
    const next = await listTickets({
      ctx: mgr,
      input: { status: 'open', limit: 1, cursor: filtered.nextCursor ?? '' },
    })
    expect(next.items).toHaveLength(1)
    expect(next.items[0]?.id).not.toBe(filtered.items[0]?.id)
    await expect(listTickets({ ctx: mgr, input: { cursor: 'nope' } })).rejects.toMatchObject({
      details: { field: 'cursor' },
    })
    // The customer changes hands: its tickets go with it (the old rep loses them, the new one gets them),
    // also for a ticket opened afterwards; a customer released to the pool takes its tickets out of sight.
    const huangli = ctxAs(database, org, 'huangli', clock)
    await assignCustomer({
      ctx: ctxAs(database, org, 'wangjianguo', clock),
      customerId,
      input: { ownerId: uid(org, 'huangli') },
    })
    expect(await ids(liuyang)).toEqual([])
    expect(await ids(huangli)).toEqual([t1.id])
    const t3 = await createTicket({ ctx: mgr, input: { subject: '转手后的单', customerId } })
    expect(await ids(huangli)).toEqual([t1.id, t3.id].sort())
    expect((await listTickets({ ctx: huangli, input: { ownerId: 'none' } })).items.map((i) => i.id)).toEqual(
      t3.ownerId ? [] : [t3.id],
    )
    await releaseCustomer({ ctx: huangli, customerId })
    expect(await ids(huangli)).toEqual([])
    const [stored] = await database.db
      .select({ o: serviceTickets.customerOwnerId })
      .from(serviceTickets)
      .where(eq(serviceTickets.id, t1.id))
    expect(stored?.o).toBeNull()
  })
})

describe('external intake', () => {
  it('is idempotent by the system’s id, also for concurrent redeliveries', async () => {
    const org = await setup()
    const clock = mondayClock()
    const sys = systemCtx(database, org, clock)
    const { id: customerId } = await createCustomer({
      ctx: ctxAs(database, org, 'liuyang', clock),
      input: { name: '热线客户有限公司' },
    })
    const input = { subject: '400 热线来电：空调不制冷', customerName: '热线客户有限公司', type: '维修' }
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        receiveExternalTicket({ ctx: sys, systemId: 'sys_hotline', externalId: 'CALL-1', input }),
      ),
    )
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1)
    expect(new Set(results.map((r) => r.ticket.id)).size).toBe(1)
    expect(results[0]?.ticket.customerId).toBe(customerId)
    const rows = await database.db
      .select()
      .from(serviceTickets)
      .where(eq(serviceTickets.tenantId, org.tenantId))
    expect(rows).toHaveLength(1)
    await expect(
      receiveExternalTicket({
        ctx: sys,
        systemId: 'sys_hotline',
        externalId: 'CALL-2',
        input: { ...input, customerName: '不存在' },
      }),
    ).rejects.toMatchObject({ details: { field: 'customerName' } })
  })
})

describe('settings', () => {
  it('only service managers change them; the SLA follows the tenant calendar', async () => {
    const org = await setup()
    const clock = mondayClock()
    await expect(
      updateServiceSettings({ ctx: ctxAs(database, org, 'liuyang', clock), input: { lowRating: 3 } }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      updateServiceSettings({
        ctx: ctxAs(database, org, 'zhangwei', clock),
        input: { workingHours: { days: [1], start: '18:00', end: '09:00' } },
      }),
    ).rejects.toMatchObject({ details: { field: 'workingHours.end' } })
    await updateServiceSettings({
      ctx: ctxAs(database, org, 'zhangwei', clock),
      input: { workingHours: null },
    })
    const t0 = await createTicket({
      ctx: ctxAs(database, org, 'zhangwei', clock),
      input: { subject: '全天候' },
    })
    expect((t0.resolutionDueAt?.getTime() ?? 0) - clock.now().getTime()).toBe(1620 * 60_000)
  })

  it('the working hours are read in the tenant’s time zone', async () => {
    const org = await setup()
    // Monday 10:00 in China is Monday 03:00 in Berlin (winter) or 04:00 (summer): before opening there.
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    await updateServiceSettings({
      ctx: mgr,
      input: { workingHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' } },
    })
    const china = await createTicket({ ctx: mgr, input: { subject: '上海', priority: 'urgent' } })
    // 30 working minutes from 10:00 China time.
    expect(china.firstResponseDueAt?.toISOString()).toBe(
      new Date(clock.now().getTime() + 30 * 60_000).toISOString(),
    )
    await setTenantSettings({
      ctx: ctxAs(database, org, 'wangjianguo', clock),
      input: { timeZone: 'Europe/Berlin' },
    })
    const berlin = await createTicket({ ctx: mgr, input: { subject: '柏林', priority: 'urgent' } })
    // Counted from 09:00 Berlin time that Monday: 09:30 there.
    const due = berlin.firstResponseDueAt ?? new Date(0)
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(due)
    expect(local).toBe('Mon 09:30')
    expect(due.getTime() - clock.now().getTime()).toBeGreaterThan(4 * 3_600_000)
  })
})

describe('priority', () => {
  it('a new priority re-plans the running SLA clocks; old timers do nothing; owner or manager only', async () => {
    const org = await setup()
    const clock = mondayClock()
    const mgr = ctxAs(database, org, 'zhangwei', clock)
    const t = await createTicket({
      ctx: mgr,
      input: { subject: '低优先级', priority: 'low', ownerId: uid(org, 'chenjing') },
    })
    // Low: 540 working minutes to respond (Mon 10:00 → Tue 10:00 in 09:00–18:00 hours).
    expect((t.firstResponseDueAt?.getTime() ?? 0) - clock.now().getTime()).toBe(DAY)
    await expect(
      setTicketPriority({
        ctx: ctxAs(database, org, 'huangli', clock),
        ticketId: t.id,
        input: { priority: 'urgent' },
      }),
    ).rejects.toMatchObject({ code: 'not_found' })
    await expect(
      setTicketPriority({ ctx: mgr, ticketId: t.id, input: { priority: 'asap' } }),
    ).rejects.toMatchObject({ details: { field: 'priority' } })
    clock.advance(60 * 60_000)
    const up = await setTicketPriority({
      ctx: ctxAs(database, org, 'chenjing', clock),
      ticketId: t.id,
      input: { priority: 'urgent', note: '产线停了' },
    })
    // Urgent: 30 working minutes from the opening — already past, so the escalation is due now.
    expect(up.priority).toBe('urgent')
    expect((up.firstResponseDueAt?.getTime() ?? 0) - t.createdAt.getTime()).toBe(30 * 60_000)
    expect((up.resolutionDueAt?.getTime() ?? 0) - t.createdAt.getTime()).toBe(240 * 60_000)
    await runDueTimers(org, clock)
    const [row] = await database.db.select().from(serviceTickets).where(eq(serviceTickets.id, t.id))
    expect(row?.responseSla).toBe('breached')
    const escalations = async () => (await cards(org, t.id)).filter((c) => c.kind === 'escalation')
    expect(await escalations()).toHaveLength(1)
    const detail = await getTicket({ ctx: mgr, ticketId: t.id })
    expect(detail.timeline.find((e) => e.kind === 'priority')).toMatchObject({
      body: '产线停了',
      data: { from: 'low', to: 'urgent' },
    })
    // Later the new plan's resolution deadline escalates once; the old (low) plan's timers do nothing.
    clock.advance(7 * DAY)
    await runDueTimers(org, clock)
    expect(await escalations()).toHaveLength(2)
    // Closed tickets keep theirs.
    await setTicketStatus({ ctx: mgr, ticketId: t.id, input: { status: 'rejected', note: '重复' } })
    await expect(
      setTicketPriority({ ctx: mgr, ticketId: t.id, input: { priority: 'low' } }),
    ).rejects.toMatchObject({ code: 'invalid_transition' })
  })
})
