import type { ServiceContext } from '../context'
import { type DepartmentNode, listDepartments } from './list-departments'
import { requirePermission } from './permissions'

/** The synced department tree for the admin console (leaders, member counts). Needs `org.admin`. */
export async function listDirectoryDepartments({ ctx }: { ctx: ServiceContext }): Promise<DepartmentNode[]> {
  await requirePermission(ctx, 'org.admin')
  return listDepartments({ ctx })
}
