import type { Db, DbOrTx } from '../client'
import { seedApprovalTemplates } from './approvals'
import { seedCrm } from './crm'
import { seedDevchatChats } from './devchat'
import { seedLeads } from './leads'
import { seedNotices } from './notices'
import { findTenantByKey, type OrgSpec, type SeededOrg, seedOrg } from './org'
import { seedSales } from './sales'

/** The demo company of `npm start`: 20 people, four departments (sales has two teams), managers, roles. */
export const demoOrg: OrgSpec = {
  roles: [
    { key: 'admin', name: '系统管理员', scope: 'all', permissions: ['*'] },
    {
      key: 'sales_manager',
      name: '销售经理',
      scope: 'department_tree',
      permissions: ['crm.*', 'reports.view.team'],
    },
    { key: 'sales', name: '销售', scope: 'self', permissions: [] },
    {
      key: 'marketing',
      name: '市场',
      scope: 'department',
      permissions: ['crm.leads.manage', 'notices.publish'],
    },
    { key: 'finance', name: '财务', scope: 'all', permissions: [] },
    { key: 'hr', name: '人事行政', scope: 'department_tree', permissions: ['notices.publish'] },
    { key: 'employee', name: '员工', scope: 'self', permissions: [] },
  ],
  departments: [
    { key: 'root', name: '云帆科技', leader: 'wangjianguo' },
    { key: 'sales', name: '销售部', parent: 'root', leader: 'liming' },
    { key: 'sales_east', name: '华东销售组', parent: 'sales', leader: 'zhangwei' },
    { key: 'sales_north', name: '华北销售组', parent: 'sales', leader: 'zhaolei' },
    { key: 'marketing', name: '市场部', parent: 'root', leader: 'sunyue' },
    { key: 'finance', name: '财务部', parent: 'root', leader: 'zhuhong' },
    { key: 'hr', name: '人事行政部', parent: 'root', leader: 'hefang' },
  ],
  people: [
    {
      key: 'wangjianguo',
      name: '王建国',
      enName: 'Jianguo Wang',
      department: 'root',
      jobTitle: '总经理',
      roles: ['admin', 'employee'],
    },
    {
      key: 'liming',
      name: '李明',
      enName: 'Ming Li',
      department: 'sales',
      manager: 'wangjianguo',
      jobTitle: '销售总监',
      roles: ['sales_manager', 'employee'],
    },
    {
      key: 'zhangwei',
      name: '张伟',
      enName: 'Wei Zhang',
      department: 'sales_east',
      manager: 'liming',
      jobTitle: '华东销售经理',
      roles: ['sales_manager', 'employee'],
    },
    {
      key: 'liuyang',
      name: '刘洋',
      enName: 'Yang Liu',
      department: 'sales_east',
      manager: 'zhangwei',
      jobTitle: '销售代表',
      roles: ['sales', 'employee'],
    },
    {
      key: 'chenjing',
      name: '陈静',
      enName: 'Jing Chen',
      department: 'sales_east',
      manager: 'zhangwei',
      jobTitle: '销售代表',
      roles: ['sales', 'employee'],
    },
    {
      key: 'yangfan',
      name: '杨帆',
      enName: 'Fan Yang',
      department: 'sales_east',
      manager: 'zhangwei',
      jobTitle: '销售代表',
      roles: ['sales', 'employee'],
    },
    {
      key: 'zhaolei',
      name: '赵磊',
      enName: 'Lei Zhao',
      department: 'sales_north',
      manager: 'liming',
      jobTitle: '华北销售经理',
      roles: ['sales_manager', 'employee'],
    },
    {
      key: 'huangli',
      name: '黄丽',
      enName: 'Li Huang',
      department: 'sales_north',
      manager: 'zhaolei',
      jobTitle: '销售代表',
      roles: ['sales', 'employee'],
    },
    {
      key: 'zhoujie',
      name: '周杰',
      enName: 'Jie Zhou',
      department: 'sales_north',
      manager: 'zhaolei',
      jobTitle: '销售代表',
      roles: ['sales', 'employee'],
    },
    {
      key: 'wumin',
      name: '吴敏',
      enName: 'Min Wu',
      department: 'sales_north',
      manager: 'zhaolei',
      jobTitle: '销售代表',
      roles: ['sales', 'employee'],
    },
    {
      key: 'sunyue',
      name: '孙悦',
      enName: 'Yue Sun',
      department: 'marketing',
      manager: 'wangjianguo',
      jobTitle: '市场总监',
      roles: ['marketing', 'employee'],
    },
    {
      key: 'xuna',
      name: '徐娜',
      enName: 'Na Xu',
      department: 'marketing',
      manager: 'sunyue',
      jobTitle: '市场专员',
      roles: ['marketing', 'employee'],
    },
    {
      key: 'machao',
      name: '马超',
      enName: 'Chao Ma',
      department: 'marketing',
      manager: 'sunyue',
      jobTitle: '渠道经理',
      roles: ['marketing', 'employee'],
    },
    {
      key: 'zhuhong',
      name: '朱红',
      enName: 'Hong Zhu',
      department: 'finance',
      manager: 'wangjianguo',
      jobTitle: '财务总监',
      roles: ['finance', 'employee'],
    },
    {
      key: 'hubin',
      name: '胡斌',
      enName: 'Bin Hu',
      department: 'finance',
      manager: 'zhuhong',
      jobTitle: '会计',
      roles: ['finance', 'employee'],
    },
    {
      key: 'guoting',
      name: '郭婷',
      enName: 'Ting Guo',
      department: 'finance',
      manager: 'zhuhong',
      jobTitle: '出纳',
      roles: ['employee'],
    },
    {
      key: 'hefang',
      name: '何芳',
      enName: 'Fang He',
      department: 'hr',
      manager: 'wangjianguo',
      jobTitle: '人事行政总监',
      roles: ['hr', 'admin', 'employee'],
    },
    {
      key: 'lintao',
      name: '林涛',
      enName: 'Tao Lin',
      department: 'hr',
      manager: 'hefang',
      jobTitle: '人事专员',
      roles: ['hr', 'employee'],
    },
    {
      key: 'gaoxiang',
      name: '高翔',
      enName: 'Xiang Gao',
      department: 'hr',
      manager: 'hefang',
      jobTitle: '行政专员',
      roles: ['employee'],
    },
    {
      key: 'luoxue',
      name: '罗雪',
      enName: 'Xue Luo',
      department: 'hr',
      manager: 'hefang',
      jobTitle: '前台',
      roles: ['employee'],
    },
  ],
}

export const DEMO_TENANT_KEY = 'demo'

/** Adds a feature's demo data (templates, customers, notices) to a freshly seeded demo tenant. */
export type DemoSeeder = (db: DbOrTx, org: SeededOrg) => Promise<void>

/** Feature seeders, run in order after the org. Each feature appends one import and one entry. */
export const demoSeeders: DemoSeeder[] = [
  seedDevchatChats,
  seedApprovalTemplates,
  seedNotices,
  seedCrm,
  seedSales,
  seedLeads,
]

/** Seeds the demo tenant once, in one transaction; returns null when it already exists. */
export async function seedDemo(db: Db): Promise<SeededOrg | null> {
  if (await findTenantByKey(db, 'devchat', DEMO_TENANT_KEY)) return null
  return db.transaction(async (tx) => {
    const org = await seedOrg(tx, demoOrg, {
      name: '云帆科技（演示）',
      platform: 'devchat',
      tenantKey: DEMO_TENANT_KEY,
    })
    for (const seeder of demoSeeders) await seeder(tx, org)
    return org
  })
}
