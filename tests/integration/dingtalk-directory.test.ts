import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlatformRegistry } from '../../bot/platforms/registry'
import type { Database } from '../../db/client'
import { roles, userIdentities, userRoles, users } from '../../db/schema'
import { syncDirectory } from '../../jobs/processors/sync-directory'
import { PermanentJobError } from '../../jobs/queue'
import { createFakeDingtalk, type FakeDingtalk, type FakeUserSeed } from '../fakes/dingtalk'
import { type DingtalkStack, startDingtalkStack } from '../helpers/dingtalk'
import { openOwnDatabase } from '../helpers/feishu'

let fake: FakeDingtalk
let own: { database: Database; drop: () => Promise<void> }
let stack: DingtalkStack

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
const team: FakeUserSeed[] = [
  { userid: 'boss', name: '老板', deptIds: [1], leader: true, boss: true, admin: true },
  ...Array.from({ length: 9 }, (_, i) => ({ userid: `emp${i}`, name: `员工${i}`, deptIds: [100] })),
  // Employed, listed, but has not activated DingTalk yet.
  { userid: 'newbie', name: '新人', deptIds: [100], active: false },
]

beforeAll(async () => {
  fake = await createFakeDingtalk({ users: team })
  own = await openOwnDatabase()
  stack = await startDingtalkStack(fake, own.database)
  await own.database.db.insert(roles).values({
    id: 'rol_dir_admin',
    tenantId: stack.tenantId,
    key: 'admin',
    name: '管理员',
    permissions: ['org.admin'],
  })
  await own.database.db
    .insert(userRoles)
    .values({ tenantId: stack.tenantId, userId: await userIdOf('boss'), roleId: 'rol_dir_admin' })
})

afterAll(async () => {
  await stack?.close()
  await own?.drop()
  await fake?.close()
})

async function userIdOf(openId: string): Promise<string> {
  const [row] = await own.database.db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.tenantId, stack.tenantId), eq(userIdentities.openId, openId)))
  if (!row) throw new Error(`no identity for ${openId}`)
  return row.userId
}

async function statuses(): Promise<Record<string, string>> {
  const rows = await own.database.db
    .select({ openId: userIdentities.openId, status: users.status })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(eq(userIdentities.tenantId, stack.tenantId))
  return Object.fromEntries(rows.map((r) => [r.openId ?? '', r.status]))
}

const runSync = () =>
  syncDirectory({
    database: own.database,
    queue: stack.queue,
    logger: quiet,
    clock: stack.clock,
    platforms: new PlatformRegistry().register(stack.platform),
  })({ tenantId: stack.tenantId }, { id: 'test', name: 'org.sync_directory', attempt: 1, maxAttempts: 1 })

describe('DingTalk directory sync fails closed', () => {
  it('keeps members who have not activated DingTalk yet active', async () => {
    const all = await statuses()
    expect(all.newbie).toBe('active')
    expect(Object.values(all).every((s) => s === 'active')).toBe(true)
  })

  it('aborts and changes nothing on an IP-ban page, an answer without errcode, or errcode 0 without data', async () => {
    const before = await statuses()
    fake.controls.banIp(60_000, 'json')
    await expect(runSync()).rejects.toThrow(/ip_banned|deny/)
    fake.controls.banIp(60_000, 'html')
    await expect(runSync()).rejects.toThrow(/ip_banned|deny/)
    fake.controls.liftIpBan()
    fake.controls.failNext('POST', '/topapi/v2/user/list', 200, { result: { has_more: false, list: [] } })
    await expect(runSync()).rejects.toThrow(/malformed/)
    fake.controls.failNext('POST', '/topapi/v2/department/listsub', 200, { errcode: 0, errmsg: 'ok' })
    await expect(runSync()).rejects.toThrow(/malformed/)
    fake.controls.failNext('POST', '/topapi/v2/user/list', 200, { errcode: 0, result: { list: 'oops' } })
    await expect(runSync()).rejects.toThrow(/malformed/)
    expect(await statuses()).toEqual(before)
  })

  it('deactivates a leaver who is absent from a complete listing', async () => {
    fake.controls.removeUser('emp8')
    await runSync()
    expect((await statuses()).emp8).toBe('inactive')
  })

  it('stops a sync that would deactivate more than the set share, changes nothing, and alerts the admins', async () => {
    const before = await statuses()
    for (const id of ['emp0', 'emp1', 'emp2', 'emp3']) fake.controls.removeUser(id)
    await expect(runSync()).rejects.toBeInstanceOf(PermanentJobError)
    expect(await statuses()).toEqual(before)
    await stack.settle()
    const alert = [...fake.cards.values()].find(
      (c) => c.spaces.some((s) => s.spaceId === 'boss') && c.cardParamMap.title?.includes('通讯录同步已中止'),
    )
    expect(alert).toBeDefined()
  })
})
