import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm'
import type { NoticeAudienceSpec } from '../../../../db/schema'
import { chats, departments, users } from '../../../../db/schema'
import { escapeLike } from '../../../lib/sql-like'
import type { ServiceContext } from '../../context'
import { ForbiddenError, InvalidInputError } from '../../errors'
import { type ActorScope, loadActorScope, scopeFilter } from '../../org/data-scope'

const isEmpty = (a: NoticeAudienceSpec): boolean =>
  !a.everyone && !a.departments?.length && !a.users?.length && !a.chats?.length

/**
 * Checks an audience against the org and the publisher's data scope: unknown departments, users or chats
 * are 400 naming the entry; anything outside the scope is 403 (everyone needs scope "all").
 */
export async function checkAudience(ctx: ServiceContext, audience: NoticeAudienceSpec): Promise<ActorScope> {
  if (isEmpty(audience)) throw new InvalidInputError('audience', 'choose who receives the notice')
  const scope = await loadActorScope(ctx)
  if (audience.everyone && scope.scope !== 'all')
    throw new ForbiddenError('audience.everyone: your data scope does not cover the whole company')

  const depts = audience.departments ?? []
  if (depts.length > 0) {
    const ids = [...new Set(depts.map((d) => d.id))]
    const rows = await ctx.db
      .select({ id: departments.id, path: departments.path })
      .from(departments)
      .where(
        and(
          eq(departments.tenantId, ctx.tenantId),
          eq(departments.active, true),
          inArray(departments.id, ids),
        ),
      )
    const byId = new Map(rows.map((r) => [r.id, r.path]))
    for (const [i, d] of depts.entries()) {
      const path = byId.get(d.id)
      if (!path) throw new InvalidInputError(`audience.departments.${i}.id`, `unknown department ${d.id}`)
      if (!(await departmentInScope(ctx, scope, d.id, path, d.includeSubDepartments)))
        throw new ForbiddenError(`audience.departments.${i}: department ${d.id} is outside your data scope`)
    }
  }

  const userIds = [...new Set(audience.users ?? [])]
  if (userIds.length > 0) {
    const known = await ctx.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.tenantId, ctx.tenantId), eq(users.status, 'active'), inArray(users.id, userIds)))
    const knownSet = new Set(known.map((u) => u.id))
    const missing = (audience.users ?? []).findIndex((u) => !knownSet.has(u))
    if (missing >= 0)
      throw new InvalidInputError(
        `audience.users.${missing}`,
        `unknown or inactive user ${audience.users?.[missing]}`,
      )
    if (scope.scope !== 'all') {
      const visible = await ctx.db
        .select({ id: users.id })
        .from(users)
        .where(
          and(eq(users.tenantId, ctx.tenantId), inArray(users.id, userIds), scopeFilter(scope, users.id)),
        )
      const visibleSet = new Set(visible.map((u) => u.id))
      const outside = (audience.users ?? []).findIndex((u) => !visibleSet.has(u))
      if (outside >= 0)
        throw new ForbiddenError(
          `audience.users.${outside}: user ${audience.users?.[outside]} is outside your data scope`,
        )
    }
  }

  const chatIds = [...new Set(audience.chats ?? [])]
  if (chatIds.length > 0) {
    const rows = await ctx.db
      .select({ id: chats.id, platformChatId: chats.platformChatId, members: chats.memberUserIds })
      .from(chats)
      .where(
        and(
          eq(chats.tenantId, ctx.tenantId),
          or(inArray(chats.id, chatIds), inArray(chats.platformChatId, chatIds)),
        ),
      )
    for (const [i, c] of (audience.chats ?? []).entries()) {
      const row = rows.find((r) => r.id === c || r.platformChatId === c)
      if (!row) throw new InvalidInputError(`audience.chats.${i}`, `unknown chat ${c}`)
      if (scope.scope !== 'all' && !row.members.includes(scope.userId))
        throw new ForbiddenError(`audience.chats.${i}: you are not a member of chat ${c}`)
    }
  }
  return scope
}

async function departmentInScope(
  ctx: ServiceContext,
  scope: ActorScope,
  id: string,
  path: string,
  includeSub: boolean,
): Promise<boolean> {
  switch (scope.scope) {
    case 'all':
      return true
    case 'self':
      return false
    case 'department_tree':
      return scope.departmentPaths.some((p) => path.startsWith(p))
    case 'department': {
      if (!scope.departmentIds.includes(id)) return false
      if (!includeSub) return true
      // "and below" is only within scope when there is nothing below.
      const [row] = await ctx.db
        .select({ n: sql<number>`count(*)::int` })
        .from(departments)
        .where(
          and(
            eq(departments.tenantId, ctx.tenantId),
            sql`${departments.path} like ${`${escapeLike(path)}%`}`,
            sql`${departments.id} <> ${id}`,
          ),
        )
      return (row?.n ?? 0) === 0
    }
  }
}

/**
 * Freezes the audience into recipient rows with one set-based INSERT … SELECT resolved in SQL (active
 * users by id, by department membership with or without the subtree via `departments.path`, everyone, and
 * group chats), and returns how many recipients it froze. No per-recipient round trips: 10,000 people are
 * one statement.
 */
export async function freezeAudience(
  ctx: ServiceContext,
  noticeId: string,
  audience: NoticeAudienceSpec,
): Promise<number> {
  const t = ctx.tenantId
  const depts = audience.departments ?? []
  const exact = depts.filter((d) => !d.includeSubDepartments).map((d) => d.id)
  const treeIds = depts.filter((d) => d.includeSubDepartments).map((d) => d.id)
  const userIds = audience.users ?? []
  const chatIds = audience.chats ?? []
  const textArray = (xs: string[]) =>
    sql`${`{${xs.map((x) => `"${x.replace(/["\\]/g, '')}"`).join(',')}}`}::text[]`
  // Only the parts the audience uses, so the planner gets a plain join (no per-row OR of sub-plans).
  const userParts: SQL[] = []
  if (userIds.length > 0) userParts.push(sql`u.id = any(${textArray(userIds)})`)
  if (exact.length > 0 || treeIds.length > 0) {
    // Members of the (small, materialised) set of audience departments: a hashed semi-join, not a per-user
    // sub-plan (that form took minutes for 10,000 people).
    userParts.push(sql`u.id in (
      select ud.user_id from user_departments ud
      where ud.tenant_id = ${t} and ud.department_id in (select id from audience_depts))`)
  }
  const userFilter = audience.everyone
    ? sql`true`
    : userParts.length > 0
      ? sql`(${sql.join(userParts, sql` or `)})`
      : sql`false`
  // No ON CONFLICT: each part yields distinct targets, and only a draft or scheduled notice gets here.
  const rows = await ctx.db.execute(sql`
    with tree as (
      select d.path from departments d
      where d.tenant_id = ${t} and d.id = any(${textArray(treeIds)})
    ), audience_depts as materialized (
      select d.id from departments d
      where d.tenant_id = ${t} and (
        d.id = any(${textArray(exact)})
        or exists (select 1 from tree where d.path like replace(replace(tree.path, '\\', '\\\\'), '_', '\\_') || '%')
      )
    ), ins as (
      insert into notice_recipients (tenant_id, notice_id, target, kind, user_id, chat_id, department_id, status)
      select ${t}, ${noticeId}, u.id, 'user', u.id, null, u.department_id, 'pending'
      from users u
      where u.tenant_id = ${t} and u.status = 'active' and ${userFilter}
      union all
      select ${t}, ${noticeId}, 'chat:' || c.platform_chat_id, 'chat', null, c.platform_chat_id, null, 'pending'
      from chats c
      where ${chatIds.length > 0 ? sql`c.tenant_id = ${t} and (c.id = any(${textArray(chatIds)}) or c.platform_chat_id = any(${textArray(chatIds)}))` : sql`false`}
      returning 1
    )
    select count(*)::int as n from ins`)
  const list = Array.isArray(rows) ? rows : ((rows as { rows?: unknown[] }).rows ?? [])
  const n = Number((list[0] as { n?: number } | undefined)?.n ?? 0)
  if (n === 0) throw new InvalidInputError('audience', 'the audience has no active members')
  return n
}
