import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { teamDigestCard } from '../../bot/cards/digest-card'
import type { ServiceContext } from '../../bot/domain/context'
import { ensureSalesDefaults } from '../../bot/domain/opportunities/stage-sets'
import {
  type MorningBriefData,
  morningBrief,
  runDigests,
  setDigestPref,
  type TeamDigestData,
  teamDigest,
} from '../../bot/domain/reports'
import type { Clock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import { DEFAULT_TIME_ZONE } from '../../bot/lib/time-zone'
import { addDays, zonedDayStart } from '../../bot/lib/zoned'
import type { Database } from '../../db/client'
import {
  approvalInstances,
  approvalTasks,
  contracts,
  customers,
  followUps,
  instalments,
  leadChannels,
  leads,
  opportunities,
  outbox,
  payments,
  salesTargets,
  stages,
  tenants,
  visits,
} from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs, silent, uid } from '../helpers/actors'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { cardOfPayload } from '../helpers/outbox-card'

const ZONE = 'Asia/Shanghai'
const HOUR = 3_600_000
const DAY = 24 * HOUR

let database: Database
let org: SeededOrg

/** A Monday a few weeks from the real date (the figures never depend on which one). */
const monday = (() => {
  const d = new Date(Date.now() + 21 * DAY)
  const back = (d.getUTCDay() + 6) % 7
  return new Date(d.getTime() - back * DAY).toISOString().slice(0, 10)
})()
const start = zonedDayStart(monday, ZONE)
/** `hh:mm` local on `day`. */
const at = (day: string, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number)
  return new Date(zonedDayStart(day, ZONE).getTime() + (h ?? 0) * HOUR + (m ?? 0) * 60_000)
}
const clockAt = (d: Date): Clock => ({ now: () => d })
const sys = (tenantId: string, d: Date): ServiceContext => ({
  tenantId,
  actor: { kind: 'system', reason: 'test' },
  db: database.db,
  clock: clockAt(d),
  logger: silent,
})
const monthStart = `${monday.slice(0, 7)}-01`

async function digestRows(tenantId: string) {
  const rows = await database.db
    .select({ payload: outbox.payload })
    .from(outbox)
    .where(and(eq(outbox.tenantId, tenantId), eq(outbox.topic, 'send.message')))
  return rows
    .map(
      (r) =>
        r.payload as {
          to: { userId: string }
          content: { kind: string; view?: { kind: string; data: unknown } }
        },
    )
    .filter((p) => p.content.view?.kind.startsWith('reports.'))
}

/**
 * 刘洋 (rep, 华东) has on the Monday: one follow-up due (a second was already followed up, a third is due
 * tomorrow), one visit planned (陈静's does not count), one lead assigned an hour ago and one past its SLA
 * (a contacted one does not count), one overdue instalment of ¥600 on an active contract (a draft's and a
 * future one do not count) and one approval waiting. 杨帆 has one visit and moved the brief to 07:00; 陈静
 * has a visit and turned the brief off. For the team: ¥1,000 contract and ¥400 回款 this month against a
 * ¥2,000 contract target, one deal stalled 20 days.
 */
async function seed() {
  const t = org.tenantId
  const db = database.db
  const liu = uid(org, 'liuyang')
  const cus = async (name: string, owner: string, followed: Date | null) => {
    const id = newId('cus')
    await db.insert(customers).values({
      id,
      tenantId: t,
      name,
      nameNorm: name,
      ownerId: uid(org, owner),
      lastFollowedUpAt: followed,
      createdAt: at(monthStart, '10:00'),
    })
    return id
  }
  const c1 = await cus('晨报客户甲', 'liuyang', new Date(start.getTime() - 2 * DAY))
  const c2 = await cus('晨报客户乙', 'liuyang', new Date(start.getTime() - 1 * DAY))
  const c3 = await cus('晨报客户丙', 'chenjing', null)
  const fu = (customerId: string, created: Date, next: Date) =>
    db.insert(followUps).values({
      id: newId('fu'),
      tenantId: t,
      customerId,
      authorId: liu,
      kind: 'call',
      content: '电话沟通',
      createdAt: created,
      nextFollowUpAt: next,
    })
  await fu(c1, new Date(start.getTime() - 2 * DAY), at(monday, '10:00'))
  await fu(c2, new Date(start.getTime() - 3 * DAY), at(monday, '11:00')) // followed up since
  await fu(c1, new Date(start.getTime() - 3 * DAY), at(addDays(monday, 1), '10:00')) // tomorrow
  const visit = (customerId: string, who: string, when: Date) =>
    db
      .insert(visits)
      .values({ id: newId('vis'), tenantId: t, customerId, userId: uid(org, who), plannedAt: when })
  await visit(c1, 'liuyang', at(monday, '14:00'))
  await visit(c3, 'chenjing', at(monday, '15:00'))
  await visit(c3, 'yangfan', at(monday, '16:00'))

  const channel = newId('lch')
  await db.insert(leadChannels).values({ id: channel, tenantId: t, name: '官网', intakeKey: newId('ik') })
  const lead = (name: string, extra: Partial<typeof leads.$inferInsert>) =>
    db
      .insert(leads)
      .values({ id: newId('led'), tenantId: t, name, ownerId: liu, channelId: channel, ...extra })
  await lead('新线索', { assignedAt: at(monday, '07:30'), slaState: 'pending' })
  await lead('超时线索', { assignedAt: new Date(start.getTime() - 3 * DAY), slaState: 'breached' })
  await lead('已联系线索', { status: 'contacted', assignedAt: at(monday, '07:00'), slaState: 'met' })

  const contract = async (status: 'active' | 'draft', amount: number) => {
    const id = newId('ctr')
    await db.insert(contracts).values({
      id,
      tenantId: t,
      number: newId('HT'),
      name: '晨报合同',
      customerId: c1,
      ownerId: liu,
      amountCents: amount,
      status,
      activatedAt: status === 'active' ? at(monthStart, '09:00') : null,
    })
    return id
  }
  const k1 = await contract('active', 100_000)
  const k2 = await contract('draft', 50_000)
  const inst = (contractId: string, seq: number, due: string, amount: number, received: number) =>
    db.insert(instalments).values({
      id: newId('ins'),
      tenantId: t,
      contractId,
      seq,
      dueDate: due,
      amountCents: amount,
      receivedCents: received,
    })
  await inst(k1, 1, addDays(monday, -10), 100_000, 40_000)
  await inst(k1, 2, addDays(monday, 5), 100_000, 0)
  await inst(k2, 1, addDays(monday, -10), 50_000, 0)
  await db.insert(payments).values({
    id: newId('pay'),
    tenantId: t,
    contractId: k1,
    customerId: c1,
    amountCents: 40_000,
    receivedOn: monthStart,
    method: 'transfer',
  })
  await db.insert(salesTargets).values({
    id: newId('tgt'),
    tenantId: t,
    subjectKind: 'user',
    subjectId: liu,
    kind: 'contract_amount',
    month: monday.slice(0, 7),
    value: 200_000,
  })

  const instance = newId('ain')
  await db.insert(approvalInstances).values({
    id: instance,
    tenantId: t,
    serialNo: '202612010001',
    templateId: 'tpl',
    templateVersionId: 'tplv',
    templateVersion: 1,
    title: '张伟的报销',
    initiatorId: uid(org, 'zhangwei'),
    form: {},
    plan: [],
  })
  await db.insert(approvalTasks).values({
    id: newId('atk'),
    tenantId: t,
    instanceId: instance,
    stepIndex: 0,
    nodeId: 'n1',
    round: 1,
    kind: 'approve',
    assigneeId: liu,
    status: 'pending',
    activatedAt: new Date(start.getTime() - DAY),
  })

  await ensureSalesDefaults(actingAs(database, org, 'wangjianguo', 'miniapp'))
  const [stage] = await db.select().from(stages).where(eq(stages.tenantId, t)).limit(1)
  await db.insert(opportunities).values({
    id: newId('opp'),
    tenantId: t,
    name: '停滞商机',
    customerId: c1,
    stageSetId: stage?.stageSetId ?? '',
    stageId: stage?.id ?? '',
    amountCents: 300_000,
    ownerId: liu,
    stageEnteredAt: new Date(start.getTime() - 30 * DAY),
    lastActivityAt: new Date(start.getTime() - 20 * DAY),
    createdAt: new Date(start.getTime() - 30 * DAY),
  })
}

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  await seed()
})
afterAll(async () => {
  await database?.close()
})

describe('the morning brief', () => {
  it('lists exactly today’s work of one person, hand-counted', async () => {
    const b: MorningBriefData = await morningBrief({
      ctx: sys(org.tenantId, at(monday, '08:30')),
      userId: uid(org, 'liuyang'),
      day: monday,
      zone: ZONE,
    })
    expect(b.name).toBe('刘洋')
    expect(b.followUps.count).toBe(1)
    expect(b.followUps.items.map((i) => i.title)).toEqual(['晨报客户甲'])
    expect(b.visits.count).toBe(1)
    expect(b.newLeads.items.map((i) => i.title)).toEqual(['新线索'])
    expect(b.overdueLeads.items.map((i) => i.title)).toEqual(['超时线索'])
    expect(b.overduePayments).toMatchObject({ count: 1, cents: 60_000 })
    expect(b.overduePayments.items[0]).toMatchObject({
      title: '晨报客户甲',
      cents: 60_000,
      at: addDays(monday, -10),
    })
    expect(b.approvals.items.map((i) => i.title)).toEqual(['张伟的报销'])
  })
})

describe('the team digest', () => {
  it('gives a manager the month against targets, the funnel and the stalled deals of the team only', async () => {
    const d: TeamDigestData = await teamDigest({
      ctx: actingAs(database, org, 'zhangwei', 'feishu', clockAt(at(monday, '09:00'))),
      day: monday,
    })
    expect(d.scope).toBe('team')
    expect(d.totals).toMatchObject({ contract: 100_000, payment: 40_000, contractTarget: 200_000 })
    expect(d.people[0]).toMatchObject({
      name: '刘洋',
      contract: 100_000,
      payment: 40_000,
      contractTarget: 200_000,
    })
    expect(d.stalled).toMatchObject({ count: 1, cents: 300_000 })
    expect(d.stalled.items[0]).toMatchObject({ title: '停滞商机', detail: '刘洋' })
    expect(d.funnel.map((f) => f.label).slice(0, 2)).toEqual(['线索', '转为客户'])

    const north = await teamDigest({
      ctx: actingAs(database, org, 'zhaolei', 'feishu', clockAt(at(monday, '09:00'))),
      day: monday,
    })
    expect(north.totals.contract).toBe(0)
    expect(north.stalled.count).toBe(0)

    const mine = await teamDigest({
      ctx: actingAs(database, org, 'chenjing', 'feishu', clockAt(at(monday, '09:00'))),
      day: monday,
    })
    expect(mine.scope).toBe('self')
    expect(mine.totals.contract).toBe(0)
  })

  it('draws at most five charts: ranking, achievement rate, 回款 and the funnel', async () => {
    const d = await teamDigest({
      ctx: actingAs(database, org, 'zhangwei', 'feishu', clockAt(at(monday, '09:00'))),
      day: monday,
    })
    const card = teamDigestCard(d, 'zh-CN', DEFAULT_TIME_ZONE)
    const charts = card.elements.flatMap((e) => (e.type === 'chart' ? [e.chart] : []))
    expect(charts.map((c) => c.title)).toEqual([
      '合同金额排行',
      '合同目标完成率',
      '回款金额',
      '销售漏斗（数量）',
    ])
    expect(charts[1]?.points).toEqual([{ label: '刘洋', value: 50 }])
    expect(charts[0]?.unit).toBe('cents')
  })
})

describe('the scheduled digests over simulated time', () => {
  it('sends each person’s brief once at their time, skips empty ones and those who opted out', async () => {
    const t = org.tenantId
    await setDigestPref({
      ctx: actingAs(database, org, 'yangfan', 'feishu'),
      input: { kind: 'morning', sendAt: '07:00' },
    })
    await setDigestPref({
      ctx: actingAs(database, org, 'chenjing', 'feishu'),
      input: { kind: 'morning', enabled: false },
    })
    await expect(
      setDigestPref({
        ctx: actingAs(database, org, 'chenjing', 'feishu'),
        input: { kind: 'morning', sendAt: '25:00' },
      }),
    ).rejects.toMatchObject({ details: { field: 'sendAt' } })

    const before = await runDigests({ ctx: sys(t, at(monday, '06:59')) })
    expect(before).toMatchObject({ morning: 0, weekly: 0 })
    expect(await runDigests({ ctx: sys(t, at(monday, '07:05')) })).toMatchObject({ morning: 1, weekly: 0 })
    let rows = await digestRows(t)
    expect(rows.map((r) => r.to.userId)).toEqual([uid(org, 'yangfan')])

    const main = await runDigests({ ctx: sys(t, at(monday, '08:31')) })
    expect(main.morning).toBe(1)
    rows = await digestRows(t)
    const morning = rows
      .filter((r) => r.content.view?.kind === 'reports.morning_brief')
      .map((r) => r.to.userId)
    expect(morning.sort()).toEqual([uid(org, 'liuyang'), uid(org, 'yangfan')].sort())
    expect(morning).not.toContain(uid(org, 'chenjing'))

    // The managers' digest at 09:00 on Monday, once; the admins (holding `*`) get one too.
    expect((await runDigests({ ctx: sys(t, at(monday, '09:01')) })).weekly).toBe(5)
    expect(await runDigests({ ctx: sys(t, at(monday, '09:30')) })).toMatchObject({ morning: 0, weekly: 0 })
    rows = await digestRows(t)
    const weekly = rows.filter((r) => r.content.view?.kind === 'reports.team_digest').map((r) => r.to.userId)
    expect(weekly.sort()).toEqual(
      ['liming', 'zhangwei', 'zhaolei', 'wangjianguo', 'hefang'].map((k) => uid(org, k)).sort(),
    )

    // Tuesday: a brief again, no team digest; Saturday: nothing.
    const tue = await runDigests({ ctx: sys(t, at(addDays(monday, 1), '08:45')) })
    expect(tue.weekly).toBe(0)
    expect(tue.morning).toBeGreaterThanOrEqual(1)
    expect(await runDigests({ ctx: sys(t, at(addDays(monday, 5), '09:00')) })).toMatchObject({
      morning: 0,
      weekly: 0,
    })

    // The card the send job renders: fields, the day's chart, each list.
    const liuRow = rows.find((r) => r.to.userId === uid(org, 'liuyang'))
    const card = await cardOfPayload(database, liuRow)
    const chart = card?.elements.find((e) => e.type === 'chart')
    expect(chart?.type === 'chart' && chart.chart.points.map((p) => p.value)).toEqual([1, 1, 1, 1, 1, 1])
    expect(JSON.stringify(card)).toContain('¥600.00')
  })

  it('keeps the time in the tenant’s own zone', async () => {
    const other = await createTestTenant(database)
    await database.db
      .update(tenants)
      .set({ settings: sql`${tenants.settings} || '{"timeZone":"Europe/Berlin"}'::jsonb` })
      .where(eq(tenants.id, other.tenantId))
    const c = newId('cus')
    await database.db.insert(customers).values({
      id: c,
      tenantId: other.tenantId,
      name: '柏林客户',
      nameNorm: '柏林客户',
      ownerId: uid(other, 'liuyang'),
    })
    const berlin = (hhmm: string) => {
      const [h, m] = hhmm.split(':').map(Number)
      return new Date(zonedDayStart(monday, 'Europe/Berlin').getTime() + (h ?? 0) * HOUR + (m ?? 0) * 60_000)
    }
    await database.db.insert(visits).values({
      id: newId('vis'),
      tenantId: other.tenantId,
      customerId: c,
      userId: uid(other, 'liuyang'),
      plannedAt: berlin('10:00'),
    })
    // 08:31 in Shanghai is 01:31 in Berlin: nothing yet; 08:31 in Berlin: the brief.
    expect((await runDigests({ ctx: sys(other.tenantId, at(monday, '08:31')) })).morning).toBe(0)
    expect((await runDigests({ ctx: sys(other.tenantId, berlin('08:31')) })).morning).toBe(1)
  })
})
