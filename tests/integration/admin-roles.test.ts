import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvCell, exportAuditCsv } from '../../bot/domain/audit/export-audit-csv'
import { listAudit } from '../../bot/domain/audit/list-audit'
import { installDefaultRoles } from '../../bot/domain/org/default-roles'
import { grantRole } from '../../bot/domain/org/grant-role'
import { revokeRole } from '../../bot/domain/org/revoke-role'
import { syncRoleGrants } from '../../bot/domain/org/sync-role-grants'
import { setTenantSettings } from '../../bot/domain/org/time-zone'
import { systemClock } from '../../bot/lib/clock'
import type { Database } from '../../db/client'
import { departments, roles, userRoles } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { actingAs, silent, uid } from '../helpers/actors'
import { createTestTenant, openTestDatabase } from '../helpers/db'

let database: Database
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => {
  await database?.close()
})

const sys = (org: SeededOrg) => ({
  tenantId: org.tenantId,
  actor: { kind: 'system' as const, reason: 'test' },
  db: database.db,
  clock: systemClock,
  logger: silent,
})

async function holders(org: SeededOrg, roleKey: string, source?: string): Promise<string[]> {
  const rows = await database.db
    .select({ userId: userRoles.userId })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(
      and(
        eq(userRoles.tenantId, org.tenantId),
        eq(roles.key, roleKey),
        ...(source ? [sql`${userRoles.source} = ${source}`] : []),
      ),
    )
  return [...new Set(rows.map((r) => r.userId))].sort()
}

async function roleId(org: SeededOrg, key: string): Promise<string> {
  const [r] = await database.db
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.tenantId, org.tenantId), eq(roles.key, key)))
  if (!r) throw new Error(`no role ${key}`)
  return r.id
}

describe('role grants derived from the directory', () => {
  it('gives 部门负责人 to department leaders and follows a leader change on the next sync', async () => {
    const org = await createTestTenant(database)
    await installDefaultRoles(database.db, org.tenantId)
    await syncRoleGrants({ ctx: sys(org), input: { platform: 'devchat', platformAdminOpenIds: null } })
    const leaders = await holders(org, 'dept_head', 'leader')
    expect(leaders).toContain(uid(org, 'liming'))
    expect(leaders).toContain(uid(org, 'zhangwei'))
    // 华东销售组 gets a new leader: 张伟 keeps nothing from leadership, 刘洋 gets the role.
    await database.db
      .update(departments)
      .set({ leaderUserId: uid(org, 'liuyang') })
      .where(eq(departments.id, org.departments.sales_east as string))
    const r = await syncRoleGrants({
      ctx: sys(org),
      input: { platform: 'devchat', platformAdminOpenIds: null },
    })
    expect(r).toEqual({ added: 1, removed: 1 })
    const after = await holders(org, 'dept_head', 'leader')
    expect(after).toContain(uid(org, 'liuyang'))
    expect(after).not.toContain(uid(org, 'zhangwei'))
    // Everyone active holds 员工; running again changes nothing.
    expect(await holders(org, 'employee', 'everyone')).toHaveLength(Object.keys(org.users).length)
    expect(
      await syncRoleGrants({ ctx: sys(org), input: { platform: 'devchat', platformAdminOpenIds: null } }),
    ).toEqual({ added: 0, removed: 0 })
  })

  it('makes FLOWCARD_ADMINS entries admins by email, mobile or id, and removes them when dropped', async () => {
    const org = await createTestTenant(database)
    await installDefaultRoles(database.db, org.tenantId)
    const input = (bootstrapAdmins: string[]) => ({
      platform: 'devchat' as const,
      platformAdminOpenIds: null,
      bootstrapAdmins,
    })
    await syncRoleGrants({ ctx: sys(org), input: input(['liuyang']) })
    expect(await holders(org, 'admin', 'env')).toEqual([uid(org, 'liuyang')])
    await syncRoleGrants({ ctx: sys(org), input: input([]) })
    expect(await holders(org, 'admin', 'env')).toEqual([])
    // A manual grant survives every sync.
    expect(await holders(org, 'admin', 'manual')).toEqual(
      [uid(org, 'wangjianguo'), uid(org, 'hefang')].sort(),
    )
  })

  it('grants a role to a whole department (and below) and takes it back', async () => {
    const org = await createTestTenant(database)
    await installDefaultRoles(database.db, org.tenantId)
    const admin = actingAs(database, org, 'wangjianguo', 'miniapp')
    const marketing = await roleId(org, 'notice_publisher')
    await grantRole({
      ctx: admin,
      input: { roleId: marketing, departmentIds: [org.departments.sales as string] },
    })
    const members = await holders(org, 'notice_publisher', 'department')
    expect(members).toContain(uid(org, 'liming'))
    expect(members).toContain(uid(org, 'zhangwei')) // 华东销售组 is below 销售部
    expect(members).not.toContain(uid(org, 'wangjianguo'))
    await revokeRole({
      ctx: admin,
      input: { roleId: marketing, departmentId: org.departments.sales as string },
    })
    expect(await holders(org, 'notice_publisher')).toEqual([])
  })
})

describe('revoking roles', () => {
  it('refuses to revoke the last admin of a tenant and changes nothing', async () => {
    const org = await createTestTenant(database)
    const admin = actingAs(database, org, 'wangjianguo', 'miniapp')
    const adminRole = await roleId(org, 'admin')
    // The demo company has two admins: 何芳 can go, 王建国 then is the last one.
    await revokeRole({ ctx: admin, input: { roleId: adminRole, userId: uid(org, 'hefang') } })
    await expect(
      revokeRole({ ctx: admin, input: { roleId: adminRole, userId: uid(org, 'wangjianguo') } }),
    ).rejects.toMatchObject({ code: 'conflict' })
    expect(await holders(org, 'admin')).toEqual([uid(org, 'wangjianguo')])
    // With a second admin the first one can go.
    await grantRole({ ctx: admin, input: { roleId: adminRole, userIds: [uid(org, 'liming')] } })
    await revokeRole({ ctx: admin, input: { roleId: adminRole, userId: uid(org, 'wangjianguo') } })
    expect(await holders(org, 'admin')).toEqual([uid(org, 'liming')])
    const audit = await database.rows<{ action: string }>(
      sql`select action from audit_log where tenant_id = ${org.tenantId} and action like 'org.role.%' order by id`,
    )
    expect(audit.map((a) => a.action)).toEqual(['org.role.revoke', 'org.role.grant', 'org.role.revoke'])
  })

  it('refuses non-admins with 403 naming the permission', async () => {
    const org = await createTestTenant(database)
    const rep = actingAs(database, org, 'liuyang', 'miniapp')
    await expect(
      grantRole({ ctx: rep, input: { roleId: await roleId(org, 'admin'), userIds: [uid(org, 'liuyang')] } }),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('org.admin') })
  })
})

describe('audit CSV cells', () => {
  it('neutralises formulas and quotes', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvCell('+1')).toBe(`"'+1"`)
    expect(csvCell('@SUM')).toBe(`"'@SUM"`)
    expect(csvCell('张三')).toBe('"张三"')
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"')
  })
})

describe('audit CSV times', () => {
  it('writes wall time in the tenant’s zone and names the zone in the header, following a change of zone', async () => {
    const org = await createTestTenant(database)
    const admin = actingAs(database, org, 'wangjianguo', 'miniapp')
    await grantRole({
      ctx: admin,
      input: { roleId: await roleId(org, 'admin'), userIds: [uid(org, 'liming')] },
    })
    const [entry] = (await listAudit({ ctx: admin, input: { kind: 'org.role.grant' } })).items
    if (!entry) throw new Error('no audit entry')
    const wall = (zone: string) =>
      new Intl.DateTimeFormat('sv-SE', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(entry.at))
    for (const zone of ['Asia/Shanghai', 'America/Los_Angeles']) {
      if (zone !== 'Asia/Shanghai') await setTenantSettings({ ctx: admin, input: { timeZone: zone } })
      const { csv } = await exportAuditCsv({ ctx: admin, input: { kind: 'org.role.grant' } })
      const [header, ...rows] = csv.replace('\uFEFF', '').split('\r\n')
      const row = rows.find((r) => r.includes('"org.role.grant"'))
      expect(header).toContain(`时间 at (${zone})`)
      expect(row?.startsWith(`"${wall(zone)}"`), `${row} starts with ${wall(zone)}`).toBe(true)
      expect(row).not.toContain(entry.at)
    }
  })
})
