import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import { setTemplateActive } from '../../domain/approvals'
import { exportAuditCsv, listAudit } from '../../domain/audit'
import {
  createRole,
  createRoleSchema,
  getDirectoryStatus,
  getTenantSettings,
  grantRole,
  grantRoleBody,
  listAuditSchema,
  listDirectoryDepartments,
  listDirectoryPeople,
  listPeopleSchema,
  listRoleMembers,
  listRoles,
  PERMISSIONS,
  type Permission,
  requestDirectorySync,
  requirePermission,
  revokeRole,
  setTenantSettings,
  updateRole,
  updateRoleSchema,
} from '../../domain/org'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'
import { body, json, ok } from './openapi'

/** 403 naming the permission before anything else is looked at (bodies included). */
const needs = (permission: Permission) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await requirePermission(apiContext(c), permission)
    await next()
  })

const admin = (permission: Permission) => ({
  tags: ['admin'],
  security: [{ session: [] }],
  middleware: [requireSession, needs(permission)],
})

const PermissionName = z
  .enum(Object.keys(PERMISSIONS) as [Permission, ...Permission[]])
  .openapi('PermissionName', { description: 'A named permission (a role may also hold a family: `crm.*`)' })

const PermissionInfo = z
  .object({ name: PermissionName, zh: z.string(), en: z.string() })
  .openapi('PermissionInfo')

const TenantSettings = z
  .object({ timeZone: z.string().min(1).max(64).openapi({ example: 'Asia/Shanghai' }) })
  .openapi('TenantSettings')

const DirectoryStatus = z
  .object({
    platform: z.string(),
    lastSyncedAt: z.string().nullable(),
    lastStartedAt: z.string().nullable(),
    running: z.boolean(),
    people: z.number().int(),
    activePeople: z.number().int(),
    departments: z.number().int(),
  })
  .openapi('DirectoryStatus')

const Ref = z.object({ id: z.string(), name: z.string() })
const DirectoryPerson = z
  .object({
    id: z.string(),
    name: z.string(),
    enName: z.string().nullable(),
    email: z.string().nullable(),
    mobile: z.string().nullable(),
    jobTitle: z.string().nullable(),
    status: z.enum(['active', 'inactive']),
    departments: z.array(Ref),
    manager: Ref.nullable(),
    roles: z.array(z.object({ key: z.string(), name: z.string(), source: z.string() })),
    platforms: z.array(z.string()),
  })
  .openapi('DirectoryPerson')

interface DeptDto {
  id: string
  name: string
  parentId: string | null
  leader: { id: string; name: string } | null
  memberCount: number
  children: DeptDto[]
}
const AdminDepartment: z.ZodType<DeptDto> = z
  .lazy(() =>
    z.object({
      id: z.string(),
      name: z.string(),
      parentId: z.string().nullable(),
      leader: Ref.nullable(),
      memberCount: z.number().int(),
      children: z.array(AdminDepartment),
    }),
  )
  .openapi('DirectoryDepartment')

const Role = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    nameEn: z.string().nullable(),
    description: z.string().nullable(),
    dataScope: z.string(),
    permissions: z.array(z.string()),
    builtIn: z.boolean(),
    memberCount: z.number().int(),
    departmentCount: z.number().int(),
  })
  .openapi('Role')

const RoleMembers = z
  .object({
    people: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        status: z.string(),
        sources: z.array(z.string()).openapi({
          description: 'Why they hold it: manual, platform_admin, env, leader, department, everyone',
        }),
      }),
    ),
    departments: z.array(Ref),
  })
  .openapi('RoleMembers')

const AuditItem = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actorKind: z.string(),
    actor: Ref.nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    before: z.unknown(),
    after: z.unknown(),
    meta: z.unknown(),
  })
  .openapi('AuditItem')

const Revoked = z.object({ revoked: z.literal(true) })
const RoleIdParam = z.object({ roleId: z.string().min(1).max(100) })
const e = errorResponses

const routes = {
  permissions: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/permissions',
    summary: 'Every named permission a role may hold',
    responses: {
      200: json(z.object({ items: z.array(PermissionInfo) }), 'the catalogue'),
      401: e[401],
      403: e[403],
    },
  }),
  getSettings: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/settings',
    summary: 'Tenant settings: the time zone every time is shown in (default Asia/Shanghai)',
    responses: { 200: json(TenantSettings, 'settings'), 401: e[401], 403: e[403] },
  }),
  putSettings: createRoute({
    ...admin('org.admin'),
    method: 'put',
    path: '/admin/settings',
    summary: 'Set the tenant time zone (an IANA name such as Asia/Shanghai or Europe/Berlin); audited',
    request: body(TenantSettings),
    responses: { 200: json(TenantSettings, 'settings'), 400: e[400], 401: e[401], 403: e[403] },
  }),
  directory: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/directory',
    summary: 'Directory sync status: last sync time, counts',
    responses: { 200: json(DirectoryStatus, 'status'), 401: e[401], 403: e[403] },
  }),
  syncNow: createRoute({
    ...admin('org.admin'),
    method: 'post',
    path: '/admin/directory/sync',
    summary: 'Sync the directory now (also re-reads the platform admins and department leaders)',
    responses: {
      202: json(z.object({ queued: z.literal(true) }), 'queued'),
      400: e[400],
      401: e[401],
      403: e[403],
    },
  }),
  people: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/people',
    summary: 'People as synced from the platform (read-only), with roles and their sources',
    request: { query: listPeopleSchema },
    responses: {
      200: json(z.object({ items: z.array(DirectoryPerson), total: z.number().int() }), 'people'),
      400: e[400],
      401: e[401],
      403: e[403],
    },
  }),
  departments: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/departments',
    summary: 'Departments as synced from the platform (read-only)',
    responses: { 200: json(z.object({ items: z.array(AdminDepartment) }), 'tree'), 401: e[401], 403: e[403] },
  }),
  roles: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/roles',
    summary: 'Roles with data scope, permissions and member counts',
    responses: { 200: json(z.object({ items: z.array(Role) }), 'roles'), 401: e[401], 403: e[403] },
  }),
  createRole: createRoute({
    ...admin('org.admin'),
    method: 'post',
    path: '/admin/roles',
    summary: 'Create a role',
    request: body(createRoleSchema),
    responses: { 201: json(z.object({ id: z.string(), key: z.string() }), 'created'), ...e },
  }),
  updateRole: createRoute({
    ...admin('org.admin'),
    method: 'patch',
    path: '/admin/roles/{roleId}',
    summary: 'Edit a role: names, data scope, permissions',
    request: { params: RoleIdParam, ...body(updateRoleSchema.omit({ roleId: true })) },
    responses: { 200: json(z.object({ id: z.string() }), 'updated'), ...e },
  }),
  members: createRoute({
    ...admin('org.admin'),
    method: 'get',
    path: '/admin/roles/{roleId}/members',
    summary: 'Who holds a role (people with the reasons, and whole departments)',
    request: { params: RoleIdParam },
    responses: { 200: json(RoleMembers, 'members'), 401: e[401], 403: e[403], 404: e[404] },
  }),
  grant: createRoute({
    ...admin('org.admin'),
    method: 'post',
    path: '/admin/roles/{roleId}/members',
    summary: 'Grant a role to people and/or whole departments',
    request: { params: RoleIdParam, ...body(grantRoleBody) },
    responses: {
      200: json(z.object({ people: z.number().int(), departments: z.number().int() }), 'granted'),
      ...e,
    },
  }),
  revokeUser: createRoute({
    ...admin('org.admin'),
    method: 'delete',
    path: '/admin/roles/{roleId}/members/users/{userId}',
    summary: 'Revoke a role granted to a person (409 for the last admin or a platform-derived grant)',
    request: { params: RoleIdParam.extend({ userId: z.string().min(1).max(100) }) },
    responses: ok(Revoked, 'revoked'),
  }),
  revokeDepartment: createRoute({
    ...admin('org.admin'),
    method: 'delete',
    path: '/admin/roles/{roleId}/members/departments/{departmentId}',
    summary: 'Revoke a role granted to a whole department',
    request: { params: RoleIdParam.extend({ departmentId: z.string().min(1).max(100) }) },
    responses: ok(Revoked, 'revoked'),
  }),
  audit: createRoute({
    ...admin('audit.view'),
    method: 'get',
    path: '/admin/audit',
    summary: 'The audit log, newest first (filters: actorId, kind prefix, from/to; page with before)',
    request: { query: listAuditSchema },
    responses: {
      200: json(z.object({ items: z.array(AuditItem), nextBefore: z.number().int().nullable() }), 'entries'),
      400: e[400],
      401: e[401],
      403: e[403],
    },
  }),
  auditCsv: createRoute({
    ...admin('audit.view'),
    method: 'get',
    path: '/admin/audit/export',
    summary: 'The filtered audit log as CSV (formula-safe cells; the export is audited)',
    request: { query: listAuditSchema.omit({ limit: true, before: true }) },
    responses: {
      200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
      400: e[400],
      401: e[401],
      403: e[403],
    },
  }),
  disableTemplate: createRoute({
    ...admin('approvals.admin'),
    method: 'post',
    path: '/admin/approval-templates/{key}/disable',
    summary: 'Disable an approval template (running requests go on)',
    request: { params: z.object({ key: z.string().min(1).max(40) }) },
    responses: {
      200: json(z.object({ key: z.string(), active: z.boolean(), version: z.number().int() }), 'done'),
      401: e[401],
      403: e[403],
      404: e[404],
    },
  }),
  enableTemplate: createRoute({
    ...admin('approvals.admin'),
    method: 'post',
    path: '/admin/approval-templates/{key}/enable',
    summary: 'Enable an approval template again',
    request: { params: z.object({ key: z.string().min(1).max(40) }) },
    responses: {
      200: json(z.object({ key: z.string(), active: z.boolean(), version: z.number().int() }), 'done'),
      401: e[401],
      403: e[403],
      404: e[404],
    },
  }),
}

/** The admin console's API: every route needs a session and names the permission it needs on 403. */
export function adminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.openapi(routes.permissions, (c) =>
    c.json(
      {
        items: (Object.entries(PERMISSIONS) as Array<[Permission, { zh: string; en: string }]>).map(
          ([name, d]) => ({ name, zh: d.zh, en: d.en }),
        ),
      },
      200,
    ),
  )
  app.openapi(routes.getSettings, async (c) => c.json(await getTenantSettings({ ctx: apiContext(c) }), 200))
  app.openapi(routes.putSettings, async (c) =>
    c.json(await setTenantSettings({ ctx: apiContext(c), input: c.req.valid('json') }), 200),
  )
  app.openapi(routes.directory, async (c) => c.json(await getDirectoryStatus({ ctx: apiContext(c) }), 200))
  app.openapi(routes.syncNow, async (c) => c.json(await requestDirectorySync({ ctx: apiContext(c) }), 202))
  app.openapi(routes.people, async (c) =>
    c.json(await listDirectoryPeople({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )
  app.openapi(routes.departments, async (c) =>
    c.json({ items: await listDirectoryDepartments({ ctx: apiContext(c) }) }, 200),
  )
  app.openapi(routes.roles, async (c) => c.json({ items: await listRoles({ ctx: apiContext(c) }) }, 200))
  app.openapi(routes.createRole, async (c) =>
    c.json(await createRole({ ctx: apiContext(c), input: c.req.valid('json') }), 201),
  )
  app.openapi(routes.updateRole, async (c) =>
    c.json(
      await updateRole({ ctx: apiContext(c), input: { ...c.req.valid('json'), ...c.req.valid('param') } }),
      200,
    ),
  )
  app.openapi(routes.members, async (c) =>
    c.json(await listRoleMembers({ ctx: apiContext(c), input: c.req.valid('param') }), 200),
  )
  app.openapi(routes.grant, async (c) =>
    c.json(
      await grantRole({ ctx: apiContext(c), input: { ...c.req.valid('json'), ...c.req.valid('param') } }),
      200,
    ),
  )
  app.openapi(routes.revokeUser, async (c) =>
    c.json(await revokeRole({ ctx: apiContext(c), input: c.req.valid('param') }), 200),
  )
  app.openapi(routes.revokeDepartment, async (c) =>
    c.json(await revokeRole({ ctx: apiContext(c), input: c.req.valid('param') }), 200),
  )
  app.openapi(routes.audit, async (c) =>
    c.json(await listAudit({ ctx: apiContext(c), input: c.req.valid('query') }), 200),
  )
  app.openapi(routes.auditCsv, async (c) => {
    const { csv } = await exportAuditCsv({ ctx: apiContext(c), input: c.req.valid('query') })
    return c.body(csv, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="audit.csv"',
    })
  })
  app.openapi(routes.disableTemplate, async (c) =>
    c.json(
      await setTemplateActive({ ctx: apiContext(c), input: { ...c.req.valid('param'), active: false } }),
      200,
    ),
  )
  app.openapi(routes.enableTemplate, async (c) =>
    c.json(
      await setTemplateActive({ ctx: apiContext(c), input: { ...c.req.valid('param'), active: true } }),
      200,
    ),
  )
  return app
}
