import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatchEvent } from '../../bot/chat/dispatch'
import type { Card } from '../../bot/chat/model'
import type { ServiceContext } from '../../bot/domain/context'
import { DomainError } from '../../bot/domain/errors'
import { acknowledgeNotice } from '../../bot/domain/notices/acknowledge-notice'
import { createNews } from '../../bot/domain/notices/create-news'
import { createNotice } from '../../bot/domain/notices/create-notice'
import { editNotice } from '../../bot/domain/notices/edit-notice'
import { getNews } from '../../bot/domain/notices/get-news'
import { getNoticeDashboard } from '../../bot/domain/notices/get-notice-dashboard'
import { listNews } from '../../bot/domain/notices/list-news'
import { remindNotice } from '../../bot/domain/notices/remind-notice'
import { retractNotice } from '../../bot/domain/notices/retract-notice'
import { noticeCardRef } from '../../bot/domain/notices/schemas'
import { systemClock } from '../../bot/lib/clock'
import { signToken } from '../../bot/lib/session-token'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { messages, noticeRecipients, notices, users } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { InlineQueue } from '../../jobs/drivers/inline'
import { OutboxRelay } from '../../jobs/outbox'
import { startWorkers } from '../../jobs/workers'
import { RecordingPlatform } from '../bench/notices-recording-platform'
import { TEST_SESSION_SECRET, testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { waitFor } from '../helpers/wait'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const HOUR = 3600_000

let database: Database
const queues: InlineQueue[] = []
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => {
  for (const q of queues) await q.close(1000)
  await database.close()
})

interface World {
  org: SeededOrg
  tenantKey: string
  platform: RecordingPlatform
  relay: OutboxRelay
  queue: InlineQueue
  as(key: string): ServiceContext
  /** Relays due outbox rows (as of now + aheadMs) and runs the jobs, until nothing is left. */
  drain(aheadMs?: number): Promise<void>
  recipients(noticeId: string): Promise<Array<typeof noticeRecipients.$inferSelect>>
  user(key: string): string
}

async function world(): Promise<World> {
  const tenantKey = `tk-${Math.random().toString(36).slice(2)}`
  const org = await createTestTenant(database, { tenantKey })
  const platform = new RecordingPlatform('devchat', {
    perSecond: 1000,
    perMinute: 60_000,
    perReceiverPerSecond: 5,
  })
  const queue = new InlineQueue()
  queues.push(queue)
  // The relay is driven by hand in these tests, so the workers start without one.
  await startWorkers({
    database,
    queue,
    logger: silent,
    clock: systemClock,
    platforms: new PlatformRegistry().register(platform),
    concurrency: 8,
    relay: false,
  })
  const relay = new OutboxRelay(database, queue, { tenantId: org.tenantId })
  const user = (key: string) => {
    const id = org.users[key]
    if (!id) throw new Error(`no user ${key}`)
    return id
  }
  return {
    org,
    tenantKey,
    platform,
    relay,
    queue,
    user,
    as: (key) => ({
      tenantId: org.tenantId,
      actor: { kind: 'user', userId: user(key), via: 'api' },
      db: database.db,
      clock: systemClock,
      logger: silent,
    }),
    drain: async (aheadMs = 5000) => {
      for (let round = 0; round < 12; round++) {
        const moved = await relay.relayAll(new Date(Date.now() + aheadMs))
        await waitFor(() => queue.pendingCount() === 0, 'queue idle', 15_000)
        if (moved === 0) return
      }
    },
    recipients: (noticeId) =>
      database.db
        .select()
        .from(noticeRecipients)
        .where(and(eq(noticeRecipients.tenantId, org.tenantId), eq(noticeRecipients.noticeId, noticeId)))
        .orderBy(noticeRecipients.target),
  }
}

const errorOf = async (p: Promise<unknown>): Promise<DomainError> => {
  try {
    await p
  } catch (err) {
    if (err instanceof DomainError) return err
    throw err
  }
  throw new Error('expected a domain error')
}

const cardText = (card: Card | null): string => JSON.stringify(card ?? {})

describe('notices: audience', () => {
  it('resolves departments with and without the subtree, users, everyone; frozen at publish', async () => {
    const w = await world()
    const publish = (audience: Parameters<typeof createNotice>[0]['input']['audience']) =>
      createNotice({ ctx: w.as('hefang'), input: { title: 't', body: 'b', audience, publish: 'now' } })
    const sales = w.org.departments.sales ?? ''
    const tree = await publish({ departments: [{ id: sales, includeSubDepartments: true }] })
    expect(tree.recipientCount).toBe(9)
    const flat = await publish({ departments: [{ id: sales, includeSubDepartments: false }] })
    expect((await w.recipients(flat.id)).map((r) => r.userId)).toEqual([w.user('liming')])
    const mixed = await publish({
      departments: [{ id: w.org.departments.sales_east ?? '', includeSubDepartments: false }],
      users: [w.user('liuyang'), w.user('sunyue')],
    })
    expect(mixed.recipientCount).toBe(5)
    const all = await publish({ everyone: true })
    expect(all.recipientCount).toBe(20)
    // Frozen: a later org change does not alter who the notice went to.
    await database.db
      .update(users)
      .set({ status: 'inactive' })
      .where(eq(users.id, w.user('gaoxiang')))
    expect((await w.recipients(all.id)).length).toBe(20)
    const hr = await publish({
      departments: [{ id: w.org.departments.hr ?? '', includeSubDepartments: true }],
    })
    expect(hr.recipientCount).toBe(3) // gaoxiang has left
    const rows = await w.recipients(tree.id)
    expect(new Set(rows.map((r) => r.departmentId))).toEqual(
      new Set([w.org.departments.sales, w.org.departments.sales_east, w.org.departments.sales_north]),
    )
  })

  it('enforces permission and data scope, and refuses bad input with nothing published', async () => {
    const w = await world()
    const base = { title: 'scope', body: 'b', publish: 'now' as const }
    const hrDept = w.org.departments.hr ?? ''
    const sales = w.org.departments.sales ?? ''
    // lintao: hr role, scope = HR department and below
    const ok = await createNotice({
      ctx: w.as('lintao'),
      input: { ...base, audience: { departments: [{ id: hrDept, includeSubDepartments: true }] } },
    })
    expect(ok.recipientCount).toBe(4)
    const outside = await errorOf(
      createNotice({
        ctx: w.as('lintao'),
        input: { ...base, audience: { departments: [{ id: sales, includeSubDepartments: true }] } },
      }),
    )
    expect(outside.code).toBe('forbidden')
    expect(
      (await errorOf(createNotice({ ctx: w.as('lintao'), input: { ...base, audience: { everyone: true } } })))
        .code,
    ).toBe('forbidden')
    expect(
      (
        await errorOf(
          createNotice({ ctx: w.as('lintao'), input: { ...base, audience: { users: [w.user('liuyang')] } } }),
        )
      ).code,
    ).toBe('forbidden')
    // sunyue: marketing (scope: own department) may reach marketing only
    const mkt = await createNotice({
      ctx: w.as('sunyue'),
      input: {
        ...base,
        audience: { departments: [{ id: w.org.departments.marketing ?? '', includeSubDepartments: false }] },
      },
    })
    expect(mkt.recipientCount).toBe(3)
    // liuyang: no notices.publish
    expect(
      (
        await errorOf(
          createNotice({ ctx: w.as('liuyang'), input: { ...base, audience: { everyone: true } } }),
        )
      ).code,
    ).toBe('forbidden')
    const bad = async (input: Record<string, unknown>, field: string) => {
      const err = await errorOf(
        createNotice({ ctx: w.as('hefang'), input: { ...base, audience: { everyone: true }, ...input } }),
      )
      expect(err.code).toBe('invalid_input')
      expect(err.details.field).toBe(field)
    }
    await bad({ audience: {} }, 'audience')
    await bad(
      { audience: { departments: [{ id: 'dep_nope', includeSubDepartments: true }] } },
      'audience.departments.0.id',
    )
    await bad({ audience: { users: ['usr_nope'] } }, 'audience.users.0')
    await bad({ scheduledAt: new Date(Date.now() - 60_000) }, 'scheduledAt')
    await bad({ body: 'x'.repeat(30 * 1024 + 1) }, 'body')
    await bad(
      {
        attachments: Array.from({ length: 11 }, (_, i) => ({
          name: `f${i}`,
          url: 'https://x.test/f',
          size: 1,
        })),
      },
      'attachments',
    )
    await bad(
      { attachments: [{ name: 'big', url: 'https://x.test/f', size: 31 * 1024 * 1024 }] },
      'attachments.0.size',
    )
    // An audience of only inactive people resolves to nobody.
    await database.db
      .update(users)
      .set({ status: 'inactive' })
      .where(eq(users.id, w.user('guoting')))
    const gone = await errorOf(
      createNotice({
        ctx: w.as('hefang'),
        input: { ...base, title: 'nobody', audience: { users: [w.user('guoting')] } },
      }),
    )
    expect(gone.details.field).toBe('audience.users.0')
    const [count] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(notices)
      .where(and(eq(notices.tenantId, w.org.tenantId), eq(notices.title, 'scope')))
    expect(count?.n).toBe(2) // only the two allowed ones
  })
})

describe('notices: delivery, receipts, reminders, edits', () => {
  it('delivers one card per recipient through the outbox; unreachable recipients fail with the reason', async () => {
    const w = await world()
    w.platform.unreachable.add('zhoujie')
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: {
        title: '消防演练',
        body: '周五下午三点消防演练',
        audience: { everyone: true },
        requireAck: true,
        publish: 'now',
      },
    })
    await w.drain()
    const rows = await w.recipients(n.id)
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(19)
    const failed = rows.find((r) => r.status === 'failed')
    expect(failed?.userId).toBe(w.user('zhoujie'))
    expect(failed?.error).toContain('230013')
    for (const key of Object.keys(w.org.users)) {
      const cards = w.platform
        .sendsTo(key)
        .filter((s) => cardText(s.card).includes('消防演练') && !cardText(s.card).includes('公告进度'))
      expect(cards.length, key).toBe(key === 'zhoujie' ? 0 : 1)
    }
    expect(w.platform.duplicateKeys).toBe(0)
    expect(rows.every((r) => r.platformMessageId || r.status === 'failed')).toBe(true)
    // The publisher's summary card
    expect(w.platform.sendsTo('hefang').some((s) => cardText(s.card).includes('公告进度'))).toBe(true)
    const dash = await getNoticeDashboard({ ctx: w.as('hefang'), input: { id: n.id } })
    expect(dash.totals).toMatchObject({ total: 20, sent: 19, failed: 1, read: 0 })
    const north = dash.departments.find((d) => d.departmentId === w.org.departments.sales_north)
    expect(north?.people?.failed.map((p) => p.name)).toEqual(['周杰'])
    expect(north?.people?.failed[0]?.error).toContain('230013')
  })

  it('publishes a scheduled notice when its time comes (relay with a future now)', async () => {
    const w = await world()
    const at = new Date(Date.now() + 2 * HOUR)
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: {
        title: '定时公告',
        body: 'b',
        audience: { users: [w.user('liuyang'), w.user('chenjing')] },
        scheduledAt: at,
      },
    })
    expect(n.status).toBe('scheduled')
    await w.drain()
    expect(w.platform.sends).toHaveLength(0)
    expect(await w.recipients(n.id)).toHaveLength(0)
    await w.drain(2 * HOUR + 1000)
    const [after] = await database.db.select().from(notices).where(eq(notices.id, n.id))
    expect(after?.status).toBe('published')
    expect((await w.recipients(n.id)).map((r) => r.status)).toEqual(['sent', 'sent'])
    expect(w.platform.sendsTo('liuyang')).toHaveLength(1)
  })

  it('acknowledges from the card (dispatchEvent), once, only for recipients', async () => {
    const w = await world()
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: {
        title: '请确认',
        body: 'b',
        audience: { users: [w.user('liuyang')] },
        requireAck: true,
        publish: 'now',
      },
    })
    await w.drain()
    const [sent] = w.platform.sendsTo('liuyang')
    expect(cardText(sent?.card ?? null)).toContain('notice.ack')
    const tap = (openId: string) =>
      dispatchEvent(
        { database, logger: silent, clock: systemClock },
        {
          kind: 'card_action',
          platform: 'devchat',
          tenantKey: w.tenantKey,
          eventId: `e-${Math.random()}`,
          operator: { openId },
          payload: { a: 'notice.ack', n: n.id, v: n.version },
          formValues: {},
          ...(sent ? { messageId: sent.platformMessageId } : {}),
        },
      )
    const first = await tap('liuyang')
    expect(first?.toast?.kind).toBe('success')
    expect(cardText(first?.card ?? null)).toContain('已确认')
    expect(cardText(first?.card ?? null)).not.toContain('notice.ack')
    const [row] = await w.recipients(n.id)
    expect(row?.ackAt).not.toBeNull()
    expect(row?.readVia).toBe('card')
    const again = await tap('liuyang')
    expect(again?.toast?.kind).toBe('info')
    const [row2] = await w.recipients(n.id)
    expect(row2?.ackAt?.getTime()).toBe(row?.ackAt?.getTime())
    const stranger = await tap('chenjing')
    expect(stranger?.toast?.kind).toBe('error')
  })

  it('takes read status from the platform read-receipt API (polled)', async () => {
    const w = await world()
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: {
        title: '已读回执',
        body: 'b',
        audience: { users: [w.user('liuyang'), w.user('chenjing')] },
        publish: 'now',
      },
    })
    await w.drain()
    const liu = (await w.recipients(n.id)).find((r) => r.userId === w.user('liuyang'))
    w.platform.markRead(liu?.platformMessageId ?? '', 'liuyang', new Date(Date.now() - 1000))
    await w.drain(61_000)
    const rows = await w.recipients(n.id)
    expect(w.platform.readUsersCalls).toBeGreaterThanOrEqual(2)
    expect(rows.find((r) => r.userId === w.user('liuyang'))).toMatchObject({ readVia: 'platform' })
    expect(rows.find((r) => r.userId === w.user('liuyang'))?.readAt).not.toBeNull()
    expect(rows.find((r) => r.userId === w.user('chenjing'))?.readAt).toBeNull()
  })

  it('runs the reminder ladder over simulated time: card, then urgent, never twice per step', async () => {
    const w = await world()
    const audience = ['liuyang', 'chenjing', 'yangfan', 'zhangwei'].map((k) => w.user(k))
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: {
        title: '阶梯提醒',
        body: 'b',
        audience: { users: audience },
        requireAck: true,
        reminder: { afterMinutes: 60, urgentAfterMinutes: 120 },
        publish: 'now',
      },
    })
    await w.drain()
    await acknowledgeNotice({ ctx: w.as('zhangwei'), input: { id: n.id } })
    const reminders = () => w.platform.sends.filter((s) => cardText(s.card).includes('提醒：请阅读'))
    await w.drain(30 * 60_000)
    expect(reminders()).toHaveLength(0)
    await w.drain(61 * 60_000)
    expect(
      reminders()
        .map((r) => r.to)
        .sort(),
    ).toEqual(['chenjing', 'liuyang', 'yangfan'])
    // Someone acknowledges from the reminder; the ladder skips them from now on.
    await acknowledgeNotice({ ctx: w.as('yangfan'), input: { id: n.id } })
    // The same step again (a re-run, or the sender's remind) sends nothing new at step 1.
    await w.drain(90 * 60_000)
    expect(reminders()).toHaveLength(3)
    await w.drain(121 * 60_000)
    expect(w.platform.urgents).toHaveLength(2)
    expect(w.platform.urgents.flatMap((u) => u.openIds).sort()).toEqual(['chenjing', 'liuyang'])
    const err = await errorOf(remindNotice({ ctx: w.as('hefang'), input: { id: n.id } }))
    expect(err.code).toBe('invalid_transition')
    expect(reminders()).toHaveLength(3)
    expect(w.platform.urgents).toHaveLength(2)
    const rows = await w.recipients(n.id)
    expect(rows.map((r) => r.reminderStep).sort()).toEqual([0, 1, 2, 2])
  })

  it('the sender can remind now: step 1 then step 2, once each', async () => {
    const w = await world()
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: {
        title: '手动提醒',
        body: 'b',
        audience: { users: [w.user('liuyang'), w.user('chenjing')] },
        publish: 'now',
      },
    })
    await w.drain()
    expect(await remindNotice({ ctx: w.as('hefang'), input: { id: n.id } })).toEqual({ step: 1, eligible: 2 })
    await w.drain()
    expect(await remindNotice({ ctx: w.as('hefang'), input: { id: n.id } })).toEqual({ step: 2, eligible: 2 })
    await w.drain()
    expect(w.platform.sends.filter((s) => cardText(s.card).includes('提醒：请阅读'))).toHaveLength(2)
    expect(w.platform.urgents).toHaveLength(2)
    expect((await errorOf(remindNotice({ ctx: w.as('liuyang'), input: { id: n.id } }))).code).toBe(
      'forbidden',
    )
  })

  it('edit updates every delivered card to the new version; retract replaces them with 已撤回', async () => {
    const w = await world()
    const audience = ['liuyang', 'chenjing', 'yangfan'].map((k) => w.user(k))
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: { title: '旧标题', body: 'b', audience: { users: audience }, requireAck: true, publish: 'now' },
    })
    await w.drain()
    await acknowledgeNotice({ ctx: w.as('chenjing'), input: { id: n.id } })
    const edited = await editNotice({ ctx: w.as('hefang'), input: { id: n.id, title: '新标题' } })
    expect(edited.version).toBe(n.version + 1)
    const frozen = await errorOf(
      editNotice({ ctx: w.as('hefang'), input: { id: n.id, audience: { everyone: true } } }),
    )
    expect(frozen.details.field).toBe('audience')
    await w.drain()
    const rows = await w.recipients(n.id)
    for (const r of rows) {
      const card = w.platform.currentCard(r.platformMessageId ?? '')
      expect(card?.header.title).toBe('新标题')
      const acked = r.userId === w.user('chenjing')
      expect(cardText(card).includes('notice.ack')).toBe(!acked)
    }
    const [msg] = await database.db
      .select({ v: messages.cardVersion })
      .from(messages)
      .where(
        and(eq(messages.tenantId, w.org.tenantId), eq(messages.ref, noticeCardRef(n.id, w.user('liuyang')))),
      )
    expect(msg?.v).toBe(edited.version)
    await retractNotice({ ctx: w.as('hefang'), input: { id: n.id } })
    await w.drain()
    for (const r of rows) {
      const card = w.platform.currentCard(r.platformMessageId ?? '')
      expect(cardText(card)).toContain('已撤回')
      expect(cardText(card)).not.toContain('notice.ack')
    }
    const late = await errorOf(acknowledgeNotice({ ctx: w.as('liuyang'), input: { id: n.id } }))
    expect(late.code).toBe('invalid_transition')
    const summary = w.platform.sendsTo('hefang').find((s) => cardText(s.card).includes('公告进度'))
    expect(cardText(w.platform.currentCard(summary?.platformMessageId ?? ''))).toContain('已撤回')
  })

  it('a notice retracted mid-fan-out cancels the rest and corrects cards that were in flight', async () => {
    const w = await world()
    const n = await createNotice({
      ctx: w.as('hefang'),
      input: { title: '撤回竞态', body: 'b', audience: { everyone: true }, publish: 'now' },
    })
    // Relay only the first fan-out step (sends queued, not yet delivered), then retract.
    await w.relay.relayAll()
    await waitFor(async () => (await w.recipients(n.id)).some((r) => r.status !== 'pending'), 'queued')
    await retractNotice({ ctx: w.as('hefang'), input: { id: n.id } })
    await w.drain()
    const rows = await w.recipients(n.id)
    for (const r of rows.filter((x) => x.status === 'sent')) {
      expect(cardText(w.platform.currentCard(r.platformMessageId ?? ''))).toContain('已撤回')
    }
    expect(rows.every((r) => r.status === 'sent' || r.status === 'cancelled' || r.status === 'failed')).toBe(
      true,
    )
  })
})

describe('notices: chat, API, news', () => {
  it('公告 lists my recent notices as a card', async () => {
    const w = await world()
    await createNotice({
      ctx: w.as('hefang'),
      input: { title: '列表里的公告', body: 'b', audience: { everyone: true }, publish: 'now' },
    })
    await w.drain()
    await dispatchEvent(
      { database, logger: silent, clock: systemClock },
      {
        kind: 'message',
        platform: 'devchat',
        tenantKey: w.tenantKey,
        eventId: `m-${Math.random()}`,
        messageId: `dm-${Math.random()}`,
        chatId: 'p2p:liuyang',
        chatType: 'p2p',
        sender: { openId: 'liuyang' },
        text: '公告',
        addressedToBot: true,
      },
    )
    await w.drain()
    const list = w.platform.sendsTo('liuyang').find((s) => s.card?.header.title === '最近公告')
    expect(cardText(list?.card ?? null)).toContain('列表里的公告')
  })

  it('serves the API: create (201/403/400), get marks read, dashboard, CSV, OpenAPI', async () => {
    const w = await world()
    const { app } = testApp(database)
    const token = async (key: string) =>
      signToken(TEST_SESSION_SECRET, {
        t: w.org.tenantId,
        u: w.user(key),
        p: 'devchat',
        exp: Math.floor(Date.now() / 1000) + 600,
        k: 'session',
        j: `j-${Math.random()}`,
      })
    const call = async (key: string, method: string, path: string, body?: unknown) =>
      app.request(`/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${await token(key)}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    const created = await call('hefang', 'POST', '/notices', {
      title: 'API 公告',
      body: '正文',
      audience: { departments: [{ id: w.org.departments.finance, includeSubDepartments: true }] },
      requireAck: true,
      publish: 'now',
    })
    expect(created.status).toBe(201)
    const dto = (await created.json()) as { id: string; status: string; recipientCount: number }
    expect(dto).toMatchObject({ status: 'published', recipientCount: 3 })
    expect(
      (await call('liuyang', 'POST', '/notices', { title: 'x', body: 'y', audience: { everyone: true } }))
        .status,
    ).toBe(403)
    const empty = await call('hefang', 'POST', '/notices', { title: 'x', body: 'y', audience: {} })
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as { error: { field: string } }).error.field).toBe('audience')
    expect(
      (
        await call('hefang', 'POST', '/notices', {
          title: 'x',
          body: 'y',
          audience: { everyone: true },
          scheduledAt: '2001-01-01T00:00:00Z',
        })
      ).status,
    ).toBe(400)
    const scripted = await call('hefang', 'POST', '/notices', {
      title: 'x',
      body: 'y',
      audience: { everyone: true },
      attachments: [{ name: 'report.pdf', url: 'javascript:alert(document.domain)', size: 1 }],
    })
    expect(scripted.status).toBe(400)
    expect(((await scripted.json()) as { error: { field: string } }).error.field).toBe('attachments.0.url')
    await w.drain()
    const opened = await call('hubin', 'GET', `/notices/${dto.id}`)
    expect(opened.status).toBe(200)
    expect(((await opened.json()) as { receipt: { readAt: string | null } }).receipt.readAt).not.toBeNull()
    expect((await call('liuyang', 'GET', `/notices/${dto.id}`)).status).toBe(404)
    expect((await call('zhuhong', 'POST', `/notices/${dto.id}/ack`)).status).toBe(200)
    const dash = await call('hefang', 'GET', `/notices/${dto.id}/dashboard`)
    expect(dash.status).toBe(200)
    const body = (await dash.json()) as { totals: { read: number; acknowledged: number; unread: number } }
    expect(body.totals).toMatchObject({ read: 2, acknowledged: 1, unread: 1 })
    expect((await call('hubin', 'GET', `/notices/${dto.id}/dashboard`)).status).toBe(403)
    const csv = await call('hefang', 'GET', `/notices/${dto.id}/export.csv`)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const text = await csv.text()
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(4)
    expect(text).toContain('朱红')
    // Times as wall time in the tenant's zone, named in the header (M5), not UTC ISO stamps.
    expect(text).toContain('确认时间 Acknowledged at (Asia/Shanghai)')
    expect(text).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/)
    expect(text).toMatch(/"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"/)
    const inbox = await call('guoting', 'GET', '/notices?box=inbox')
    expect(((await inbox.json()) as { items: unknown[] }).items).toHaveLength(1)
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, unknown> }
    for (const p of [
      '/api/v1/notices',
      '/api/v1/notices/{id}/dashboard',
      '/api/v1/notices/{id}/export.csv',
      '/api/v1/news',
    ]) {
      expect(Object.keys(doc.paths).some((k) => k.endsWith(p.replace('/api/v1', '')))).toBe(true)
    }
  })

  it('news: feed by category with cover and distinct read counts', async () => {
    const w = await world()
    const a = await createNews({
      ctx: w.as('hefang'),
      input: { title: '获奖', body: '正文', coverUrl: 'https://img.test/a.png', category: 'company' },
    })
    await createNews({ ctx: w.as('sunyue'), input: { title: '新品', body: '正文', category: 'product' } })
    expect((await errorOf(createNews({ ctx: w.as('liuyang'), input: { title: 'x', body: 'y' } }))).code).toBe(
      'forbidden',
    )
    const feed = await listNews({ ctx: w.as('liuyang'), input: { category: 'company' } })
    expect(feed.items.map((i) => i.title)).toEqual(['获奖'])
    expect(feed.items[0]?.coverUrl).toBe('https://img.test/a.png')
    await getNews({ ctx: w.as('liuyang'), input: { id: a.id } })
    await getNews({ ctx: w.as('liuyang'), input: { id: a.id } })
    const read = await getNews({ ctx: w.as('chenjing'), input: { id: a.id } })
    expect(read.readCount).toBe(2)
  })
})
