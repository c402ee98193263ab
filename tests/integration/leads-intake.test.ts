import { and, count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAssignmentRule,
  createCampaign,
  createChannel,
  LEAD_NOTIFY,
  listChannels,
  rotateChannelSecret,
  updateChannel,
} from '../../bot/domain/leads'
import { countFormHit } from '../../bot/domain/leads/submit-form-lead'
import { sealSecret } from '../../bot/lib/secret-box'
import { newSecret, signPayload } from '../../bot/lib/signed-call'
import type { Database } from '../../db/client'
import { leadChannels, leadSpamDaily, leads, leadTouches, leadWeekly, outbox } from '../../db/schema'
import { testApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']
const admin = () => ctxAs(database, org, 'wangjianguo')

beforeAll(async () => {
  database = await openTestDatabase()
  org = await crmTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

async function channel(
  code: string,
  preset?: 'oceanengine' | 'tencent_ads' | 'generic',
  mapping?: Record<string, string>,
) {
  const c = (await listChannels({ ctx: admin() })).find((x) => x.code === code)
  if (!c) throw new Error(code)
  if (preset)
    await updateChannel({
      ctx: admin(),
      channelId: c.id,
      input: { preset, ...(mapping ? { fieldMapping: mapping } : {}) },
    })
  const { secret } = await rotateChannelSecret({ ctx: admin(), channelId: c.id })
  return { ...c, secret }
}

let nonceSeq = 0
async function push(key: string, secret: string, payload: unknown, tamper = false) {
  const body = JSON.stringify(payload)
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = `n${Date.now()}x${nonceSeq++}`.padEnd(20, '0')
  const sig = await signPayload(secret, ts, nonce, body)
  return app.request(`/api/v1/intake/${key}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-flowcard-timestamp': ts,
      'x-flowcard-nonce': nonce,
      'x-flowcard-signature': sig,
    },
    body: tamper ? body.replace('1', '2') : body,
  })
}

const leadCount = async () =>
  (await database.db.select({ n: count() }).from(leads).where(eq(leads.tenantId, org.tenantId)))[0]?.n ?? 0

describe('signed intake webhook', () => {
  it('takes a 巨量引擎 clue, assigns it by the rules with the card queued, and answers a replay with the same lead', async () => {
    const ch = await channel('feed_ads', 'oceanengine')
    await createCampaign({
      ctx: admin(),
      input: { channelId: ch.id, name: '春季抖音', externalId: 'promo-9' },
    })
    await createAssignmentRule({
      ctx: admin(),
      input: {
        name: '信息流',
        match: { channelIds: [ch.id] },
        members: [{ userId: org.users.liuyang ?? '', capacity: 300 }],
      },
    })
    const clue = {
      clue_id: '700001',
      name: '王五',
      telephone: '13911112222',
      province_name: '安徽',
      city_name: '合肥',
      promotion_id: 'promo-9',
      clue_source: 1,
    }
    const res = await push(ch.intakeKey, ch.secret, clue)
    expect(res.status).toBe(201)
    const first = (await res.json()) as { outcome: string; leadId: string }
    const [row] = await database.db.select().from(leads).where(eq(leads.id, first.leadId))
    expect(row).toMatchObject({
      name: '王五',
      ownerId: org.users.liuyang,
      slaState: 'pending',
      region: '安徽 合肥',
      assignedBy: 'rule',
    })
    expect(row?.campaignId).toMatch(/^lcp_/)
    const cards = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
    expect(cards.some((o) => o.payload.leadId === first.leadId && o.payload.to === org.users.liuyang)).toBe(
      true,
    )
    const again = await push(ch.intakeKey, ch.secret, clue)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ outcome: 'replay', leadId: first.leadId })
    const touches = await database.db.select().from(leadTouches).where(eq(leadTouches.leadId, first.leadId))
    expect(touches).toHaveLength(1)
  })

  it('keeps one lead per person and one card per lead when pushes race and are redelivered', async () => {
    const made = await createChannel({ ctx: admin(), input: { name: '并发渠道' } })
    const c = (await listChannels({ ctx: admin() })).find((x) => x.id === made.id)
    if (!c) throw new Error('channel')
    const { secret } = await rotateChannelSecret({ ctx: admin(), channelId: c.id })
    const reps = [org.users.liuyang ?? '', org.users.chenjing ?? '', org.users.yangfan ?? '']
    await createAssignmentRule({
      ctx: admin(),
      input: {
        name: '并发',
        match: { channelIds: [c.id] },
        members: reps.map((userId) => ({ userId, capacity: 3000 })),
      },
    })
    // 40 source records: 30 people, and 10 of them pushed again under another source id.
    const pushes = Array.from({ length: 40 }, (_, i) => ({
      sourceLeadId: `race-${i}`,
      name: `并发${i}`,
      phone: `1770000${String(i % 30).padStart(4, '0')}`,
    }))
    const send = () => Promise.all(pushes.map((p) => push(c.intakeKey, secret, p)))
    const answers = [...(await send()), ...(await Promise.all([send(), send()])).flat()]
    const outcomes = await Promise.all(
      answers.map(async (r) => ((await r.json()) as { outcome: string }).outcome),
    )
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(30)
    expect(outcomes.filter((o) => o === 'touch')).toHaveLength(10)
    expect(outcomes.filter((o) => o === 'replay')).toHaveLength(80)
    const rows = await database.db.select().from(leads).where(eq(leads.channelId, c.id))
    expect(rows).toHaveLength(30)
    expect(new Set(rows.map((r) => r.phone)).size).toBe(30)
    const perRep = reps.map((u) => rows.filter((r) => r.ownerId === u).length)
    expect(perRep).toEqual([10, 10, 10])
    expect(rows.every((r) => r.slaState === 'pending' && r.assignedBy === 'rule')).toBe(true)
    const touches = await database.db.select().from(leadTouches).where(eq(leadTouches.channelId, c.id))
    expect(touches).toHaveLength(40)
    const cards = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
    const ids = new Set(rows.map((r) => r.id))
    const mine = cards.filter((o) => ids.has(String(o.payload.leadId)))
    expect(mine).toHaveLength(30)
    expect(new Set(mine.map((o) => o.payload.leadId)).size).toBe(30)
    const [weekly] = await database.db
      .select({ n: sql<number>`sum(${leadWeekly.leads})::int` })
      .from(leadWeekly)
      .where(eq(leadWeekly.channelId, c.id))
    expect(weekly?.n).toBe(30)
  })

  it('maps a 腾讯广告 lead clue and discards an ad-preview clue as counted spam', async () => {
    const tx = await channel('search_ads', 'tencent_ads')
    const res = await push(tx.intakeKey, tx.secret, {
      leads_id: 'T-1',
      leads_name: '钱八',
      leads_telephone: '13700001111',
      leads_area: '广东 深圳',
    })
    expect(res.status).toBe(201)
    const oe = await channel('expo', 'oceanengine')
    const before = await leadCount()
    const spam = await push(oe.intakeKey, oe.secret, {
      clue_id: '9',
      name: '测试',
      telephone: '13700009999',
      clue_source: 4,
    })
    expect(spam.status).toBe(202)
    expect(await leadCount()).toBe(before)
    const [d] = await database.db
      .select()
      .from(leadSpamDaily)
      .where(and(eq(leadSpamDaily.tenantId, org.tenantId), eq(leadSpamDaily.channelId, oe.id)))
    expect(d?.spam).toBe(1)
  })

  it('reads generic JSON through the channel mapping', async () => {
    const g = await channel('referral', 'generic', {
      phone: 'contact.mobile',
      sourceLeadId: 'id',
      company: 'org',
    })
    const res = await push(g.intakeKey, g.secret, {
      id: 'g-1',
      name: '甲',
      org: '乙公司',
      contact: { mobile: '13600000000' },
    })
    expect(res.status).toBe(201)
    const { leadId } = (await res.json()) as { leadId: string }
    const [row] = await database.db.select().from(leads).where(eq(leads.id, leadId))
    expect(row).toMatchObject({ company: '乙公司', phone: '13600000000', phoneValid: true, ownerId: null })
  })

  it('refuses unsigned, tampered and unknown-key pushes with 401 and stores nothing', async () => {
    const ch = await channel('phone', 'generic')
    const before = await leadCount()
    const unsigned = await app.request(`/api/v1/intake/${ch.intakeKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '甲', phone: '13100000001' }),
    })
    expect(unsigned.status).toBe(401)
    expect(((await unsigned.json()) as { error: { field: string } }).error.field).toBe('x-flowcard-timestamp')
    expect((await push(ch.intakeKey, ch.secret, { name: '甲', phone: '13100000001' }, true)).status).toBe(401)
    expect((await push(ch.intakeKey, 'fcs_wrong', { name: '甲', phone: '13100000001' })).status).toBe(401)
    expect((await push('lk_unknown', ch.secret, { name: '甲', phone: '13100000001' })).status).toBe(401)
    expect(await leadCount()).toBe(before)
  })

  it('reads a remembered channel again when its secret changed elsewhere, and refuses at once once switched off', async () => {
    const c = await createChannel({ ctx: admin(), input: { name: '轮换渠道' } })
    const { secret } = await rotateChannelSecret({ ctx: admin(), channelId: c.id })
    expect((await push(c.intakeKey, secret, { name: '甲', phone: '13100000301' })).status).toBe(201)
    // Another process rotates the secret (no grace for the old one): the channel read for the first push
    // is still remembered here, yet the new secret is taken at once and the old one refused.
    const fresh = newSecret()
    await database.db
      .update(leadChannels)
      .set({
        secret: await sealSecret(fresh, 'lead-channel'),
        previousSecret: null,
        previousSecretUntil: null,
      })
      .where(eq(leadChannels.id, c.id))
    expect((await push(c.intakeKey, fresh, { name: '乙', phone: '13100000302' })).status).toBe(201)
    expect((await push(c.intakeKey, secret, { name: '丙', phone: '13100000303' })).status).toBe(401)
    // Switched off through the service: the very next push is refused and nothing is stored.
    const before = await leadCount()
    await updateChannel({ ctx: admin(), channelId: c.id, input: { active: false } })
    expect((await push(c.intakeKey, fresh, { name: '丁', phone: '13100000304' })).status).toBe(401)
    expect(await leadCount()).toBe(before)
  })

  it('takes many leads in one signed push: one result per lead in order, all stored together or none', async () => {
    const made = await createChannel({ ctx: admin(), input: { name: '批量渠道' } })
    await updateChannel({ ctx: admin(), channelId: made.id, input: { preset: 'oceanengine' } })
    const c = (await listChannels({ ctx: admin() })).find((x) => x.id === made.id)
    if (!c) throw new Error('channel')
    const { secret } = await rotateChannelSecret({ ctx: admin(), channelId: c.id })
    await createAssignmentRule({
      ctx: admin(),
      input: {
        name: '批量',
        match: { channelIds: [c.id] },
        members: [{ userId: org.users.chenjing ?? '', capacity: 3000 }],
      },
    })
    // A clue pushed alone first: inside the array it is a replay.
    const early = { clue_id: 'b-0', name: '早到', telephone: '13300000000', clue_source: 1 }
    const first = (await (await push(c.intakeKey, secret, early)).json()) as { leadId: string }
    const clues = [
      { clue_id: 'b-1', name: '批一', telephone: '13300000001', clue_source: 1 },
      early,
      { clue_id: 'b-2', name: '批二', telephone: '13300000002', clue_source: 1 },
      { clue_id: 'b-3', name: '预览', telephone: '13300000003', clue_source: 4 },
      // The same person as b-1 under another source id: a touch on the lead this very push creates.
      { clue_id: 'b-4', name: '批一', telephone: '133 0000 0001', clue_source: 1 },
    ]
    const before = await leadCount()
    const res = await push(c.intakeKey, secret, clues)
    expect(res.status).toBe(200)
    const { items } = (await res.json()) as { items: Array<{ outcome: string; leadId: string | null }> }
    expect(items.map((i) => i.outcome)).toEqual(['created', 'replay', 'created', 'spam', 'touch'])
    expect(items[1]?.leadId).toBe(first.leadId)
    expect(items[3]?.leadId).toBeNull()
    expect(items[4]?.leadId).toBe(items[0]?.leadId)
    expect(await leadCount()).toBe(before + 2)
    const rows = await database.db.select().from(leads).where(eq(leads.channelId, c.id))
    expect(rows.every((r) => r.ownerId === org.users.chenjing && r.assignedBy === 'rule')).toBe(true)
    const cards = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
    for (const id of [items[0]?.leadId, items[2]?.leadId])
      expect(cards.filter((o) => o.payload.leadId === id)).toHaveLength(1)
    const [spam] = await database.db
      .select()
      .from(leadSpamDaily)
      .where(and(eq(leadSpamDaily.tenantId, org.tenantId), eq(leadSpamDaily.channelId, c.id)))
    expect(spam?.spam).toBe(1)
    // The whole push redelivered: every lead is the same one again, nothing new, no second card.
    const again = (await (await push(c.intakeKey, secret, clues)).json()) as { items: typeof items }
    expect(again.items.map((i) => i.outcome)).toEqual(['replay', 'replay', 'replay', 'spam', 'replay'])
    expect(again.items.map((i) => i.leadId)).toEqual([
      items[0]?.leadId,
      first.leadId,
      items[2]?.leadId,
      null,
      items[0]?.leadId,
    ])
    expect(await leadCount()).toBe(before + 2)
    const touches = await database.db.select().from(leadTouches).where(eq(leadTouches.channelId, c.id))
    expect(touches).toHaveLength(4)
    // One bad lead in an array: 400 naming its place and sender field, nothing of the push stored.
    const bad = await push(c.intakeKey, secret, [
      { clue_id: 'b-5', name: '批五', telephone: '13300000005', clue_source: 1 },
      { clue_id: 'b-6', name: 'x'.repeat(101), telephone: '13300000006', clue_source: 1 },
    ])
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('[1].name')
    const notObject = await push(c.intakeKey, secret, [{ clue_id: 'b-7', name: '批七' }, 'x'])
    expect(notObject.status).toBe(400)
    expect(((await notObject.json()) as { error: { field: string } }).error.field).toBe('[1]')
    const empty = await push(c.intakeKey, secret, [])
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as { error: { field: string } }).error.field).toBe('body')
    const tooMany = await push(
      c.intakeKey,
      secret,
      Array.from({ length: 501 }, (_, i) => ({ clue_id: `m-${i}`, name: `多${i}` })),
    )
    expect(tooMany.status).toBe(400)
    expect(((await tooMany.json()) as { error: { field: string } }).error.field).toBe('body')
    expect(await leadCount()).toBe(before + 2)
  })

  it('names the sender field of bad input and stores nothing', async () => {
    const ch = await channel('other', 'tencent_ads')
    const before = await leadCount()
    const res = await push(ch.intakeKey, ch.secret, { leads_id: 'T-9', leads_area: '北京' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('leads_telephone')
    const long = await push(ch.intakeKey, ch.secret, {
      leads_id: 'T-10',
      leads_name: 'x'.repeat(101),
      leads_telephone: '13100000002',
    })
    expect(long.status).toBe(400)
    expect(((await long.json()) as { error: { field: string } }).error.field).toBe('leads_name')
    expect(await leadCount()).toBe(before)
  })
})

describe('web form', () => {
  const submit = (formKey: string, fields: Record<string, string>, ip = '203.0.113.9') =>
    app.request(`/f/${formKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams(fields).toString(),
    })

  it('serves the page with the URL UTM values and stores a consented submission', async () => {
    const wf = (await listChannels({ ctx: admin() })).find((c) => c.code === 'web_form')
    const key = wf?.formKey ?? ''
    await createCampaign({
      ctx: admin(),
      input: { channelId: wf?.id ?? '', name: '官网春季', utmCampaign: 'spring' },
    })
    const page = await app.request(`/f/${key}?utm_campaign=spring&utm_source=baidu`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('name="utm_campaign" value="spring"')
    expect(html).toContain('name="website"')
    const res = await submit(key, {
      name: '周九',
      phone: '13500000000',
      consent: '1',
      utm_campaign: 'spring',
      utm_source: 'baidu',
    })
    expect(res.status).toBe(200)
    const [row] = await database.db
      .select()
      .from(leads)
      .where(and(eq(leads.tenantId, org.tenantId), eq(leads.phone, '13500000000')))
    expect(row).toMatchObject({ consent: true, utm: { campaign: 'spring', source: 'baidu' } })
    expect(row?.campaignId).toMatch(/^lcp_/)
  })

  it('asks for consent, naming the field, and stores nothing', async () => {
    const key = (await listChannels({ ctx: admin() })).find((c) => c.code === 'web_form')?.formKey ?? ''
    const before = await leadCount()
    const res = await submit(key, { name: '吴十', phone: '13500000001' }, '203.0.113.10')
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('data-field="consent"')
    expect(await leadCount()).toBe(before)
  })

  it('discards a filled honeypot and a flood from one address with 202, counting them as spam', async () => {
    const wf = (await listChannels({ ctx: admin() })).find((c) => c.code === 'web_form')
    const key = wf?.formKey ?? ''
    const before = await leadCount()
    const bot = await submit(
      key,
      { name: '机器人', phone: '13500000002', consent: '1', website: 'http://spam' },
      '198.51.100.1',
    )
    expect(bot.status).toBe(202)
    const statuses: number[] = []
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await submit(key, { name: `访客${i}`, phone: `1350000010${i}`, consent: '1' }, '198.51.100.2'))
          .status,
      )
    expect(statuses).toEqual([200, 200, 200, 200, 200, 202, 202])
    expect(await leadCount()).toBe(before + 5)
    const rows = await database.db
      .select()
      .from(leadSpamDaily)
      .where(and(eq(leadSpamDaily.tenantId, org.tenantId), eq(leadSpamDaily.channelId, wf?.id ?? '')))
    expect(rows.reduce((s, r) => s + r.spam, 0)).toBe(3)
  })

  it('counts the rate over a sliding ten minutes, so a flood across a clock edge is not forgiven', async () => {
    // 09:59:30 → 10:00:30 crosses both a minute and a ten-minute edge of the wall clock.
    const t0 = Date.parse('2026-03-02T09:59:30Z')
    const at = (s: number) => new Date(t0 + s * 1000)
    const key = 'lf_edge'
    const counts: number[] = []
    for (const s of [0, 10, 20, 40, 50, 60])
      counts.push(await countFormHit(database.db, key, '192.0.2.9', at(s)))
    expect(counts).toEqual([1, 2, 3, 4, 5, 6])
    // Another address and another form have their own counts.
    expect(await countFormHit(database.db, key, '192.0.2.10', at(60))).toBe(1)
    expect(await countFormHit(database.db, 'lf_other', '192.0.2.9', at(60))).toBe(1)
    // At 10:09:01 the 09:59 minute has left the window; the 10:00 minute's three hits still count.
    expect(await countFormHit(database.db, key, '192.0.2.9', at(9 * 60 + 31))).toBe(4)
    expect(await countFormHit(database.db, key, '192.0.2.9', at(11 * 60))).toBe(2)
  })

  it('answers 404 for an unknown form', async () => {
    expect((await app.request('/f/lf_nope')).status).toBe(404)
  })
})
