import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { type DataScope, departments, roles, userDepartments, userRoles } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import type { ServiceContext } from '../context'

const RANK: Record<DataScope, number> = { self: 0, department: 1, department_tree: 2, all: 3 }

/** What one user may see: the widest scope among their roles, and their departments. */
export interface ActorScope {
  tenantId: string
  userId: string
  scope: DataScope
  departmentIds: string[]
  departmentPaths: string[]
}

/** The widest of several scopes (a user with two roles gets the wider one). */
export const widestScope = (scopes: DataScope[]): DataScope =>
  scopes.reduce<DataScope>((best, s) => (RANK[s] > RANK[best] ? s : best), 'self')

/** Loads the acting user's scope. System actors see everything in the tenant. */
export async function loadActorScope(ctx: ServiceContext): Promise<ActorScope> {
  if (ctx.actor.kind === 'system') {
    return { tenantId: ctx.tenantId, userId: '', scope: 'all', departmentIds: [], departmentPaths: [] }
  }
  const userId = ctx.actor.userId
  const [roleRows, deptRows] = await Promise.all([
    ctx.db
      .select({ scope: roles.dataScope })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(userRoles.userId, userId))),
    ctx.db
      .select({ id: departments.id, path: departments.path })
      .from(userDepartments)
      .innerJoin(departments, eq(departments.id, userDepartments.departmentId))
      .where(and(eq(userDepartments.tenantId, ctx.tenantId), eq(userDepartments.userId, userId))),
  ])
  return {
    tenantId: ctx.tenantId,
    userId,
    scope: widestScope(roleRows.map((r) => r.scope)),
    departmentIds: deptRows.map((d) => d.id),
    departmentPaths: deptRows.map((d) => d.path),
  }
}

/**
 * The SQL condition limiting rows by their owner column to what `scope` allows. Every CRM list, search,
 * report, card command and export goes through it. `alsoVisible` ORs in extra grants (e.g. collaborators).
 * Tenant filtering is separate and always required.
 */
export function scopeFilter(scope: ActorScope, ownerColumn: AnyPgColumn, alsoVisible?: SQL): SQL {
  const base = ownerCondition(scope, ownerColumn)
  return alsoVisible ? (or(base, alsoVisible) ?? base) : base
}

/**
 * The people of the caller's departments (with their sub-departments for `department_tree`) as a
 * sub-select of user ids; null when the scope is all, self, or the caller has no department.
 */
export function scopeMembers(scope: ActorScope): SQL | null {
  if (scope.scope === 'department' && scope.departmentIds.length > 0)
    return sql`(select ${userDepartments.userId} from ${userDepartments}
         where ${userDepartments.tenantId} = ${scope.tenantId}
           and ${inArray(userDepartments.departmentId, scope.departmentIds)})`
  if (scope.scope === 'department_tree' && scope.departmentPaths.length > 0) {
    const prefixes = or(
      ...scope.departmentPaths.map((p) => sql`${departments.path} like ${`${escapeLike(p)}%`}`),
    )
    return sql`(select ${userDepartments.userId} from ${userDepartments}
         inner join ${departments} on ${departments.id} = ${userDepartments.departmentId}
         where ${userDepartments.tenantId} = ${scope.tenantId} and (${prefixes}))`
  }
  return null
}

function ownerCondition(scope: ActorScope, owner: AnyPgColumn): SQL {
  if (scope.scope === 'all') return sql`true`
  const members = scopeMembers(scope)
  return members ? (or(eq(owner, scope.userId), inArray(owner, members)) as SQL) : eq(owner, scope.userId)
}
