import { relations, sql } from 'drizzle-orm'
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { createdAt, id, tenantId, updatedAt } from './_columns'

export const platformEnum = pgEnum('platform', ['feishu', 'dingtalk', 'devchat'])
export type Platform = (typeof platformEnum.enumValues)[number]

/** Data scope of a role: which owners' records its holders may see. */
export const dataScopeEnum = pgEnum('data_scope', ['self', 'department', 'department_tree', 'all'])
export type DataScope = (typeof dataScopeEnum.enumValues)[number]

export const tenants = pgTable(
  'tenants',
  {
    id: id(),
    name: text().notNull(),
    platform: platformEnum().notNull(),
    /** Feishu tenant_key, DingTalk corpId, or a devchat slug. */
    platformTenantKey: text().notNull(),
    settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('tenants_platform_key_uq').on(t.platform, t.platformTenantKey)],
)

export const departments = pgTable(
  'departments',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    parentId: text(),
    /** Materialised path of ids, `/root/child/self/`, so "this department and below" is one prefix match. */
    path: text().notNull(),
    leaderUserId: text(),
    sortOrder: integer().notNull().default(0),
    /** The platform's own id (Feishu open_department_id, DingTalk dept_id). */
    externalId: text(),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('departments_tenant_parent_idx').on(t.tenantId, t.parentId),
    index('departments_tenant_path_idx').on(t.tenantId, t.path),
    uniqueIndex('departments_tenant_external_uq').on(t.tenantId, t.externalId),
  ],
)

export const users = pgTable(
  'users',
  {
    id: id(),
    tenantId: tenantId(),
    name: text().notNull(),
    enName: text(),
    email: text(),
    mobile: text(),
    avatarUrl: text(),
    jobTitle: text(),
    /** Primary department; all memberships are in user_departments. */
    departmentId: text(),
    /** Direct manager (Feishu leader_user_id, DingTalk manager). */
    managerId: text(),
    locale: text().notNull().default('zh-CN'),
    /** The person's own IANA time zone (Feishu contact `time_zone`); unset: the tenant's. */
    timeZone: text(),
    /**
     * What the person chose in the mini-app, which directory syncs never touch: an IANA zone, `company`
     * (the tenant's, whatever the directory says), or unset (the directory's zone, else the tenant's).
     */
    timeZoneChoice: text(),
    status: text({ enum: ['active', 'inactive'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('users_tenant_department_idx').on(t.tenantId, t.departmentId),
    index('users_tenant_manager_idx').on(t.tenantId, t.managerId),
  ],
)

/** Value of `users.time_zone_choice` for "follow the company": the tenant's zone, whatever the directory says (spelled out in `ownTimeZone`). */
export const FOLLOW_COMPANY_ZONE = 'company'

/**
 * The person's own zone, or null when the tenant's applies: their choice in the mini-app, else the
 * directory's. Read this, not `time_zone`, wherever a person's times are shown (check it with `knownZone`).
 */
export const ownTimeZone = sql<
  string | null
>`case when ${users.timeZoneChoice} = 'company' then null else coalesce(${users.timeZoneChoice}, ${users.timeZone}) end`

export const userDepartments = pgTable(
  'user_departments',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    departmentId: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.departmentId] }),
    index('user_departments_tenant_dept_idx').on(t.tenantId, t.departmentId),
  ],
)

/** One row per platform account of a user: Feishu open_id/union_id/user_id, DingTalk userid/unionid. */
export const userIdentities = pgTable(
  'user_identities',
  {
    id: id(),
    tenantId: tenantId(),
    userId: text().notNull(),
    platform: platformEnum().notNull(),
    openId: text(),
    unionId: text(),
    platformUserId: text(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('user_identities_open_uq').on(t.tenantId, t.platform, t.openId),
    uniqueIndex('user_identities_platform_user_uq').on(t.tenantId, t.platform, t.platformUserId),
    index('user_identities_user_idx').on(t.userId),
  ],
)

export const roles = pgTable(
  'roles',
  {
    id: id(),
    tenantId: tenantId(),
    key: text().notNull(),
    name: text().notNull(),
    nameEn: text(),
    description: text(),
    dataScope: dataScopeEnum().notNull().default('self'),
    permissions: jsonb().$type<string[]>().notNull().default([]),
    /** One of the roles every tenant starts with (its key cannot change; it cannot be deleted). */
    builtIn: boolean().notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('roles_tenant_key_uq').on(t.tenantId, t.key)],
)

/**
 * Why someone holds a role. A directory sync recomputes every source but `manual`, so it never takes away
 * what an admin granted by hand: `platform_admin` (the platform's app administrators), `env` (the
 * FLOWCARD_ADMINS bootstrap list), `leader` (department leaders), `department` (members of a department
 * granted the role as a whole), `everyone` (the role every active person holds).
 */
export const GRANT_SOURCES = ['manual', 'platform_admin', 'env', 'leader', 'department', 'everyone'] as const
export type GrantSource = (typeof GRANT_SOURCES)[number]

export const userRoles = pgTable(
  'user_roles',
  {
    tenantId: tenantId(),
    userId: text().notNull(),
    roleId: text().notNull(),
    source: text({ enum: GRANT_SOURCES }).notNull().default('manual'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.roleId, t.source] }),
    index('user_roles_tenant_idx').on(t.tenantId),
    index('user_roles_tenant_role_idx').on(t.tenantId, t.roleId),
  ],
)

/** A whole department (and every department below it) granted a role; members hold it with source `department`. */
export const roleDepartments = pgTable(
  'role_departments',
  {
    tenantId: tenantId(),
    roleId: text().notNull(),
    departmentId: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.roleId, t.departmentId] }),
    index('role_departments_tenant_idx').on(t.tenantId),
  ],
)

export const tenantsRelations = relations(tenants, ({ many }) => ({
  departments: many(departments),
  users: many(users),
}))

export const departmentsRelations = relations(departments, ({ one, many }) => ({
  tenant: one(tenants, { fields: [departments.tenantId], references: [tenants.id] }),
  parent: one(departments, {
    fields: [departments.parentId],
    references: [departments.id],
    relationName: 'tree',
  }),
  children: many(departments, { relationName: 'tree' }),
  members: many(userDepartments),
}))

export const usersRelations = relations(users, ({ one, many }) => ({
  tenant: one(tenants, { fields: [users.tenantId], references: [tenants.id] }),
  department: one(departments, { fields: [users.departmentId], references: [departments.id] }),
  manager: one(users, { fields: [users.managerId], references: [users.id], relationName: 'manager' }),
  identities: many(userIdentities),
  roles: many(userRoles),
  departments: many(userDepartments),
}))

export const userDepartmentsRelations = relations(userDepartments, ({ one }) => ({
  user: one(users, { fields: [userDepartments.userId], references: [users.id] }),
  department: one(departments, { fields: [userDepartments.departmentId], references: [departments.id] }),
}))

export const userIdentitiesRelations = relations(userIdentities, ({ one }) => ({
  user: one(users, { fields: [userIdentities.userId], references: [users.id] }),
}))

export const userRolesRelations = relations(userRoles, ({ one }) => ({
  user: one(users, { fields: [userRoles.userId], references: [users.id] }),
  role: one(roles, { fields: [userRoles.roleId], references: [roles.id] }),
}))
