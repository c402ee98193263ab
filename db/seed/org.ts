import { eq } from 'drizzle-orm'
import { newId } from '../../bot/lib/ids'
import type { DbOrTx } from '../client'
import {
  type DataScope,
  departments,
  type Platform,
  roles,
  tenants,
  userDepartments,
  userIdentities,
  userRoles,
  users,
} from '../schema'

export interface OrgSpec {
  departments: Array<{ key: string; name: string; parent?: string; leader?: string }>
  people: Array<{
    key: string
    name: string
    enName?: string
    department: string
    manager?: string
    jobTitle?: string
    roles: string[]
    mobile?: string
    email?: string
  }>
  roles: Array<{ key: string; name: string; scope: DataScope; permissions?: string[] }>
}

export interface SeededOrg {
  tenantId: string
  /** spec key → user id */
  users: Record<string, string>
  /** spec key → department id */
  departments: Record<string, string>
  roles: Record<string, string>
}

/**
 * Creates a tenant with a department tree, people, managers, roles and devchat identities, in one
 * transaction. Used by the demo seed and by tests (each test gets a fresh tenant).
 */
export async function seedOrg(
  db: DbOrTx,
  spec: OrgSpec,
  tenant: { name: string; platform: Platform; tenantKey: string },
): Promise<SeededOrg> {
  const tenantId = newId('ten')
  const deptIds: Record<string, string> = {}
  const deptPaths: Record<string, string> = {}
  const userIds: Record<string, string> = {}
  const roleIds: Record<string, string> = {}
  for (const d of spec.departments) deptIds[d.key] = newId('dep')
  for (const p of spec.people) userIds[p.key] = newId('usr')
  for (const r of spec.roles) roleIds[r.key] = newId('rol')
  const pathOf = (key: string): string => {
    const cached = deptPaths[key]
    if (cached) return cached
    const d = spec.departments.find((x) => x.key === key)
    if (!d) throw new Error(`unknown department ${key}`)
    const path = `${d.parent ? pathOf(d.parent) : '/'}${deptIds[key]}/`
    deptPaths[key] = path
    return path
  }
  const req = (map: Record<string, string>, key: string): string => {
    const v = map[key]
    if (!v) throw new Error(`unknown key ${key}`)
    return v
  }

  await db.insert(tenants).values({
    id: tenantId,
    name: tenant.name,
    platform: tenant.platform,
    platformTenantKey: tenant.tenantKey,
  })
  await db.insert(departments).values(
    spec.departments.map((d, i) => ({
      id: req(deptIds, d.key),
      tenantId,
      name: d.name,
      parentId: d.parent ? req(deptIds, d.parent) : null,
      path: pathOf(d.key),
      leaderUserId: d.leader ? req(userIds, d.leader) : null,
      sortOrder: i,
      externalId: d.key,
    })),
  )
  if (spec.roles.length > 0)
    await db.insert(roles).values(
      spec.roles.map((r) => ({
        id: req(roleIds, r.key),
        tenantId,
        key: r.key,
        name: r.name,
        dataScope: r.scope,
        permissions: r.permissions ?? [],
      })),
    )
  await db.insert(users).values(
    spec.people.map((p) => ({
      id: req(userIds, p.key),
      tenantId,
      name: p.name,
      enName: p.enName ?? null,
      email: p.email ?? null,
      mobile: p.mobile ?? null,
      jobTitle: p.jobTitle ?? null,
      departmentId: req(deptIds, p.department),
      managerId: p.manager ? req(userIds, p.manager) : null,
    })),
  )
  await db.insert(userDepartments).values(
    spec.people.map((p) => ({
      tenantId,
      userId: req(userIds, p.key),
      departmentId: req(deptIds, p.department),
    })),
  )
  const grants = spec.people.flatMap((p) =>
    p.roles.map((r) => ({ tenantId, userId: req(userIds, p.key), roleId: req(roleIds, r) })),
  )
  if (grants.length > 0) await db.insert(userRoles).values(grants)
  if (tenant.platform === 'devchat') {
    await db.insert(userIdentities).values(
      spec.people.map((p) => ({
        id: newId('idn'),
        tenantId,
        userId: req(userIds, p.key),
        platform: 'devchat' as const,
        openId: p.key,
        platformUserId: p.key,
      })),
    )
  }
  return { tenantId, users: userIds, departments: deptIds, roles: roleIds }
}

export async function findTenantByKey(db: DbOrTx, platform: Platform, key: string) {
  const rows = await db.select().from(tenants).where(eq(tenants.platformTenantKey, key))
  return rows.find((t) => t.platform === platform) ?? null
}
