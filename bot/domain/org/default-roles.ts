import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../../../db/client'
import { type DataScope, roles } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { Permission } from './permissions'

export interface DefaultRole {
  key: string
  name: string
  nameEn: string
  description: string
  dataScope: DataScope
  permissions: Permission[]
}

/** Keys the code relies on: the all-permissions role, the leaders' role and the everyone role. */
export const ADMIN_ROLE = 'admin'
export const LEADER_ROLE = 'dept_head'
export const EVERYONE_ROLE = 'employee'

/**
 * The roles every tenant starts with. 管理员 holds everything; 部门负责人 is given to department leaders
 * by every directory sync; 员工 is held by every active person; the others are granted by admins.
 * 人事 and 财务 exist so the default approval flows have someone to copy (CC) and to approve money.
 */
export const DEFAULT_ROLES: readonly DefaultRole[] = [
  {
    key: ADMIN_ROLE,
    name: '管理员',
    nameEn: 'Administrator',
    description: '全部权限，可见全部数据',
    dataScope: 'all',
    permissions: ['*'],
  },
  {
    key: LEADER_ROLE,
    name: '部门负责人',
    nameEn: 'Department head',
    description: '通讯录中的部门负责人，自动授予；可见本部门及下级部门的数据',
    dataScope: 'department_tree',
    permissions: ['reports.view.team'],
  },
  {
    key: 'sales_manager',
    name: '销售经理',
    nameEn: 'Sales manager',
    description: '管理客户、公海与商机，查看团队报表',
    dataScope: 'department_tree',
    permissions: ['crm.manage', 'crm.sales.manage', 'crm.export', 'reports.view.team'],
  },
  {
    key: 'sales',
    name: '销售',
    nameEn: 'Sales',
    description: '只看自己的客户与商机',
    dataScope: 'self',
    permissions: [],
  },
  {
    key: 'marketing',
    name: '市场',
    nameEn: 'Marketing',
    description: '管理线索、渠道与分配规则',
    dataScope: 'department',
    permissions: ['crm.leads.manage'],
  },
  {
    key: 'service_manager',
    name: '客服经理',
    nameEn: 'Service manager',
    description: '派单、管理售后工单与服务设置，可见本部门及下级部门的工单',
    dataScope: 'department_tree',
    permissions: ['service.manage', 'reports.view.team'],
  },
  {
    key: 'service_agent',
    name: '客服',
    nameEn: 'Service agent',
    description: '处理分配给自己的售后工单',
    dataScope: 'self',
    permissions: [],
  },
  {
    key: 'approval_admin',
    name: '审批管理员',
    nameEn: 'Approval admin',
    description: '管理审批模板、外部系统与审批统计',
    dataScope: 'self',
    permissions: ['approvals.admin'],
  },
  {
    key: 'notice_publisher',
    name: '公告发布者',
    nameEn: 'Notice publisher',
    description: '发布公告与新闻',
    dataScope: 'self',
    permissions: ['notices.publish'],
  },
  {
    key: 'hr',
    name: '人事',
    nameEn: 'HR',
    description: '请假、加班、出差等审批的抄送对象',
    dataScope: 'self',
    permissions: [],
  },
  {
    key: 'finance',
    name: '财务',
    nameEn: 'Finance',
    description: '报销、付款等审批的财务审批人',
    dataScope: 'self',
    permissions: [],
  },
  {
    key: EVERYONE_ROLE,
    name: '员工',
    nameEn: 'Employee',
    description: '所有在职员工自动拥有',
    dataScope: 'self',
    permissions: [],
  },
]

/** Creates the default roles a tenant lacks (an existing role of the same key is left as the admin set it). */
export async function installDefaultRoles(db: DbOrTx, tenantId: string): Promise<void> {
  await db
    .insert(roles)
    .values(
      DEFAULT_ROLES.map((r) => ({
        id: newId('rol'),
        tenantId,
        key: r.key,
        name: r.name,
        nameEn: r.nameEn,
        description: r.description,
        dataScope: r.dataScope,
        permissions: [...r.permissions],
        builtIn: true,
      })),
    )
    .onConflictDoUpdate({
      target: [roles.tenantId, roles.key],
      set: { builtIn: sql`true` },
    })
}
