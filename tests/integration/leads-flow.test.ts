import { and, eq, lte, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import {
  addLeadFollowUp,
  claimLead,
  convertLead,
  createAssignmentRule,
  createCampaign,
  createLead,
  LEAD_NOTIFY,
  LEAD_TIMER,
  listChannels,
  markLeadInvalid,
  setCampaignCost,
  setLeadStatus,
  transferLead,
} from '../../bot/domain/leads'
import {
  analyseChannels,
  histogramMedian,
  rawChannelCounts,
  splitPeriod,
} from '../../bot/domain/leads/analyse-channels'
import { listLeads } from '../../bot/domain/leads/list-leads'
import { CONTACT_MINUTE_EDGES, CONVERT_DAY_EDGES, chinaDay } from '../../bot/domain/leads/rollup'
import { closeOpportunity } from '../../bot/domain/opportunities/close-opportunity'
import { loadActorScope, scopeFilter } from '../../bot/domain/org/data-scope'
import { setTenantSettings } from '../../bot/domain/org/time-zone'
import type { Clock } from '../../bot/lib/clock'
import { zonedNow } from '../../bot/lib/zoned'
import type { Database } from '../../db/client'
import { customerAttributions, customers, leads, opportunities, outbox } from '../../db/schema'
import { leadProcessors } from '../../jobs/processors/leads'
import type { ProcessorDeps } from '../../jobs/processors/types'
import { testApp } from '../helpers/app'
import { dayFromNow } from '../helpers/dates'
import { openTestDatabase } from '../helpers/db'
import { bearer, type CrmTenant, crmTenant, DAY, silent } from './crm-harness'

let database: Database

beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => database.close())

/** A settable clock starting next Monday 10:00 China time (relative to today, never a literal date). */
function mondayClock() {
  const now = Date.now()
  const local = new Date(now + 8 * 3_600_000)
  const dow = local.getUTCDay() === 0 ? 7 : local.getUTCDay()
  const monday = chinaDay(new Date(now + (8 - dow) * DAY))
  let at = new Date(`${monday}T10:00:00+08:00`)
  const clock: Clock & { set(d: Date): void; advance(ms: number): void } = {
    now: () => at,
    set: (d) => {
      at = d
    },
    advance: (ms) => {
      at = new Date(at.getTime() + ms)
    },
  }
  return clock
}

const as = (org: CrmTenant, key: string, clock: Clock): ServiceContext => ({
  tenantId: org.tenantId,
  actor:
    key === 'system'
      ? { kind: 'system', reason: 'test' }
      : { kind: 'user', userId: org.users[key] ?? '', via: 'miniapp' },
  db: database.db,
  clock,
  logger: silent,
})

const channelOf = async (ctx: ServiceContext, code: string) => {
  const c = (await listChannels({ ctx })).find((x) => x.code === code)
  if (!c) throw new Error(code)
  return c.id
}

/** Runs every lead timer due by the clock, as the worker would (through the registered processors). */
async function runDueTimers(org: CrmTenant, clock: Clock) {
  const procs = leadProcessors({ database, clock, logger: silent } as unknown as ProcessorDeps)
  const due = await database.db
    .select()
    .from(outbox)
    .where(
      and(
        eq(outbox.tenantId, org.tenantId),
        eq(outbox.topic, LEAD_TIMER),
        lte(outbox.availableAt, clock.now()),
      ),
    )
  for (const row of due) {
    await procs[LEAD_TIMER]?.(row.payload as never, { id: String(row.id) } as never)
    await database.db.delete(outbox).where(eq(outbox.id, row.id))
  }
}

const notices = async (org: CrmTenant, leadId: string) =>
  (
    await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
  )
    .map((o) => o.payload as { leadId: string; kind: string; to: string })
    .filter((p) => p.leadId === leadId)

describe('assignment rules', () => {
  it('round robin respects each rep’s daily quota, sends the rest to the pool, and starts afresh the next day', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const sys = as(org, 'system', clock)
    const expo = await channelOf(sys, 'expo')
    await createAssignmentRule({
      ctx: as(org, 'wangjianguo', clock),
      input: {
        name: '展会',
        match: { channelIds: [expo] },
        members: [
          { userId: org.users.liuyang ?? '', capacity: 60 },
          { userId: org.users.chenjing ?? '', capacity: 30 },
        ],
      },
    })
    const owners = async (n: number, tag: string) => {
      const out: Array<string | null> = []
      for (let i = 0; i < n; i++) {
        const r = await createLead({
          ctx: sys,
          input: {
            name: `${tag}${i}`,
            phone: `1380000${tag === 'a' ? 1 : 2}${String(i).padStart(3, '0')}`,
            channelId: expo,
          },
        })
        out.push(r.lead?.ownerName ?? null)
      }
      return out
    }
    expect(await owners(5, 'a')).toEqual(['刘洋', '陈静', '刘洋', null, null])
    clock.advance(DAY)
    expect(await owners(2, 'b')).toEqual(['陈静', '刘洋'])
  })

  it('weighted by capacity gives twice the leads to twice the capacity, only in working hours', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const sys = as(org, 'system', clock)
    const search = await channelOf(sys, 'search_ads')
    await createAssignmentRule({
      ctx: as(org, 'wangjianguo', clock),
      input: {
        name: '搜索',
        method: 'weighted',
        match: { regions: ['上海'] },
        workingHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' },
        members: [
          { userId: org.users.liuyang ?? '', capacity: 300 },
          { userId: org.users.chenjing ?? '', capacity: 150 },
        ],
      },
    })
    const got: Record<string, number> = {}
    for (let i = 0; i < 9; i++) {
      const r = await createLead({
        ctx: sys,
        input: {
          name: `w${i}`,
          phone: `1370000${String(i).padStart(4, '0')}`,
          region: '上海市',
          channelId: search,
        },
      })
      const k = r.lead?.ownerName ?? 'pool'
      got[k] = (got[k] ?? 0) + 1
    }
    expect(got).toEqual({ 刘洋: 6, 陈静: 3 })
    const other = await createLead({
      ctx: sys,
      input: { name: '北京客', phone: '13700009999', region: '北京', channelId: search },
    })
    expect(other.lead?.inPool).toBe(true)
    clock.advance(5 * DAY) // Saturday
    const weekend = await createLead({
      ctx: sys,
      input: { name: '周末', phone: '13700008888', region: '上海', channelId: search },
    })
    expect(weekend.lead?.inPool).toBe(true)
    const claimed = await claimLead({ ctx: as(org, 'yangfan', clock), leadId: weekend.lead?.id ?? '' })
    expect(claimed.ownerId).toBe(org.users.yangfan)
  })
})

describe('first-contact SLA over simulated time', () => {
  it('reminds the owner at 50 %, escalates to the manager at 100 % with the breach flag, and recycles after N days', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const phone = await channelOf(as(org, 'system', clock), 'phone') // SLA 30 min
    const { lead } = await createLead({
      ctx: as(org, 'wangjianguo', clock),
      input: { name: '超时', phone: '13900000001', channelId: phone, ownerId: org.users.liuyang },
    })
    const id = lead?.id ?? ''
    expect(lead?.slaState).toBe('pending')
    clock.advance(14 * 60_000)
    await runDueTimers(org, clock)
    expect((await notices(org, id)).map((n) => n.kind)).toEqual(['assigned'])
    clock.advance(60_000)
    await runDueTimers(org, clock)
    expect((await notices(org, id)).map((n) => n.kind)).toEqual(['assigned', 'sla_reminder'])
    clock.advance(15 * 60_000)
    await runDueTimers(org, clock)
    const n = await notices(org, id)
    expect(n.map((x) => x.kind)).toEqual(['assigned', 'sla_reminder', 'sla_escalation'])
    expect(n[2]?.to).toBe(org.users.zhangwei) // 刘洋's manager
    const [row] = await database.db.select().from(leads).where(eq(leads.id, id))
    expect(row?.slaState).toBe('breached')
    await addLeadFollowUp({ ctx: as(org, 'liuyang', clock), leadId: id, input: { content: '终于打通了' } })
    const [late] = await database.db.select().from(leads).where(eq(leads.id, id))
    expect(late).toMatchObject({ status: 'contacted', slaState: 'breached' })
    clock.advance(6 * DAY)
    await runDueTimers(org, clock)
    expect((await database.db.select().from(leads).where(eq(leads.id, id)))[0]?.ownerId).toBe(
      org.users.liuyang,
    )
    clock.advance(DAY + 60_000)
    await runDueTimers(org, clock)
    clock.advance(60_000)
    await runDueTimers(org, clock)
    const [gone] = await database.db.select().from(leads).where(eq(leads.id, id))
    expect(gone?.ownerId).toBeNull()
    expect((await notices(org, id)).at(-1)).toMatchObject({ kind: 'recycled', to: org.users.liuyang })
  })

  it('a lead contacted in time meets its SLA and its timers do nothing', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const phone = await channelOf(as(org, 'system', clock), 'phone')
    const { lead } = await createLead({
      ctx: as(org, 'liuyang', clock),
      input: { name: '及时', phone: '13900000002', channelId: phone },
    })
    clock.advance(5 * 60_000)
    await addLeadFollowUp({
      ctx: as(org, 'liuyang', clock),
      leadId: lead?.id ?? '',
      input: { content: '已联系' },
    })
    clock.advance(60 * 60_000)
    await runDueTimers(org, clock)
    const [row] = await database.db
      .select()
      .from(leads)
      .where(eq(leads.id, lead?.id ?? ''))
    expect(row?.slaState).toBe('met')
    expect((await notices(org, lead?.id ?? '')).length).toBe(0)
  })

  it('the notify job renders the card for the assignee', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const expo = await channelOf(as(org, 'system', clock), 'expo')
    const { lead } = await createLead({
      ctx: as(org, 'wangjianguo', clock),
      input: {
        name: '卡片',
        company: '卡片公司',
        phone: '13900000003',
        channelId: expo,
        ownerId: org.users.chenjing,
      },
    })
    const procs = leadProcessors({ database, clock, logger: silent } as unknown as ProcessorDeps)
    await procs[LEAD_NOTIFY]?.(
      {
        tenantId: org.tenantId,
        leadId: lead?.id ?? '',
        kind: 'assigned',
        to: org.users.chenjing ?? '',
        seq: 1,
      },
      { id: 'n1' } as never,
    )
    const sent = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'send.message')))
    const card = JSON.stringify(sent.at(-1)?.payload)
    for (const text of [
      '新线索：卡片',
      '卡片公司',
      '展会',
      '接受',
      '转交',
      '无效',
      '写跟进',
      `/leads/${lead?.id}`,
    ])
      expect(card).toContain(text)
  })
})

describe('conversion and data scope', () => {
  it('converts into a customer and contact carrying the attribution, in one go', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const ctx = as(org, 'liuyang', clock)
    const search = await channelOf(ctx, 'search_ads')
    const { lead } = await createLead({
      ctx,
      input: {
        name: '孙总',
        company: '星河科技有限公司',
        phone: '13800008888',
        email: 'sun@xinghe.cn',
        channelId: search,
      },
    })
    await expect(convertLead({ ctx, leadId: lead?.id ?? '', input: {} })).resolves.toBeTruthy()
    const [row] = await database.db
      .select()
      .from(leads)
      .where(eq(leads.id, lead?.id ?? ''))
    expect(row?.status).toBe('converted')
    const [cus] = await database.db
      .select()
      .from(customers)
      .where(eq(customers.id, row?.customerId ?? ''))
    expect(cus).toMatchObject({ name: '星河科技有限公司', source: '搜索广告', ownerId: org.users.liuyang })
    const [attr] = await database.db
      .select()
      .from(customerAttributions)
      .where(eq(customerAttributions.customerId, cus?.id ?? ''))
    expect(attr).toMatchObject({ leadId: lead?.id, channelId: search })
    await expect(
      setLeadStatus({ ctx, leadId: lead?.id ?? '', input: { status: 'qualified' } }),
    ).rejects.toMatchObject({ code: 'invalid_transition' })
  })

  it('converts with an opportunity through the API; a bad opportunity field is a 400 naming it and changes nothing', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const ctx = as(org, 'liuyang', clock)
    const expo = await channelOf(ctx, 'expo')
    const { lead } = await createLead({
      ctx,
      input: {
        name: '钱经理',
        company: '远山制造',
        phone: '13800006666',
        productInterest: '车间看板',
        channelId: expo,
      },
    })
    const { app } = testApp(database)
    const headers = { ...(await bearer(org, 'liuyang')), 'content-type': 'application/json' }
    const bad = await app.request(`/api/v1/crm/leads/${lead?.id}/convert`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ opportunity: { amountCents: -5 } }),
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('opportunity.amountCents')
    const [still] = await database.db
      .select()
      .from(leads)
      .where(eq(leads.id, lead?.id ?? ''))
    expect(still).toMatchObject({ status: 'new', customerId: null })
    const closeDate = dayFromNow(180)
    const res = await app.request(`/api/v1/crm/leads/${lead?.id}/convert`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ opportunity: { amountCents: 1_200_000, expectedCloseDate: closeDate } }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { customerId: string; opportunityId: string; lead: { status: string } }
    expect(body.lead.status).toBe('converted')
    const [opp] = await database.db
      .select()
      .from(opportunities)
      .where(eq(opportunities.id, body.opportunityId))
    expect(opp).toMatchObject({
      name: '远山制造 · 车间看板',
      customerId: body.customerId,
      leadId: lead?.id,
      channel: '展会',
      amountCents: 1_200_000,
      expectedCloseDate: closeDate,
      ownerId: org.users.liuyang,
    })
    const plain = await convertLead({
      ctx,
      leadId:
        (await createLead({ ctx, input: { name: '无商机', phone: '13800006667', channelId: expo } })).lead
          ?.id ?? '',
      input: {},
    })
    expect(plain.opportunityId).toBeNull()
  })

  it('answers 404 for another rep’s lead, hides it from their list, and their figures carry no costs', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    const mine = as(org, 'liuyang', clock)
    const expo = await channelOf(mine, 'expo')
    const { lead } = await createLead({
      ctx: mine,
      input: { name: '私有', phone: '13800007777', channelId: expo },
    })
    const { app } = testApp(database)
    const other = await bearer(org, 'chenjing')
    expect((await app.request(`/api/v1/crm/leads/${lead?.id}`, { headers: other })).status).toBe(404)
    const tr = await app.request(`/api/v1/crm/leads/${lead?.id}/transfer`, {
      method: 'POST',
      headers: { ...other, 'content-type': 'application/json' },
      body: JSON.stringify({ toUserId: org.users.chenjing }),
    })
    expect(tr.status).toBe(404)
    await expect(
      transferLead({
        ctx: as(org, 'chenjing', clock),
        leadId: lead?.id ?? '',
        input: { toUserId: org.users.chenjing },
      }),
    ).rejects.toMatchObject({ code: 'not_found' })
    const list = (await (await app.request('/api/v1/crm/leads', { headers: other })).json()) as {
      items: unknown[]
    }
    expect(list.items).toHaveLength(0)
    const owner = (await (
      await app.request('/api/v1/crm/leads', { headers: await bearer(org, 'liuyang') })
    ).json()) as { items: Array<{ id: string }> }
    expect(owner.items.map((l) => l.id)).toEqual([lead?.id])
    const day = chinaDay(clock.now())
    const fig = (await (
      await app.request(`/api/v1/crm/channels/analysis?from=${day}&to=${day}`, { headers: other })
    ).json()) as { total: { leads: number; costCents: number | null } }
    expect(fig.total).toMatchObject({ leads: 0, costCents: null })
    const bad = await app.request('/api/v1/crm/channels/analysis?from=2026-1-1&to=x', { headers: other })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('from')
  })
})

describe('lead list dates', () => {
  it('cuts the from/to days in the tenant’s zone: China by default, the zone an admin sets after', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    // Monday 07:30 China time is Sunday 23:30 UTC and Sunday 15:30 in Los Angeles.
    clock.set(new Date(clock.now().getTime() - (2 * 60 + 30) * 60_000))
    const monday = chinaDay(clock.now())
    const sunday = chinaDay(new Date(clock.now().getTime() - DAY))
    const mine = as(org, 'liuyang', clock)
    const { lead } = await createLead({
      ctx: mine,
      input: { name: '清晨客', phone: '13800006666', channelId: await channelOf(mine, 'expo') },
    })
    const names = async (day: string) =>
      (await listLeads({ ctx: mine, input: { from: day, to: day } })).items.map((l) => l.id)
    expect(await names(monday)).toEqual([lead?.id])
    expect(await names(sunday)).toEqual([])
    await setTenantSettings({
      ctx: as(org, 'wangjianguo', clock),
      input: { timeZone: 'America/Los_Angeles' },
    })
    expect(await names(sunday)).toEqual([lead?.id])
    expect(await names(monday)).toEqual([])
  })
})

describe('channel analysis', () => {
  it('matches a hand-computed month: counts, rates, prorated cost, cost per lead and per conversion, medians', async () => {
    const org = await crmTenant(database)
    const clock = mondayClock()
    // The previous calendar month (China time), entirely in the past.
    const thisMonth = chinaDay(clock.now()).slice(0, 7)
    const first = new Date(`${thisMonth}-01T00:00:00+08:00`)
    const prevLast = chinaDay(new Date(first.getTime() - DAY))
    const prevFirst = `${prevLast.slice(0, 7)}-01`
    clock.set(new Date(`${prevFirst}T10:00:00+08:00`))
    const admin = as(org, 'wangjianguo', clock)
    const rep = as(org, 'liuyang', clock)
    const search = await channelOf(admin, 'search_ads')
    const expo = await channelOf(admin, 'expo')
    const camp = await createCampaign({
      ctx: admin,
      input: { channelId: search, name: '百度品牌词', utmCampaign: 'brand' },
    })
    await setCampaignCost({
      ctx: admin,
      campaignId: camp.id,
      input: { month: prevFirst.slice(0, 7), amountCents: 300_000 },
    })
    const mk = async (name: string, phone: string, channelId: string, campaignId?: string) =>
      (
        await createLead({
          ctx: rep,
          input: { name, phone, channelId, ...(campaignId ? { campaignId } : {}) },
        })
      ).lead?.id ?? ''
    const a = await mk('甲', '13100000001', search, camp.id)
    const b = await mk('乙', '13100000002', search, camp.id)
    await mk('丙', '13100000003', search, camp.id)
    const d = await mk('丁', '13100000004', expo)
    clock.advance(30 * 60_000)
    await addLeadFollowUp({ ctx: rep, leadId: a, input: { content: '联系' } })
    clock.advance(60 * 60_000)
    await addLeadFollowUp({ ctx: rep, leadId: b, input: { content: '联系' } })
    await setLeadStatus({ ctx: rep, leadId: a, input: { status: 'qualified' } })
    clock.advance(2 * DAY - 90 * 60_000)
    const conv = await convertLead({
      ctx: rep,
      leadId: a,
      input: { customerName: '甲方公司', opportunity: { amountCents: 900_000 } },
    })
    // The opportunity came with the conversion, linked to the lead and carrying its attribution.
    const [opp] = await database.db
      .select()
      .from(opportunities)
      .where(eq(opportunities.id, conv.opportunityId ?? ''))
    expect(opp).toMatchObject({
      customerId: conv.customerId,
      leadId: a,
      ownerId: org.users.liuyang,
      amountCents: 900_000,
      channel: '搜索广告',
      campaign: '百度品牌词',
      name: '甲方公司',
      status: 'open',
    })
    // Open deals are not won amounts; winning it puts it into the channel's figures.
    const open = await analyseChannels({ ctx: admin, input: { from: prevFirst, to: prevLast } })
    expect(open.total).toMatchObject({ wonDeals: 0, wonAmountCents: 0, roi: 0 })
    await closeOpportunity({ ctx: rep, opportunityId: conv.opportunityId ?? '', input: { outcome: 'won' } })
    await markLeadInvalid({ ctx: rep, leadId: d, input: { reason: '无需求' } })
    const r = await analyseChannels({ ctx: admin, input: { from: prevFirst, to: prevLast } })
    const s = r.rows.find((x) => x.channelId === search)
    expect(s).toMatchObject({
      leads: 3,
      contacted: 2,
      qualified: 1,
      converted: 1,
      invalid: 0,
      contactRate: 0.6667,
      qualifyRate: 0.5,
      conversionRate: 0.3333,
      costCents: 300_000,
      costPerLeadCents: 100_000,
      costPerConvertedCents: 300_000,
      medianMinutesToFirstContact: 60,
      medianDaysToConversion: 2,
      wonDeals: 1,
      wonAmountCents: 900_000,
      roi: 3,
      drill: { from: prevFirst, to: prevLast, channelId: search },
    })
    expect(r.rows.find((x) => x.channelId === expo)).toMatchObject({
      leads: 1,
      invalid: 1,
      costCents: 0,
      costPerLeadCents: 0,
      wonDeals: 0,
      wonAmountCents: 0,
      roi: null,
    })
    expect(r.total).toMatchObject({
      leads: 4,
      converted: 1,
      costCents: 300_000,
      costPerLeadCents: 75_000,
      wonDeals: 1,
      wonAmountCents: 900_000,
      roi: 3,
    })
    // Half the month → half the cost.
    const half = await analyseChannels({
      ctx: admin,
      input: { from: prevFirst, to: prevFirst, channelId: search },
    })
    const days = Number(prevLast.slice(8, 10))
    expect(half.total.costCents).toBe(Math.round(300_000 / days))
    // Ten days of it, and the same ten days with the month after (no cost entered there): ten days' share.
    const tenth = `${prevFirst.slice(0, 8)}10`
    const ten = await analyseChannels({
      ctx: admin,
      input: { from: prevFirst, to: tenth, channelId: search },
    })
    expect(ten.total.costCents).toBe(Math.round((300_000 * 10) / days))
    const across = await analyseChannels({
      ctx: admin,
      input: {
        from: `${prevLast.slice(0, 8)}${String(days - 9).padStart(2, '0')}`,
        to: chinaDay(new Date(Date.parse(`${prevLast}T12:00:00+08:00`) + 5 * DAY)),
        channelId: search,
      },
    })
    expect(across.total.costCents).toBe(Math.round((300_000 * 10) / days))
    const byCampaign = await analyseChannels({
      ctx: admin,
      input: { from: prevFirst, to: prevLast, by: 'campaign' },
    })
    expect(byCampaign.rows.find((x) => x.campaignId === camp.id)).toMatchObject({
      leads: 3,
      costPerLeadCents: 100_000,
      wonAmountCents: 900_000,
      roi: 3,
    })
    // A rep sees the won amount of their own leads, never a cost or an ROI.
    const mine = await analyseChannels({ ctx: rep, input: { from: prevFirst, to: prevLast } })
    expect(mine.total).toMatchObject({ wonDeals: 1, wonAmountCents: 900_000, costCents: null, roi: null })
    const other = await analyseChannels({
      ctx: as(org, 'chenjing', clock),
      input: { from: prevFirst, to: prevLast },
    })
    expect(other.total).toMatchObject({ wonDeals: 0, wonAmountCents: 0 })
    expect(r.trend.reduce((sum, w) => sum + w.leads, 0)).toBe(4)
  })

  /**
   * Seeded random writes over ~100 days on a China-time tenant and on a Los Angeles tenant (which changes its
   * zone midway, so its rollups are rebuilt), then the rollup-based analysis is compared with the raw
   * GROUP BY for an admin, marketing, a department manager and a rep, by channel and by campaign, over
   * random periods (partial weeks and months, whole months, a single day) — and the weekly trend with
   * the leads counted per week in the tenant's zone. Corrupting one row of any rollup (everyone's or the owner
   * rollups a rep reads) makes the same comparison fail.
   */
  it('the rollup agrees with the raw GROUP BY for every caller, period and zone after random writes', async () => {
    const callers = ['wangjianguo', 'sunyue', 'zhangwei', 'liuyang']
    const reps = ['liuyang', 'chenjing', 'yangfan', 'zhangwei']
    let seed = 42
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed % n
    }
    const run = async (zone: string | null, switchTo: string | null) => {
      const org = await crmTenant(database)
      const clock = mondayClock()
      const start = clock.now().getTime()
      const admin = as(org, 'wangjianguo', clock)
      if (zone) await setTenantSettings({ ctx: admin, input: { timeZone: zone } })
      const chans = (await listChannels({ ctx: admin })).map((c) => c.id)
      const camps = [
        await createCampaign({ ctx: admin, input: { channelId: chans[0] ?? '', name: 'c1' } }),
        await createCampaign({ ctx: admin, input: { channelId: chans[1] ?? '', name: 'c2' } }),
      ]
      const ids: string[] = []
      for (let i = 0; i < 140; i++) {
        clock.advance(rnd(34) * 3_600_000 + rnd(60) * 60_000)
        if (i === 70 && switchTo) await setTenantSettings({ ctx: admin, input: { timeZone: switchTo } })
        const who = as(org, reps[rnd(reps.length)] ?? 'liuyang', clock)
        const op = ids.length < 5 ? 0 : rnd(9)
        const target = ids[rnd(ids.length)] ?? ''
        const tryIt = (p: Promise<unknown>) =>
          p.catch((e: { code?: string }) => {
            if (
              !['not_found', 'invalid_transition', 'invalid_input', 'conflict', 'forbidden'].includes(
                e.code ?? '',
              )
            )
              throw e
          })
        if (op <= 2) {
          const ch = chans[rnd(3)] ?? ''
          const camp = camps.find((c) => c.channelId === ch)
          const r = await createLead({
            ctx: who,
            input: {
              name: `L${i}`,
              phone: `1550000${String(rnd(90)).padStart(4, '0')}`,
              channelId: ch,
              ...(camp && rnd(3) ? { campaignId: camp.id } : {}),
              ...(rnd(4) === 0 ? { ownerId: null } : {}),
            },
          })
          if (r.lead) ids.push(r.lead.id)
        } else if (op === 3)
          await tryIt(addLeadFollowUp({ ctx: admin, leadId: target, input: { content: 'x' } }))
        else if (op === 4)
          await tryIt(setLeadStatus({ ctx: admin, leadId: target, input: { status: 'qualified' } }))
        else if (op === 5)
          await tryIt(markLeadInvalid({ ctx: admin, leadId: target, input: { reason: '其他' } }))
        else if (op === 6)
          await tryIt(
            transferLead({
              ctx: admin,
              leadId: target,
              input: { toUserId: org.users[reps[rnd(reps.length)] ?? ''] },
            }),
          )
        else if (op === 7) await tryIt(claimLead({ ctx: who, leadId: target }))
        else await tryIt(convertLead({ ctx: admin, leadId: target, input: { customerName: `客户${i}` } }))
      }
      const end = clock.now().getTime()
      const day = (ms: number) => zonedNow(new Date(ms), switchTo ?? zone ?? 'Asia/Shanghai').day
      const periods: Array<[string, string]> = [[day(start), day(end)]]
      for (let k = 0; k < 6; k++) {
        const a = start + rnd(Math.floor((end - start) / DAY)) * DAY
        periods.push([day(a), day(Math.min(end, a + rnd(70) * DAY))])
      }
      const first = day(start + 35 * DAY)
      const monthStart = `${first.slice(0, 7)}-01`
      const monthEnd = new Date(Date.UTC(Number(first.slice(0, 4)), Number(first.slice(5, 7)), 0))
        .toISOString()
        .slice(0, 10)
      periods.push([monthStart, monthEnd], [first, first])
      return { org, clock, periods, zone: switchTo ?? zone ?? 'Asia/Shanghai' }
    }
    const tenants = [await run(null, null), await run('America/Los_Angeles', 'Europe/Berlin')]
    const pick = (x: {
      leads: number
      contacted: number
      qualified: number
      converted: number
      invalid: number
      slaBreached: number
    }) => [x.leads, x.contacted, x.qualified, x.converted, x.invalid, x.slaBreached].join(',')
    /** Every (tenant, caller, period, grouping) whose rollup figures differ from the raw GROUP BY. */
    const mismatches = async () => {
      const out: string[] = []
      let compared = 0
      for (const t of tenants)
        for (const key of callers)
          for (const [from, to] of t.periods)
            for (const by of ['channel', 'campaign'] as const) {
              const ctx = as(t.org, key, t.clock)
              const roll = await analyseChannels({ ctx, input: { from, to, by } })
              const raw = await rawChannelCounts({ ctx, input: { from, to, by } })
              const rawMap = Object.fromEntries(raw.map((x) => [`${x.channelId}|${x.campaignId}`, pick(x)]))
              const rollMap = Object.fromEntries(
                roll.rows
                  .filter((x) => x.leads > 0)
                  .map((x) => [`${x.channelId}|${by === 'campaign' ? (x.campaignId ?? '') : ''}`, pick(x)]),
              )
              compared += raw.length
              if (
                JSON.stringify(rollMap, Object.keys(rollMap).sort()) !==
                JSON.stringify(rawMap, Object.keys(rawMap).sort())
              )
                out.push(`${t.zone} ${key} ${from}..${to} ${by}`)
              if (by === 'campaign') continue
              // The weekly trend: the same leads counted per week (Monday) in the tenant's zone.
              const weeks = await database.db
                .select({
                  week: sql<string>`to_char(date_trunc('week', ${leads.createdAt} at time zone ${t.zone}), 'YYYY-MM-DD')`,
                  n: sql<number>`count(*)::int`,
                })
                .from(leads)
                .where(
                  and(
                    eq(leads.tenantId, t.org.tenantId),
                    sql`${leads.mergedIntoId} is null`,
                    sql`(${leads.createdAt} at time zone ${t.zone})::date between ${from}::date and ${to}::date`,
                    roll.allLeads ? undefined : scopeFilter(await loadActorScope(ctx), leads.ownerId),
                  ),
                )
                .groupBy(sql`1`)
                .orderBy(sql`1`)
              const trend = roll.trend.filter((w) => w.leads > 0).map((w) => `${w.week}:${w.leads}`)
              if (trend.join() !== weeks.map((w) => `${w.week}:${w.n}`).join())
                out.push(`trend ${t.zone} ${key} ${from}..${to}`)
            }
      return { out, compared }
    }
    const ok = await mismatches()
    expect(ok.out).toEqual([])
    expect(ok.compared).toBeGreaterThan(100)
    // The rollups hold what they should: one lead too many in one weekly piece row, one monthly row or one
    // trend row read for the whole period is seen.
    const [t0] = tenants
    const whole = t0?.periods[0]
    if (!t0 || !whole) throw new Error('no tenant')
    const split = splitPeriod(whole[0], whole[1])
    if (!split.covered || !split.months) throw new Error('the whole period has no whole month')
    /** Adds one lead to the first row with a key in `[a, b)`, compares, and takes it away again. */
    const breakOne = async (
      table:
        | 'crm_lead_weekly'
        | 'crm_lead_monthly'
        | 'crm_lead_weekly_channel'
        | 'crm_lead_owner_weekly'
        | 'crm_lead_owner_monthly'
        | 'crm_lead_owner_weekly_channel',
      [a, b]: [string, string],
    ) => {
      const key = sql.raw(table.endsWith('monthly') ? 'month' : 'start')
      const t = sql.raw(table)
      // An owner rollup's row of the rep among the callers (their own figures read it).
      const owner = table.includes('owner') ? sql` and owner_id = ${t0.org.users.liuyang ?? ''}` : sql``
      const where = sql`tenant_id = ${t0.org.tenantId} and ${key} >= ${a}::date and ${key} < ${b}::date and leads > 0${owner}`
      const bump = (by: number) =>
        database.db.execute(sql`update ${t} set leads = leads + ${by}
          where ctid = (select ctid from ${t} where ${where} order by ${key}, channel_id limit 1)`)
      await bump(1)
      const broken = await mismatches()
      await bump(-1)
      return broken.out
    }
    const piece = split.pieces[0]
    if (!piece) throw new Error('the whole period has no week piece')
    expect((await breakOne('crm_lead_weekly', piece)).length).toBeGreaterThan(0)
    expect((await breakOne('crm_lead_monthly', split.months)).length).toBeGreaterThan(0)
    expect((await breakOne('crm_lead_weekly_channel', split.covered)).length).toBeGreaterThan(0)
    // The same for the owner rollups a scoped caller (the rep) reads.
    expect((await breakOne('crm_lead_owner_weekly', piece)).length).toBeGreaterThan(0)
    expect((await breakOne('crm_lead_owner_monthly', split.months)).length).toBeGreaterThan(0)
    expect((await breakOne('crm_lead_owner_weekly_channel', split.covered)).length).toBeGreaterThan(0)
    expect((await mismatches()).out).toEqual([])
  })

  it('interpolates a median within its time bucket', () => {
    // Two leads: one in [30, 60) minutes, one in [60, 120): the median sits at the 60-minute edge.
    const c = new Array(12).fill(0)
    c[3] = 1
    c[4] = 1
    expect(histogramMedian(c, CONTACT_MINUTE_EDGES, 60)).toBe(60 * 60)
    // Four in [0, 5): the median is half-way through the bucket.
    expect(histogramMedian([4, ...new Array(11).fill(0)], CONTACT_MINUTE_EDGES, 60)).toBe(2.5 * 60)
    // The open last bucket answers its lower edge; no leads, no median.
    expect(histogramMedian([...new Array(9).fill(0), 3], CONVERT_DAY_EDGES, 86_400)).toBe(90 * 86_400)
    expect(histogramMedian(new Array(10).fill(0), CONVERT_DAY_EDGES, 86_400)).toBeNull()
  })

  it('splits a period into whole months, whole week pieces and at most six edge days at each end', () => {
    // 2026-03-01 is a Sunday: March is a whole month; no week piece, no edge day.
    expect(splitPeriod('2026-03-01', '2026-03-31')).toEqual({
      months: ['2026-03-01', '2026-04-01'],
      pieces: [],
      days: [],
      covered: ['2026-03-01', '2026-04-01'],
    })
    // Tue 10 Mar … Sun 10 May: days 10–15 Mar, pieces 16–31 Mar, April, pieces 1–10 May (Mon 11 May ends them).
    expect(splitPeriod('2026-03-10', '2026-05-10')).toEqual({
      months: ['2026-04-01', '2026-05-01'],
      pieces: [
        ['2026-03-16', '2026-04-01'],
        ['2026-05-01', '2026-05-11'],
      ],
      days: [['2026-03-10', '2026-03-15']],
      covered: ['2026-03-16', '2026-05-11'],
    })
    // Inside one month: whole weeks only; Wed 4 → Thu 19 Feb 2026.
    expect(splitPeriod('2026-02-04', '2026-02-19')).toEqual({
      months: null,
      pieces: [['2026-02-09', '2026-02-16']],
      days: [
        ['2026-02-04', '2026-02-08'],
        ['2026-02-16', '2026-02-19'],
      ],
      covered: ['2026-02-09', '2026-02-16'],
    })
    // A few days with no boundary inside: all from the leads.
    expect(splitPeriod('2026-02-10', '2026-02-12')).toEqual({
      months: null,
      pieces: [],
      days: [['2026-02-10', '2026-02-12']],
      covered: null,
    })
  })
})
