import { eq, inArray, or, type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { type DataScope, departments, userDepartments } from '../../../db/schema'
import { escapeLike } from '../../lib/sql-like'
import { resultRows } from '../../lib/sql-rows'
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

/** A user's roles (data scope and permissions of each) and departments, as one statement reads them. */
export interface UserRoles {
  roles: Array<{ scope: DataScope; permissions: string[] }>
  departments: Array<{ id: string; path: string }>
}

/**
 * The user's roles and departments in one statement: every CRM and service call pays this round trip
 * first, and a caller needing both accesses (the customer card) derives them from one read.
 */
export async function loadUserRoles(ctx: ServiceContext, userId: string): Promise<UserRoles> {
  const [row] = resultRows<UserRoles>(
    await ctx.db.execute(sql`
      select
        coalesce((select json_agg(json_build_object('scope', r.data_scope, 'permissions', r.permissions))
                  from user_roles ur join roles r on r.id = ur.role_id
                  where ur.tenant_id = ${ctx.tenantId} and ur.user_id = ${userId}), '[]') as roles,
        coalesce((select json_agg(json_build_object('id', d.id, 'path', d.path))
                  from user_departments ud join departments d on d.id = ud.department_id
                  where ud.tenant_id = ${ctx.tenantId} and ud.user_id = ${userId}), '[]') as departments`),
  )
  return { roles: row?.roles ?? [], departments: row?.departments ?? [] }
}

/** The scope those roles and departments give the user. */
export function scopeOfRoles(ctx: ServiceContext, userId: string, r: UserRoles): ActorScope {
  return {
    tenantId: ctx.tenantId,
    userId,
    scope: widestScope(r.roles.map((x) => x.scope)),
    departmentIds: r.departments.map((d) => d.id),
    departmentPaths: r.departments.map((d) => d.path),
  }
}

/** Loads the acting user's scope. System actors see everything in the tenant. */
export async function loadActorScope(ctx: ServiceContext): Promise<ActorScope> {
  if (ctx.actor.kind === 'system') {
    return { tenantId: ctx.tenantId, userId: '', scope: 'all', departmentIds: [], departmentPaths: [] }
  }
  const userId = ctx.actor.userId
  return scopeOfRoles(ctx, userId, await loadUserRoles(ctx, userId))
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
