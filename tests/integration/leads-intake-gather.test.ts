import { and, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAssignmentRule,
  createChannel,
  LEAD_NOTIFY,
  listChannels,
  rotateChannelSecret,
} from '../../bot/domain/leads'
import { signPayload } from '../../bot/lib/signed-call'
import type { Database } from '../../db/client'
import { openPostgres } from '../../db/postgres'
import { leads, leadTouches, outbox } from '../../db/schema'
import { testApp } from '../helpers/app'
import { createOwnDatabase } from '../helpers/db'
import { type CrmTenant, crmTenant, ctxAs } from './crm-harness'

/**
 * Concurrent single-lead pushes to the signed intake are gathered into shared transactions (group commit):
 * each push still gets its own answer once its lead is stored, a lead the database refuses fails alone, a
 * redelivery inside one gathered batch answers the lead stored by the batch. A database of its own: the
 * transactions are counted on the wire, and one test adds a rule to the leads table.
 */
let database: Database
let org: CrmTenant
let app: ReturnType<typeof testApp>['app']
let dropOwn: (() => Promise<void>) | undefined
/** Every statement the app sent, in order (postgres.js debug hook). */
const sent: string[] = []
const admin = () => ctxAs(database, org, 'wangjianguo')

beforeAll(async () => {
  const own = await createOwnDatabase('leads_gather')
  dropOwn = own.drop
  database = openPostgres(own.url, { max: 8, onStatement: (text) => sent.push(text) })
  org = await crmTenant(database)
  app = testApp(database).app
})
afterAll(async () => {
  await database?.close()
  await dropOwn?.()
})

/** A channel of its own with a secret and a rule giving its leads to two reps in turn. */
async function channel(name: string) {
  const made = await createChannel({ ctx: admin(), input: { name } })
  const c = (await listChannels({ ctx: admin() })).find((x) => x.id === made.id)
  if (!c) throw new Error(name)
  const { secret } = await rotateChannelSecret({ ctx: admin(), channelId: c.id })
  const reps = [org.users.liuyang ?? '', org.users.chenjing ?? '']
  await createAssignmentRule({
    ctx: admin(),
    input: {
      name,
      match: { channelIds: [c.id] },
      members: reps.map((userId) => ({ userId, capacity: 1000 })),
    },
  })
  return { id: c.id, key: c.intakeKey, secret, reps }
}

let nonceSeq = 0
async function push(ch: { key: string; secret: string }, payload: unknown) {
  const body = JSON.stringify(payload)
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = `gather${String(nonceSeq++).padStart(12, '0')}`
  const res = await app.request(`/api/v1/intake/${ch.key}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-flowcard-timestamp': ts,
      'x-flowcard-nonce': nonce,
      'x-flowcard-signature': await signPayload(ch.secret, ts, nonce, body),
    },
    body,
  })
  return {
    status: res.status,
    json: (await res.json()) as {
      outcome?: string
      leadId?: string | null
      error?: { code: string; field?: string }
    },
  }
}

const cardsOf = async (ids: string[]) =>
  ids.length === 0
    ? []
    : (
        await database.db
          .select({ payload: outbox.payload })
          .from(outbox)
          .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, LEAD_NOTIFY)))
      ).filter((o) => ids.includes(String(o.payload.leadId)))

describe('signed intake gathers concurrent single pushes', () => {
  it('stores 24 pushes in flight together in a few transactions, each answered with its own lead and card', async () => {
    const ch = await channel('并发聚合')
    // The channel read is remembered from here on: the burst's statements are the batches'.
    expect((await push(ch, { sourceLeadId: 'g-warm', name: '预热', phone: '17100000099' })).status).toBe(201)
    const from = sent.length
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        push(ch, {
          sourceLeadId: `g-${i}`,
          name: `聚合${i}`,
          phone: `171000000${String(i).padStart(2, '0')}`,
        }),
      ),
    )
    const begins = sent.slice(from).filter((t) => /^\s*begin\b/i.test(t)).length
    // One transaction per push would be 24; the first push runs at once and the others gather behind it.
    expect(begins).toBeGreaterThan(0)
    expect(begins).toBeLessThanOrEqual(4)
    expect(answers.map((a) => a.status)).toEqual(Array(24).fill(201))
    const ids = answers.map((a) => String(a.json.leadId))
    expect(new Set(ids).size).toBe(24)
    const rows = await database.db.select().from(leads).where(inArray(leads.id, ids))
    expect(rows).toHaveLength(24)
    // Each answer names the lead stored for that push.
    for (const [i, a] of answers.entries())
      expect(rows.find((r) => r.id === a.json.leadId)?.name).toBe(`聚合${i}`)
    // The rule's turns were taken in the batch as one after another: 12 each.
    expect(ch.reps.map((u) => rows.filter((r) => r.ownerId === u).length)).toEqual([12, 12])
    const cards = await cardsOf(ids)
    expect(new Set(cards.map((c) => c.payload.leadId)).size).toBe(24)
    expect(cards).toHaveLength(24)
  })

  it('fails only the push whose lead the database refuses, and a bad push alone with its field named', async () => {
    const ch = await channel('聚合失败')
    expect((await push(ch, { sourceLeadId: 'f-warm', name: '预热', phone: '17200000099' })).status).toBe(201)
    // A rule of the database's own that one pushed lead breaks (the intake's checks pass it).
    await database.db.execute(
      sql`alter table crm_leads add constraint gather_test_no_bomb check (name <> '炸弹') not valid`,
    )
    try {
      const from = sent.length
      const answers = await Promise.all([
        ...Array.from({ length: 8 }, (_, i) =>
          push(ch, {
            sourceLeadId: `f-${i}`,
            name: `好线索${i}`,
            phone: `172000000${String(i).padStart(2, '0')}`,
          }),
        ),
        push(ch, { sourceLeadId: 'f-bomb', name: '炸弹', phone: '17200000050' }),
        push(ch, { sourceLeadId: 'f-empty', company: '只有公司' }),
        ...Array.from({ length: 4 }, (_, i) =>
          push(ch, { sourceLeadId: `f-${8 + i}`, name: `好线索${8 + i}`, phone: `172000000${10 + i}` }),
        ),
      ])
      const good = [...answers.slice(0, 8), ...answers.slice(10)]
      expect(good.map((a) => a.status)).toEqual(Array(12).fill(201))
      // The refused lead: a 400 of its own (the database's rule), not a 500, and not the others' failure.
      expect(answers[8]?.status).toBe(400)
      expect(answers[8]?.json.error?.code).toBe('invalid_input')
      // A lead without name, phone or email never reaches a batch: 400 naming the field.
      expect(answers[9]?.status).toBe(400)
      expect(answers[9]?.json.error?.field).toBe('phone')
      // The batch holding the refused lead was rolled back and its pushes run again one by one.
      expect(sent.slice(from).some((t) => /^\s*rollback\b/i.test(t))).toBe(true)
      const rows = await database.db.select().from(leads).where(eq(leads.channelId, ch.id))
      expect(rows.map((r) => r.name).sort()).toEqual(
        ['预热', ...Array.from({ length: 12 }, (_, i) => `好线索${i}`)].sort(),
      )
      const ids = good.map((a) => String(a.json.leadId))
      expect(new Set(rows.map((r) => r.id))).toEqual(
        new Set([...ids, rows.find((r) => r.name === '预热')?.id]),
      )
      const cards = await cardsOf(ids)
      expect(cards).toHaveLength(12)
      const touches = await database.db.select().from(leadTouches).where(eq(leadTouches.channelId, ch.id))
      expect(touches).toHaveLength(13)
    } finally {
      await database.db.execute(sql`alter table crm_leads drop constraint gather_test_no_bomb`)
    }
  })

  it('refuses a NUL or a lone surrogate anywhere in a signed body with a 400 naming its path, storing nothing', async () => {
    const ch = await channel('聚合坏字符')
    const nul = await push(ch, {
      sourceLeadId: 'u-1',
      name: '坏字符',
      phone: '17400000001',
      extra: { note: 'a\u0000b' },
    })
    expect([nul.status, nul.json.error?.field]).toEqual([400, 'extra.note'])
    const lone = await push(ch, [
      { sourceLeadId: 'u-2', name: '好的', phone: '17400000002' },
      { sourceLeadId: 'u-3', name: '坏\ud800', phone: '17400000003' },
    ])
    expect([lone.status, lone.json.error?.field]).toEqual([400, '1.name'])
    expect(await database.db.select().from(leads).where(eq(leads.channelId, ch.id))).toHaveLength(0)
  })

  it('answers a redelivery gathered with its first delivery with the same lead, stored once', async () => {
    const ch = await channel('聚合重投')
    expect((await push(ch, { sourceLeadId: 'r-warm', name: '预热', phone: '17300000099' })).status).toBe(201)
    const lead = { sourceLeadId: 'r-1', name: '重投', phone: '17300000001' }
    // One other lead (it runs at once, alone), then gathered behind it: the same source record three
    // times and the same person under another source id.
    const from = sent.length
    const answers = await Promise.all([
      push(ch, { sourceLeadId: 'r-3', name: '别人', phone: '17300000003' }),
      push(ch, lead),
      push(ch, lead),
      push(ch, { sourceLeadId: 'r-2', name: '重投', phone: '17300000001' }),
      push(ch, lead),
    ])
    expect(sent.slice(from).filter((t) => /^\s*begin\b/i.test(t))).toHaveLength(2)
    expect([answers[0]?.status, answers[0]?.json.outcome]).toEqual([201, 'created'])
    // The four of one person arrive in whatever order their connections deliver them: whichever is first
    // creates the lead, the same source record again is a replay, the other source id a touch — one created,
    // two replays and a touch in any order, all answering the same lead.
    const sorted = answers
      .slice(1)
      .map((a) => `${a.status} ${a.json.outcome}`)
      .sort()
    expect(sorted).toEqual(['200 replay', '200 replay', '200 touch', '201 created'])
    const first = answers[1]?.json.leadId
    expect(answers.slice(2).map((a) => a.json.leadId)).toEqual([first, first, first])
    const rows = await database.db.select().from(leads).where(eq(leads.channelId, ch.id))
    expect(rows).toHaveLength(3)
    const touches = await database.db
      .select()
      .from(leadTouches)
      .where(eq(leadTouches.leadId, String(first)))
    expect(touches.map((t) => t.kind).sort()).toEqual(['first', 'repeat'])
    expect(await cardsOf([String(first)])).toHaveLength(1)
    // Pushed again after the burst: still the same lead, nothing new stored.
    const again = await push(ch, lead)
    expect([again.status, again.json.leadId]).toEqual([200, first])
    expect(await database.db.select().from(leads).where(eq(leads.channelId, ch.id))).toHaveLength(3)
  })
})
