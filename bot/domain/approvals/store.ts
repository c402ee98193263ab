import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import {
  approvalInstances,
  approvalTasks,
  approvalTemplates,
  approvalTemplateVersions,
  departments,
  roles,
  userDepartments,
  userRoles,
  users,
} from '../../../db/schema'
import { reusable } from '../../../db/statement'
import { resultRows } from '../../lib/sql-rows'
import type { ServiceContext } from '../context'
import { NotFoundError } from '../errors'
import { grants, namesGranting, requirePermission } from '../org/permissions'
import type { OrgSnapshot } from './engine/approvers'
import type { PublishOrg } from './engine/publish-check'
import {
  type FlowGraph,
  FlowGraphSchema,
  type FormField,
  FormFieldSchema,
  type PlanStep,
  type TemplateSettings,
  TemplateSettingsSchema,
} from './schemas'

export type InstanceRow = typeof approvalInstances.$inferSelect
export type TaskRow = typeof approvalTasks.$inferSelect

export interface TemplateVersion {
  templateId: string
  key: string
  name: string
  nameEn: string | null
  active: boolean
  /** The external system that owns the template (its requests start only through the signed API). */
  externalSystemId: string | null
  versionId: string
  version: number
  form: FormField[]
  flow: FlowGraph
  settings: TemplateSettings
}

const parseForm = (raw: unknown): FormField[] => FormFieldSchema.array().parse(raw)

/** Definitions are validated on write; parse caches per version id since versions never change. */
const versionCache = new Map<string, { form: FormField[]; flow: FlowGraph; settings: TemplateSettings }>()

function parsedVersion(id: string, row: { form: unknown; flow: unknown; settings: unknown }) {
  let v = versionCache.get(id)
  if (!v) {
    v = {
      form: parseForm(row.form),
      flow: FlowGraphSchema.parse(row.flow),
      settings: TemplateSettingsSchema.parse(row.settings ?? {}),
    }
    if (versionCache.size > 5000) versionCache.clear()
    versionCache.set(id, v)
  }
  return v
}

/** Pinned versions never change: cached by tenant, template and version (instances read them on every tap). */
const pinnedCache = new Map<string, TemplateVersion>()

/** A template's current version (or a given one), by key or id. */
export async function loadTemplateVersion(
  ctx: ServiceContext,
  ref: { key?: string; templateId?: string; version?: number },
): Promise<TemplateVersion> {
  const pinKey =
    ref.templateId && ref.version !== undefined ? `${ctx.tenantId}:${ref.templateId}:${ref.version}` : null
  const pinned = pinKey ? pinnedCache.get(pinKey) : undefined
  if (pinned) return pinned
  const [row] = await ctx.db
    .select({
      templateId: approvalTemplates.id,
      key: approvalTemplates.key,
      name: approvalTemplates.name,
      nameEn: approvalTemplates.nameEn,
      active: approvalTemplates.active,
      externalSystemId: approvalTemplates.externalSystemId,
      versionId: approvalTemplateVersions.id,
      version: approvalTemplateVersions.version,
      form: approvalTemplateVersions.form,
      flow: approvalTemplateVersions.flow,
      settings: approvalTemplateVersions.settings,
    })
    .from(approvalTemplates)
    .innerJoin(
      approvalTemplateVersions,
      and(
        eq(approvalTemplateVersions.templateId, approvalTemplates.id),
        ref.version !== undefined
          ? eq(approvalTemplateVersions.version, ref.version)
          : eq(approvalTemplateVersions.version, approvalTemplates.currentVersion),
      ),
    )
    .where(
      and(
        eq(approvalTemplates.tenantId, ctx.tenantId),
        ref.templateId ? eq(approvalTemplates.id, ref.templateId) : eq(approvalTemplates.key, ref.key ?? ''),
      ),
    )
  if (!row) throw new NotFoundError('approval template', ref.key ?? ref.templateId)
  const tv = { ...row, ...parsedVersion(row.versionId, row) }
  if (pinKey) {
    if (pinnedCache.size > 5000) pinnedCache.clear()
    pinnedCache.set(pinKey, tv)
  }
  return tv
}

/** The users, departments and role members approver resolution reads. */
export async function loadOrgSnapshot(ctx: ServiceContext): Promise<OrgSnapshot> {
  const [userRows, deptRows, roleRows] = await Promise.all([
    ctx.db
      .select({
        id: users.id,
        status: users.status,
        managerId: users.managerId,
        departmentId: users.departmentId,
      })
      .from(users)
      .where(eq(users.tenantId, ctx.tenantId)),
    ctx.db
      .select({ id: departments.id, parentId: departments.parentId, leaderUserId: departments.leaderUserId })
      .from(departments)
      .where(eq(departments.tenantId, ctx.tenantId)),
    ctx.db
      .select({ key: roles.key, userId: userRoles.userId })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .where(eq(userRoles.tenantId, ctx.tenantId))
      .orderBy(asc(userRoles.userId)),
  ])
  const roleMembers = new Map<string, string[]>()
  for (const r of roleRows) {
    // One person may hold a role for several reasons (granted by hand and as a department leader).
    const list = roleMembers.get(r.key) ?? []
    if (list[list.length - 1] !== r.userId) list.push(r.userId)
    roleMembers.set(r.key, list)
  }
  return {
    users: new Map(userRows.map((u) => [u.id, u])),
    departments: new Map(deptRows.map((d) => [d.id, d])),
    roleMembers,
  }
}

/** The org as a publish check reads it: the approver snapshot and every role key of the tenant. */
export async function loadPublishOrg(ctx: ServiceContext): Promise<PublishOrg> {
  const [snapshot, roleRows] = await Promise.all([
    loadOrgSnapshot(ctx),
    ctx.db.select({ key: roles.key }).from(roles).where(eq(roles.tenantId, ctx.tenantId)),
  ])
  return { ...snapshot, roleKeys: new Set(roleRows.map((r) => r.key)) }
}

/** The initiator's department paths and role keys, for conditions. */
export async function loadInitiator(ctx: ServiceContext, userId: string) {
  const [[user], deptRows, roleRows] = await Promise.all([
    ctx.db
      .select({ id: users.id, name: users.name, status: users.status, departmentId: users.departmentId })
      .from(users)
      .where(and(eq(users.tenantId, ctx.tenantId), eq(users.id, userId))),
    ctx.db
      .select({ path: departments.path })
      .from(userDepartments)
      .innerJoin(departments, eq(departments.id, userDepartments.departmentId))
      .where(and(eq(userDepartments.tenantId, ctx.tenantId), eq(userDepartments.userId, userId))),
    ctx.db
      .select({ key: roles.key })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(userRoles.userId, userId))),
  ])
  if (!user) throw new NotFoundError('user', userId)
  return {
    ...user,
    departmentPaths: deptRows.map((d) => d.path),
    roleKeys: [...new Set(roleRows.map((r) => r.key))],
  }
}

/** Approval admins: active holders of a role granting `approvals.admin` (`*`, `approvals.*` included). */
export async function loadAdminIds(ctx: ServiceContext): Promise<string[]> {
  const rows = await ctx.db
    .select({ userId: userRoles.userId, permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(users.status, 'active')))
    .orderBy(asc(users.createdAt), asc(users.id))
  return [...new Set(rows.filter((r) => grants(r.permissions, 'approvals.admin')).map((r) => r.userId))]
}

/**
 * Whether `userId` is an approval admin, as a condition: an active user holding a role that grants
 * `approvals.admin` (the rule of `loadAdminIds`, over this user's roles only), so a query can carry it
 * instead of a round trip before it.
 */
export function approvalAdminSql(tenantId: string, userId: string): SQL {
  const names = namesGranting('approvals.admin')
  return sql`exists (select 1 from ${userRoles} join ${roles} on ${roles.id} = ${userRoles.roleId}
    join ${users} on ${users.id} = ${userRoles.userId}
    where ${userRoles.tenantId} = ${tenantId} and ${userRoles.userId} = ${userId} and ${users.status} = 'active'
      and ${roles.permissions} ?| ${`{${names.map((n) => `"${n}"`).join(',')}}`}::text[])`
}

export async function isApprovalAdmin(ctx: ServiceContext, userId: string): Promise<boolean> {
  const [row] = resultRows<{ admin: boolean }>(
    await ctx.db.execute(sql`select ${approvalAdminSql(ctx.tenantId, userId)} as admin`),
  )
  return row?.admin === true
}

/** Throws 403 naming `approvals.admin` unless the actor holds it. */
export async function requireApprovalAdmin(ctx: ServiceContext): Promise<void> {
  await requirePermission(ctx, 'approvals.admin')
}

/** Locks the instance row for the rest of the transaction: every change of one instance is serialised. */
export async function lockInstance(ctx: ServiceContext, instanceId: string): Promise<InstanceRow> {
  const [row] = await ctx.db
    .select()
    .from(approvalInstances)
    .where(and(eq(approvalInstances.tenantId, ctx.tenantId), eq(approvalInstances.id, instanceId)))
    .for('update')
  if (!row) throw new NotFoundError('approval', instanceId)
  return row
}

/** Reads an instance without locking it. */
export async function loadInstance(ctx: ServiceContext, instanceId: string): Promise<InstanceRow> {
  const [row] = await ctx.db
    .select()
    .from(approvalInstances)
    .where(and(eq(approvalInstances.tenantId, ctx.tenantId), eq(approvalInstances.id, instanceId)))
  if (!row) throw new NotFoundError('approval', instanceId)
  return row
}

/** The id of the instance the task `taskId` (placeholder) belongs to, as a subquery. */
const instanceIdOfTask = (db: Parameters<Parameters<typeof reusable>[0]>[0]) =>
  db
    .select({ id: approvalTasks.instanceId })
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.tenantId, sql.placeholder('tenantId')),
        eq(approvalTasks.id, sql.placeholder('taskId')),
      ),
    )

/** The order tasks are read in: by round, step, sequence, creation. */
const taskOrder = [
  asc(approvalTasks.round),
  asc(approvalTasks.stepIndex),
  asc(approvalTasks.seq),
  asc(approvalTasks.createdAt),
]

/** The instance a task belongs to, locked for the rest of the transaction. */
const instanceOfTaskForUpdate = reusable((db) =>
  db
    .select()
    .from(approvalInstances)
    .where(
      and(
        eq(approvalInstances.tenantId, sql.placeholder('tenantId')),
        eq(approvalInstances.id, instanceIdOfTask(db)),
      ),
    )
    .for('update'),
)

export async function loadTask(ctx: ServiceContext, taskId: string): Promise<TaskRow> {
  const [row] = await ctx.db
    .select()
    .from(approvalTasks)
    .where(and(eq(approvalTasks.tenantId, ctx.tenantId), eq(approvalTasks.id, taskId)))
  if (!row) throw new NotFoundError('approval task', taskId)
  return row
}

const tasksOfInstance = reusable((db) =>
  db
    .select()
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.tenantId, sql.placeholder('tenantId')),
        eq(approvalTasks.instanceId, sql.placeholder('instanceId')),
      ),
    )
    .orderBy(...taskOrder),
)

export async function loadTasks(ctx: ServiceContext, instanceId: string): Promise<TaskRow[]> {
  return tasksOfInstance(ctx.db, { tenantId: ctx.tenantId, instanceId })
}

/** The tasks of the instance a task belongs to, in the order of {@link loadTasks}. */
const tasksOfInstanceOfTask = reusable((db) =>
  db
    .select()
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.tenantId, sql.placeholder('tenantId')),
        eq(approvalTasks.instanceId, instanceIdOfTask(db)),
      ),
    )
    .orderBy(...taskOrder),
)

/**
 * Locks the instance a task belongs to (or 404) and reads its tasks as {@link loadTasks} does, in one round
 * trip, inside a transaction: both statements are sent at once (the driver queues them on the transaction's
 * connection in the order given) and PostgreSQL runs them one after the other, so the tasks are read after
 * the lock is held and see every change committed before it. One statement could not do this: all of a
 * statement reads one snapshot, taken before its lock waits.
 */
export async function lockInstanceOfTaskWithTasks(
  ctx: ServiceContext,
  taskId: string,
): Promise<{ ins: InstanceRow; tasks: TaskRow[] }> {
  const values = { tenantId: ctx.tenantId, taskId }
  const [[ins], tasks] = await Promise.all([
    instanceOfTaskForUpdate(ctx.db, values),
    tasksOfInstanceOfTask(ctx.db, values),
  ])
  if (!ins) throw new NotFoundError('approval task', taskId)
  return { ins, tasks }
}

export const planOf = (ins: InstanceRow): PlanStep[] => ins.plan as PlanStep[]

export interface UserBrief {
  id: string
  name: string
  enName: string | null
  locale: 'zh-CN' | 'en'
  status: string
}

export async function loadUsers(ctx: ServiceContext, ids: Iterable<string>): Promise<Map<string, UserBrief>> {
  const list = [...new Set(ids)].filter(Boolean)
  if (list.length === 0) return new Map()
  const rows = await ctx.db
    .select({
      id: users.id,
      name: users.name,
      enName: users.enName,
      locale: users.locale,
      status: users.status,
    })
    .from(users)
    .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, list)))
  return new Map(
    rows.map((r) => [r.id, { ...r, locale: r.locale === 'en' ? ('en' as const) : ('zh-CN' as const) }]),
  )
}

export async function loadDepartmentNames(
  ctx: ServiceContext,
  ids: Iterable<string>,
): Promise<Map<string, string>> {
  const list = [...new Set(ids)].filter(Boolean)
  if (list.length === 0) return new Map()
  const rows = await ctx.db
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(and(eq(departments.tenantId, ctx.tenantId), inArray(departments.id, list)))
  return new Map(rows.map((r) => [r.id, r.name]))
}

/** Checks that user / department ids named by form fields exist in the tenant (and users are active). */
export async function checkReferences(
  ctx: ServiceContext,
  refs: Array<{ field: string; kind: 'user' | 'department'; id: string }>,
): Promise<string | null> {
  const userIds = refs.filter((r) => r.kind === 'user').map((r) => r.id)
  const deptIds = refs.filter((r) => r.kind === 'department').map((r) => r.id)
  const [u, d] = await Promise.all([
    loadUsers(ctx, userIds),
    deptIds.length
      ? ctx.db
          .select({ id: departments.id })
          .from(departments)
          .where(and(eq(departments.tenantId, ctx.tenantId), inArray(departments.id, deptIds)))
      : Promise.resolve([]),
  ])
  const depts = new Set(d.map((x) => x.id))
  for (const r of refs) {
    if (r.kind === 'user' && u.get(r.id)?.status !== 'active') return r.field
    if (r.kind === 'department' && !depts.has(r.id)) return r.field
  }
  return null
}
