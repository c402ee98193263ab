import { defaultApprovalTemplates, installTemplates } from '../../bot/domain/approvals'
import { installDefaultRoles, syncRoleGrants } from '../../bot/domain/org'
import { newId } from '../../bot/lib/ids'
import type { Db } from '../client'
import { findTenantByKey, type OrgSpec, type SeededOrg, seedOrg } from './org'

/**
 * A company on its first day, for devchat: six people in two departments with their leaders, the default
 * roles and templates every new tenant gets, and nobody granted anything by hand — what a real company sees
 * right after installing the app (no admin unless FLOWCARD_ADMINS names one).
 */
const freshOrg: OrgSpec = {
  roles: [],
  departments: [
    { key: 'root', name: '新星贸易', leader: 'chenlei' },
    { key: 'sales', name: '业务部', parent: 'root', leader: 'linfeng' },
    { key: 'office', name: '综合部', parent: 'root', leader: 'xuli' },
  ],
  people: [
    {
      key: 'chenlei',
      name: '陈磊',
      department: 'root',
      jobTitle: '总经理',
      roles: [],
      email: 'chenlei@fresh.example',
    },
    {
      key: 'linfeng',
      name: '林峰',
      department: 'sales',
      manager: 'chenlei',
      jobTitle: '业务经理',
      roles: [],
    },
    { key: 'maxiao', name: '马晓', department: 'sales', manager: 'linfeng', jobTitle: '业务员', roles: [] },
    { key: 'songjia', name: '宋佳', department: 'sales', manager: 'linfeng', jobTitle: '业务员', roles: [] },
    { key: 'xuli', name: '徐丽', department: 'office', manager: 'chenlei', jobTitle: '行政主管', roles: [] },
    { key: 'zhoumin', name: '周敏', department: 'office', manager: 'xuli', jobTitle: '出纳', roles: [] },
  ],
}

/** Seeds a fresh devchat company under `tenantKey` (a new key each call by default); returns it. */
export async function seedFreshCompany(
  db: Db,
  options: { tenantKey?: string; bootstrapAdmins?: string[] } = {},
): Promise<SeededOrg & { tenantKey: string }> {
  const tenantKey = options.tenantKey ?? `fresh-${newId('tk').slice(-6)}`
  const existing = await findTenantByKey(db, 'devchat', tenantKey)
  if (existing) throw new Error(`devchat tenant ${tenantKey} exists`)
  return db.transaction(async (tx) => {
    const org = await seedOrg(tx, freshOrg, { name: '新星贸易（第一天）', platform: 'devchat', tenantKey })
    await installDefaultRoles(tx, org.tenantId)
    await installTemplates(tx, org.tenantId, defaultApprovalTemplates())
    await syncRoleGrants({
      ctx: {
        tenantId: org.tenantId,
        actor: { kind: 'system', reason: 'fresh company' },
        db: tx,
        clock: { now: () => new Date() },
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      },
      input: {
        platform: 'devchat',
        platformAdminOpenIds: null,
        bootstrapAdmins: options.bootstrapAdmins ?? [],
      },
    })
    return { ...org, tenantKey }
  })
}
