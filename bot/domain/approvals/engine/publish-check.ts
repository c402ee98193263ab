import { InvalidInputError } from '../../errors'
import type { ApprovalNode, FlowGraph, FlowNode } from '../schemas'
import type { OrgSnapshot } from './approvers'
import { successors } from './flow'

/** What a publish check reads of the org: the snapshot approver resolution uses, and every role key. */
export interface PublishOrg extends OrgSnapshot {
  roleKeys: ReadonlySet<string>
}

/** For each node, the first condition branch on the way to it (none on the main path). */
function branchesLeadingTo(graph: FlowGraph): Map<string, { condition: string; branch: string }> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  const out = new Map<string, { condition: string; branch: string }>()
  const mark = (from: string, via: { condition: string; branch: string }, seen: Set<string>) => {
    if (seen.has(from)) return
    seen.add(from)
    if (!out.has(from)) out.set(from, via)
    const node = byId.get(from)
    if (node) for (const next of successors(node)) mark(next, via, seen)
  }
  // Nodes on the default path of every condition are on the main path; a node only a branch reaches
  // is named by that branch.
  const main = new Set<string>()
  let node: FlowNode | undefined = graph.nodes.find((n) => n.type === 'start')
  for (let guard = 0; node && guard <= graph.nodes.length; guard++) {
    main.add(node.id)
    const next: string | undefined =
      node.type === 'end' ? undefined : node.type === 'condition' ? node.defaultNext : node.next
    node = next ? byId.get(next) : undefined
  }
  for (const n of graph.nodes) {
    if (n.type !== 'condition') continue
    for (const b of n.branches) mark(b.next, { condition: n.name, branch: b.name || b.next }, new Set(main))
  }
  return out
}

/** Why a node's approvers resolve to nobody whoever submits, or null when someone (or the submission) can. */
function staticallyEmpty(node: ApprovalNode, org: PublishOrg): string | null {
  const spec = node.approvers
  const active = (id: string) => org.users.get(id)?.status === 'active'
  switch (spec.kind) {
    case 'users': {
      const unknown = spec.userIds.find((id) => !org.users.has(id))
      if (unknown) return `user ${unknown} is not in the directory`
      return spec.userIds.some(active) ? null : 'every approver named has left'
    }
    case 'role':
      if (!org.roleKeys.has(spec.roleKey)) return `role ${spec.roleKey} does not exist`
      return (org.roleMembers.get(spec.roleKey) ?? []).some(active)
        ? null
        : `role ${spec.roleKey} has no members`
    case 'department_head': {
      if (!spec.departmentId) return null
      let deptId: string | null = spec.departmentId
      if (!org.departments.has(deptId)) return `department ${deptId} does not exist`
      for (let i = 0; i < spec.level && deptId; i++) deptId = org.departments.get(deptId)?.parentId ?? null
      const leader = deptId ? org.departments.get(deptId)?.leaderUserId : null
      return leader && active(leader) ? null : 'that department has no head'
    }
    default:
      // The manager chain, the initiator's own department and the initiator's choice depend on who submits.
      return null
  }
}

/**
 * Refuses at publish a flow with an approval node that can never find an approver — a role nobody holds,
 * people who all left, a named department without a head — unless the node says to pass when nobody is
 * found (`emptyPolicy: skip`). The 400 names the node (`field: flow.nodes.<id>`) and the condition branch
 * that leads to it. Relative approvers (manager, own department's head, initiator's choice) are checked
 * when a request is submitted instead.
 */
export function checkApproversResolvable(graph: FlowGraph, org: PublishOrg): void {
  const branches = branchesLeadingTo(graph)
  for (const node of graph.nodes) {
    if (node.type !== 'approval' || node.emptyPolicy === 'skip') continue
    const why = staticallyEmpty(node, org)
    if (!why) continue
    const via = branches.get(node.id)
    const where = via ? `（条件「${via.condition}」的分支「${via.branch}」）` : ''
    const whereEn = via ? ` on branch "${via.branch}" of condition "${via.condition}"` : ''
    throw new InvalidInputError(
      `flow.nodes.${node.id}`,
      `审批节点「${node.name}」${where}找不到审批人 / approval node "${node.name}"${whereEn} can never find an approver: ${why}`,
    )
  }
}
