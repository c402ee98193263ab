import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveActor } from '../../bot/domain/org'
import type { Database } from '../../db/client'
import { auditLog, tenants, userIdentities, users } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { uid } from '../helpers/actors'
import { testApp } from '../helpers/app'
import { createTestTenant, openTestDatabase } from '../helpers/db'
import { sessionHeader } from '../helpers/session'

/** `PUT /api/v1/me/time-zone`: one's own zone, or the company's, kept apart from the directory's. */
let database: Database
let org: SeededOrg
let app: ReturnType<typeof testApp>['app']

beforeAll(async () => {
  database = await openTestDatabase()
  org = await createTestTenant(database)
  app = testApp(database).app
})
afterAll(async () => database.close())

async function call(who: string, path: string, init: RequestInit = {}) {
  const headers = {
    ...(await sessionHeader(org.tenantId, uid(org, who))),
    'content-type': 'application/json',
  }
  const res = await app.request(`/api/v1${path}`, { ...init, headers })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const put = (who: string, body: unknown) =>
  call(who, '/me/time-zone', { method: 'PUT', body: JSON.stringify(body) })
const zoneOf = (body: Record<string, unknown>) => ({
  timeZone: body.timeZone,
  timeZoneSource: body.timeZoneSource,
  companyTimeZone: body.companyTimeZone,
})
/** The zone cards sent to this person are rendered in (null: the tenant's), as chat dispatch reads it. */
async function cardZone(who: string): Promise<string | null | undefined> {
  const [tenant] = await database.db
    .select({ platform: tenants.platform, key: tenants.platformTenantKey })
    .from(tenants)
    .where(eq(tenants.id, org.tenantId))
  const [identity] = await database.db
    .select({ openId: userIdentities.openId })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, org.tenantId), eq(userIdentities.userId, uid(org, who))))
  if (!tenant || !identity?.openId) throw new Error('no identity')
  return (await resolveActor(database.db, tenant.platform, tenant.key, identity.openId))?.user?.timeZone
}

describe('one’s own time zone', () => {
  it('shows the company’s zone until one is set', async () => {
    const me = await call('liuyang', '/me')
    expect(me.status).toBe(200)
    expect(zoneOf(me.body)).toEqual({
      timeZone: 'Asia/Shanghai',
      timeZoneSource: 'company',
      companyTimeZone: 'Asia/Shanghai',
    })
  })

  it('refuses a zone that does not exist with 400 naming the field, and writes nothing', async () => {
    for (const body of [{ timeZone: 'Mars/Olympus' }, { timeZone: 8 }, {}, { timeZone: '' }]) {
      const res = await put('liuyang', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect((res.body.error as { field?: string }).field, JSON.stringify(res.body)).toBe('timeZone')
    }
    const [row] = await database.db
      .select({ choice: users.timeZoneChoice })
      .from(users)
      .where(eq(users.id, uid(org, 'liuyang')))
    expect(row?.choice).toBeNull()
  })

  it('sets one’s own zone, which a directory sync does not undo and cards follow', async () => {
    const res = await put('liuyang', { timeZone: ' Europe/Berlin ' })
    expect(res.status).toBe(200)
    expect(zoneOf(res.body)).toEqual({
      timeZone: 'Europe/Berlin',
      timeZoneSource: 'own',
      companyTimeZone: 'Asia/Shanghai',
    })
    expect(await cardZone('liuyang')).toBe('Europe/Berlin')
    // The directory writes its own column (as a sync from Feishu would): the person's choice stands.
    await database.db
      .update(users)
      .set({ timeZone: 'Asia/Tokyo' })
      .where(eq(users.id, uid(org, 'liuyang')))
    expect(zoneOf((await call('liuyang', '/me')).body).timeZone).toBe('Europe/Berlin')
    // Only the caller changed.
    expect(zoneOf((await call('zhangwei', '/me')).body).timeZoneSource).toBe('company')
    const audit = await database.db
      .select({ after: auditLog.after })
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, org.tenantId), eq(auditLog.action, 'user.set_time_zone')))
    expect(audit.map((a) => a.after)).toEqual([{ timeZone: 'Europe/Berlin' }])
  })

  it('follows the company with null, whatever the directory says', async () => {
    await database.db
      .update(users)
      .set({ timeZone: 'Asia/Tokyo' })
      .where(eq(users.id, uid(org, 'zhangwei')))
    expect(zoneOf((await call('zhangwei', '/me')).body)).toMatchObject({
      timeZone: 'Asia/Tokyo',
      timeZoneSource: 'directory',
    })
    expect(await cardZone('zhangwei')).toBe('Asia/Tokyo')
    const res = await put('zhangwei', { timeZone: null })
    expect(res.status).toBe(200)
    expect(zoneOf(res.body)).toEqual({
      timeZone: 'Asia/Shanghai',
      timeZoneSource: 'company',
      companyTimeZone: 'Asia/Shanghai',
    })
    expect(await cardZone('zhangwei')).toBeNull()
  })
})
