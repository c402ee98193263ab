import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DirectorySnapshot } from '../../bot/chat/model'
import { createFeishuPlatform, type FeishuPlatform } from '../../bot/platforms/feishu/adapter'
import { MemoryRateLimiter } from '../../bot/platforms/rate-limit'
import { createFakeFeishu, type FakeFeishu } from '../fakes/feishu'
import { defaultOrg } from '../fakes/feishu/org'

/**
 * The Feishu directory read: people through directory v1 `employees/filter` (100 a page), departments
 * through contact v3; without the employee-list scope, the member list of each department instead, with
 * the same result.
 */
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
let fake: FakeFeishu
let platform: FeishuPlatform
const tenant = () => ({ id: 'ten_x', platformTenantKey: fake.tenantKey })

/** The snapshot without the fields only one of the two APIs returns, sorted, for comparison. */
const comparable = (s: DirectorySnapshot) => ({
  departments: [...s.departments].sort((a, b) => a.externalId.localeCompare(b.externalId)),
  users: s.users
    // employees/filter carries no union_id, user_id or time_zone (a sync through it keeps the stored ones).
    .map(({ unionId: _u, userId: _i, timeZone: _z, ...rest }) => ({
      ...rest,
      departmentExternalIds: [...rest.departmentExternalIds].sort(),
    }))
    .sort((a, b) => a.openId.localeCompare(b.openId)),
})

beforeAll(async () => {
  // 130 people: more than one page of employees.
  const extra = Array.from({ length: 117 }, (_, i) => ({
    userId: `p${i}`,
    name: `员工${i}`,
    email: `p${i}@example.com`,
    departmentIds: [i % 2 === 0 ? 'D110' : 'D210'],
    leaderUserId: i % 2 === 0 ? 'wangwu' : 'zhouba',
    jobTitle: '工程师',
  }))
  const org = defaultOrg()
  fake = await createFakeFeishu({ org: { ...org, users: [...org.users, ...extra] } })
  platform = createFeishuPlatform(
    { appId: fake.appId, appSecret: fake.appSecret, domain: fake.url },
    quiet as never,
    { limiter: new MemoryRateLimiter() },
  )
})

afterAll(async () => {
  await fake.close()
})

describe('Feishu directory sync', () => {
  it('reads people 100 a page from employees/filter and matches the per-department read', async () => {
    const before = fake.recorder.requests.length
    const viaEmployees = await platform.syncDirectory(tenant())
    const calls = fake.recorder.requests.slice(before)
    const employeePages = calls.filter((r) => r.path === '/open-apis/directory/v1/employees/filter')
    expect(employeePages).toHaveLength(Math.ceil(fake.directory.users.length / 100))
    expect(employeePages.every((r) => r.status === 200)).toBe(true)
    expect(calls.filter((r) => r.path.includes('find_by_department'))).toHaveLength(0)
    // Resigned people are left out, as the department member list leaves them out.
    const active = fake.directory.users.filter((u) => !u.status.is_resigned)
    expect(viaEmployees.users.map((u) => u.openId).sort()).toEqual(active.map((u) => u.openId).sort())
    const linerOf = (s: DirectorySnapshot) => s.users.find((u) => u.openId === fake.user('liner').openId)
    expect(linerOf(viaEmployees)).toMatchObject({
      name: '林二',
      email: 'liner@example.com',
      jobTitle: '测试工程师',
      managerOpenId: fake.user('zhaoliu').openId,
      active: true,
    })

    // The app without directory:employee:list: the same directory, read department by department.
    fake.controls.setDirectoryScope(false)
    try {
      const mark = fake.recorder.requests.length
      const viaMembers = await platform.syncDirectory(tenant())
      const later = fake.recorder.requests.slice(mark)
      expect(later.filter((r) => r.path.includes('find_by_department')).length).toBeGreaterThan(0)
      expect(comparable(viaMembers)).toEqual(comparable(viaEmployees))
    } finally {
      fake.controls.setDirectoryScope(true)
    }
  })

  it('fails the sync (to be retried) when the employee list answers a server error, not a partial directory', async () => {
    fake.controls.failNext({
      path: '/open-apis/directory/v1/employees/filter',
      status: 500,
      code: 1,
      times: 10,
    })
    try {
      await expect(platform.syncDirectory(tenant())).rejects.toThrow()
    } finally {
      fake.controls.clearFailures()
    }
  })
})
