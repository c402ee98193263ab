import type { ApproverSpec } from '../schemas'

/** The slice of the synced org approver resolution reads. Loaded once per submission. */
export interface OrgSnapshot {
  users: Map<string, { id: string; status: string; managerId: string | null; departmentId: string | null }>
  departments: Map<string, { id: string; parentId: string | null; leaderUserId: string | null }>
  /** role key → user ids holding it */
  roleMembers: Map<string, string[]>
}

export interface ResolveInput {
  spec: ApproverSpec
  initiatorId: string
  /** Approvers chosen by the initiator for this node. */
  chosen: string[] | undefined
}

export interface Resolved {
  /** Active users, in order, without duplicates. */
  userIds: string[]
  /** Users the spec named who have left (status inactive). */
  inactive: string[]
}

/**
 * Resolves a node's approvers from the org: specific users, a role, the manager N levels up, a
 * department's head (a given one, or the initiator's department N levels up), or the initiator's choice.
 * People who left are reported apart so the caller applies the empty-approver policy or refuses.
 */
export function resolveApprovers(org: OrgSnapshot, input: ResolveInput): Resolved {
  const ids = candidates(org, input)
  const seen = new Set<string>()
  const userIds: string[] = []
  const inactive: string[] = []
  for (const id of ids) {
    if (seen.has(id)) continue
    seen.add(id)
    const user = org.users.get(id)
    if (!user) continue
    if (user.status !== 'active') inactive.push(id)
    else userIds.push(id)
  }
  return { userIds, inactive }
}

function candidates(org: OrgSnapshot, { spec, initiatorId, chosen }: ResolveInput): string[] {
  switch (spec.kind) {
    case 'users':
      return spec.userIds
    case 'role':
      return org.roleMembers.get(spec.roleKey) ?? []
    case 'initiator_chooses':
      return chosen ?? []
    case 'manager': {
      let current = org.users.get(initiatorId)
      for (let i = 0; i < spec.level && current; i++) {
        const next = current.managerId ? org.users.get(current.managerId) : undefined
        if (!next || next.id === current.id) return []
        current = next
      }
      return current && current.id !== initiatorId ? [current.id] : []
    }
    case 'department_head': {
      let deptId = spec.departmentId ?? org.users.get(initiatorId)?.departmentId ?? null
      for (let i = 0; i < spec.level && deptId; i++) deptId = org.departments.get(deptId)?.parentId ?? null
      const leader = deptId ? org.departments.get(deptId)?.leaderUserId : null
      return leader ? [leader] : []
    }
  }
}
