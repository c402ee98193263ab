import { and, asc, count, eq } from 'drizzle-orm'
import { departments, userDepartments, users } from '../../../db/schema'
import type { ServiceContext } from '../context'

export interface DepartmentNode {
  id: string
  name: string
  parentId: string | null
  leader: { id: string; name: string } | null
  memberCount: number
  children: DepartmentNode[]
}

/** The tenant's active department tree with leaders and member counts, for pickers and audiences. */
export async function listDepartments({ ctx }: { ctx: ServiceContext }): Promise<DepartmentNode[]> {
  const [rows, counts] = await Promise.all([
    ctx.db
      .select({
        id: departments.id,
        name: departments.name,
        parentId: departments.parentId,
        leaderId: departments.leaderUserId,
        leaderName: users.name,
      })
      .from(departments)
      .leftJoin(users, and(eq(users.id, departments.leaderUserId), eq(users.tenantId, ctx.tenantId)))
      .where(and(eq(departments.tenantId, ctx.tenantId), eq(departments.active, true)))
      .orderBy(asc(departments.sortOrder), asc(departments.name)),
    ctx.db
      .select({ departmentId: userDepartments.departmentId, n: count() })
      .from(userDepartments)
      .innerJoin(users, eq(users.id, userDepartments.userId))
      .where(and(eq(userDepartments.tenantId, ctx.tenantId), eq(users.status, 'active')))
      .groupBy(userDepartments.departmentId),
  ])
  const members = new Map(counts.map((c) => [c.departmentId, Number(c.n)]))
  const nodes = new Map<string, DepartmentNode>(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        name: r.name,
        parentId: r.parentId,
        leader: r.leaderId && r.leaderName ? { id: r.leaderId, name: r.leaderName } : null,
        memberCount: members.get(r.id) ?? 0,
        children: [],
      },
    ]),
  )
  const roots: DepartmentNode[] = []
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  return roots
}
