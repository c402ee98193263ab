import { and, eq } from 'drizzle-orm'
import { roles, userRoles } from '../../../db/schema'
import type { ServiceContext } from '../context'
import { ForbiddenError } from '../errors'

/**
 * Every named permission a role may grant, with what it allows. Roles store these names (or `*` for all,
 * or `<family>.*` for a family); checks go through `hasPermission` / `requirePermission` only, so the list
 * here is the whole truth and is what the admin console and the OpenAPI document show.
 */
export const PERMISSIONS = {
  '*': { zh: '全部权限', en: 'Everything' },
  'approvals.admin': {
    zh: '管理审批模板、外部系统与统计',
    en: 'Manage approval templates, systems, statistics',
  },
  'notices.publish': { zh: '发布公告与新闻', en: 'Publish notices and news' },
  'crm.manage': { zh: '管理客户、公海与 CRM 规则', en: 'Manage customers, the pool and CRM rules' },
  'crm.leads.manage': { zh: '管理线索、渠道与分配规则', en: 'Manage leads, channels and assignment' },
  'crm.sales.manage': {
    zh: '管理商机阶段、合同、回款与产品',
    en: 'Manage stages, contracts, payments, products',
  },
  'crm.export': { zh: '导出 CRM 数据', en: 'Export CRM data' },
  'reports.view.team': { zh: '查看团队报表', en: 'View team reports' },
  'reports.targets.manage': { zh: '设置业绩目标', en: 'Set sales targets' },
  'service.manage': { zh: '管理售后工单与派单', en: 'Manage service tickets and dispatch' },
  'org.admin': { zh: '管理角色、成员与通讯录同步', en: 'Manage roles, members and directory sync' },
  'audit.view': { zh: '查看审计日志', en: 'View the audit log' },
} as const satisfies Record<string, { zh: string; en: string }>

export type Permission = keyof typeof PERMISSIONS

/** Whether a set of granted names covers `permission` (`*` = all; `crm.*` covers `crm.leads.manage`). */
export function grants(granted: readonly string[], permission: Permission): boolean {
  if (granted.includes('*') || granted.includes(permission)) return true
  const parts = permission.split('.')
  for (let i = parts.length - 1; i > 0; i--) {
    if (granted.includes(`${parts.slice(0, i).join('.')}.*`)) return true
  }
  return false
}

/** The granted names that cover `permission` (`*`, the name, and each `prefix.*`): `grants` in SQL. */
export function namesGranting(permission: Permission): string[] {
  const parts = permission.split('.')
  const names = ['*', permission]
  for (let i = parts.length - 1; i > 0; i--) names.push(`${parts.slice(0, i).join('.')}.*`)
  return names
}

/** Every permission name the acting user holds through their roles (system actors hold `*`). */
export async function loadPermissions(ctx: ServiceContext): Promise<string[]> {
  if (ctx.actor.kind === 'system') return ['*']
  const rows = await ctx.db
    .select({ permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(userRoles.tenantId, ctx.tenantId), eq(userRoles.userId, ctx.actor.userId)))
  return rows.flatMap((r) => r.permissions)
}

/** Whether the acting user holds `permission` through a role. */
export async function hasPermission(ctx: ServiceContext, permission: Permission): Promise<boolean> {
  return grants(await loadPermissions(ctx), permission)
}

/** Throws 403 naming the permission when the acting user does not hold it. */
export async function requirePermission(ctx: ServiceContext, permission: Permission): Promise<void> {
  if (!(await hasPermission(ctx, permission)))
    throw new ForbiddenError(`this needs the ${permission} permission`)
}
