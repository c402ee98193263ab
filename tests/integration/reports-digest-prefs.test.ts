import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceContext } from '../../bot/domain/context'
import { runDigests } from '../../bot/domain/reports'
import { zonedDayStart } from '../../bot/lib/zoned'
import type { Database } from '../../db/client'
import { digestPrefs, outbox } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { silent, uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

/**
 * Digest settings through the API (`/api/v1/reports/digest-prefs`): each person reads and changes only their
 * own — which digests come (the morning brief, the weekly team digest) and at what time — validated with a
 * 400 naming the field and saved all or nothing; the scheduled run then follows what was saved.
 */
let database: Database
let org: SeededOrg
let app: ReturnType<typeof testApp>['app']

const ZONE = 'Asia/Shanghai'
const HOUR = 3_600_000
const DAY = 24 * HOUR
/** A Monday a few weeks from the real date (which one does not matter). */
const monday = (() => {
  const d = new Date(Date.now() + 21 * DAY)
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10)
})()
const at = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number)
  return new Date(zonedDayStart(monday, ZONE).getTime() + (h ?? 0) * HOUR + (m ?? 0) * 60_000)
}
const sys = (d: Date): ServiceContext => ({
  tenantId: org.tenantId,
  actor: { kind: 'system', reason: 'test' },
  db: database.db,
  clock: { now: () => d },
  logger: silent,
})

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

async function call(who: string, init: RequestInit = {}) {
  const headers = {
    ...(await sessionHeader(org.tenantId, uid(org, who))),
    'content-type': 'application/json',
  }
  const res = await app.request('/api/v1/reports/digest-prefs', { ...init, headers })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const put = (who: string, body: unknown) => call(who, { method: 'PUT', body: JSON.stringify(body) })
type Pref = { kind: string; enabled: boolean; sendAt: string; defaultSendAt: string }
const items = (r: { body: Record<string, unknown> }) => r.body.items as Pref[]

describe('digest settings API', () => {
  it('answers the defaults, saves a person’s own choices, and refuses bad input naming the field', async () => {
    const first = await call('zhangwei')
    expect(first.status).toBe(200)
    expect(items(first)).toEqual([
      { kind: 'morning', enabled: true, sendAt: '08:30', defaultSendAt: '08:30' },
      { kind: 'weekly', enabled: true, sendAt: '09:00', defaultSendAt: '09:00' },
    ])
    const saved = await put('zhangwei', {
      prefs: [
        { kind: 'morning', enabled: false },
        { kind: 'weekly', sendAt: '10:15' },
      ],
    })
    expect(saved.status).toBe(200)
    expect(items(saved)).toEqual([
      { kind: 'morning', enabled: false, sendAt: '08:30', defaultSendAt: '08:30' },
      { kind: 'weekly', enabled: true, sendAt: '10:15', defaultSendAt: '09:00' },
    ])
    expect(items(await call('zhangwei'))).toEqual(items(saved))
    // Someone else's settings are untouched.
    expect(items(await call('liuyang')).map((p) => [p.enabled, p.sendAt])).toEqual([
      [true, '08:30'],
      [true, '09:00'],
    ])

    for (const [body, field] of [
      [{ prefs: [{ kind: 'morning', sendAt: '25:00' }] }, 'prefs.0.sendAt'],
      [{ prefs: [{ kind: 'monthly', enabled: true }] }, 'prefs.0.kind'],
      [{ prefs: [{ kind: 'weekly', enabled: 'yes' }] }, 'prefs.0.enabled'],
      [{ prefs: [] }, 'prefs'],
      [{ prefs: [{ kind: 'weekly' }, { kind: 'weekly', enabled: false }] }, 'prefs'],
      [{}, 'prefs'],
    ] as const) {
      const bad = await put('zhangwei', body)
      expect(bad.status, JSON.stringify(body)).toBe(400)
      expect((bad.body.error as { field: string }).field, JSON.stringify(body)).toBe(field)
    }
    // All or nothing: the valid half of a refused change is not saved either.
    const half = await put('zhangwei', {
      prefs: [
        { kind: 'morning', enabled: true, sendAt: '07:00' },
        { kind: 'weekly', sendAt: '9:99' },
      ],
    })
    expect(half.status).toBe(400)
    expect(items(await call('zhangwei'))).toEqual(items(saved))
    // Back to the default time with null.
    const reset = await put('zhangwei', { prefs: [{ kind: 'weekly', sendAt: null }] })
    expect(items(reset)[1]).toMatchObject({ sendAt: '09:00' })
    await put('zhangwei', { prefs: [{ kind: 'weekly', sendAt: '10:15' }] })
  })

  it('is what the scheduled digests follow', async () => {
    // 张伟 (manager) moved the team digest to 10:15; 王建国 (admin) turned it off.
    expect((await put('wangjianguo', { prefs: [{ kind: 'weekly', enabled: false }] })).status).toBe(200)
    const weeklyTo = async () =>
      (
        await database.db
          .select({ payload: outbox.payload })
          .from(outbox)
          .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, 'send.message')))
      )
        .map((r) => r.payload as { to: { userId: string }; content: { view?: { kind: string } } })
        .filter((p) => p.content.view?.kind === 'reports.team_digest')
        .map((p) => p.to.userId)
    await runDigests({ ctx: sys(at('09:01')) })
    const early = await weeklyTo()
    expect(early.length).toBeGreaterThan(0)
    expect(early).not.toContain(uid(org, 'zhangwei'))
    expect(early).not.toContain(uid(org, 'wangjianguo'))
    await runDigests({ ctx: sys(at('10:16')) })
    const later = await weeklyTo()
    expect(later.filter((u) => u === uid(org, 'zhangwei'))).toHaveLength(1)
    expect(later).not.toContain(uid(org, 'wangjianguo'))
    // The settings row kept the choice when the run claimed the week.
    const [row] = await database.db
      .select()
      .from(digestPrefs)
      .where(
        and(
          eq(digestPrefs.tenantId, org.tenantId),
          eq(digestPrefs.userId, uid(org, 'zhangwei')),
          eq(digestPrefs.kind, 'weekly'),
        ),
      )
    expect(row).toMatchObject({ enabled: true, sendAt: '10:15', lastPeriod: monday })
  })
})
