import { and, asc, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm'
import { departments, roles, userDepartments, userIdentities, userRoles, users } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'
import { type ListPeopleInput, listPeopleSchema, parseInput } from './admin-schemas'
import { requirePermission } from './permissions'

export interface DirectoryPerson {
  id: string
  name: string
  enName: string | null
  email: string | null
  mobile: string | null
  jobTitle: string | null
  status: 'active' | 'inactive'
  departments: Array<{ id: string; name: string }>
  manager: { id: string; name: string } | null
  roles: Array<{ key: string; name: string; source: string }>
  platforms: string[]
}

/**
 * People as the directory sync recorded them, with departments, manager, roles and why they hold each
 * role, for the admin console (read-only: the platform is the source of truth). Needs `org.admin`.
 */
export async function listDirectoryPeople({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ListPeopleInput
}): Promise<{ items: DirectoryPerson[]; total: number }> {
  await requirePermission(ctx, 'org.admin')
  const q = parseInput(listPeopleSchema, input)
  const conds: SQL[] = [eq(users.tenantId, ctx.tenantId)]
  if (q.status !== 'all') conds.push(eq(users.status, q.status))
  if (q.q) {
    const like = `%${escapeLike(q.q)}%`
    conds.push(
      or(
        ilike(users.name, like),
        ilike(users.enName, like),
        ilike(users.email, like),
        ilike(users.jobTitle, like),
      ) as SQL,
    )
  }
  if (q.ids) conds.push(inArray(users.id, q.ids.split(',')))
  if (q.departmentId)
    conds.push(
      inArray(
        users.id,
        sql`(select ${userDepartments.userId} from ${userDepartments} where ${userDepartments.tenantId} = ${ctx.tenantId} and ${userDepartments.departmentId} = ${q.departmentId})`,
      ),
    )
  const where = and(...conds)
  const [rows, [total]] = await Promise.all([
    ctx.db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.name), asc(users.id))
      .limit(q.limit)
      .offset(q.offset),
    ctx.db.select({ n: sql<number>`count(*)::int` }).from(users).where(where),
  ])
  const ids = rows.map((r) => r.id)
  const managerIds = rows.map((r) => r.managerId).filter((x): x is string => !!x)
  const [depts, grants, idents, managers] = ids.length
    ? await Promise.all([
        ctx.db
          .select({ userId: userDepartments.userId, id: departments.id, name: departments.name })
          .from(userDepartments)
          .innerJoin(departments, eq(departments.id, userDepartments.departmentId))
          .where(and(eq(userDepartments.tenantId, ctx.tenantId), inArray(userDepartments.userId, ids))),
        ctx.db
          .select({ userId: userRoles.userId, key: roles.key, name: roles.name, source: userRoles.source })
          .from(userRoles)
          .innerJoin(roles, eq(roles.id, userRoles.roleId))
          .where(and(eq(userRoles.tenantId, ctx.tenantId), inArray(userRoles.userId, ids))),
        ctx.db
          .select({ userId: userIdentities.userId, platform: userIdentities.platform })
          .from(userIdentities)
          .where(and(eq(userIdentities.tenantId, ctx.tenantId), inArray(userIdentities.userId, ids))),
        managerIds.length
          ? ctx.db
              .select({ id: users.id, name: users.name })
              .from(users)
              .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, managerIds)))
          : Promise.resolve([]),
      ])
    : [[], [], [], []]
  const managerName = new Map(managers.map((m) => [m.id, m.name]))
  return {
    total: total?.n ?? 0,
    items: rows.map((u) => ({
      id: u.id,
      name: u.name,
      enName: u.enName,
      email: u.email,
      mobile: u.mobile,
      jobTitle: u.jobTitle,
      status: u.status,
      departments: depts.filter((d) => d.userId === u.id).map((d) => ({ id: d.id, name: d.name })),
      manager: u.managerId ? { id: u.managerId, name: managerName.get(u.managerId) ?? '' } : null,
      roles: grants
        .filter((g) => g.userId === u.id)
        .map((g) => ({ key: g.key, name: g.name, source: g.source })),
      platforms: [...new Set(idents.filter((i) => i.userId === u.id).map((i) => i.platform))],
    })),
  }
}
