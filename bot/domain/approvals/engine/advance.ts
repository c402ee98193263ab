import { InvalidInputError } from '../../errors'
import type { ApprovalNode, CcNode, PlanStep } from '../schemas'
import { type OrgSnapshot, resolveApprovers } from './approvers'

/**
 * Turns the walked nodes into the plan of this submission: each step with its resolved approvers. Chosen
 * approvers must be given and active (400 naming `approvers.<node>`); a node nobody resolves for follows its
 * empty-approver policy (skip, or the admins); with no admin either, the request is refused naming the node.
 */
export function buildPlan(
  nodes: ReadonlyArray<ApprovalNode | CcNode>,
  org: OrgSnapshot,
  input: { initiatorId: string; chosen: Record<string, string[]>; adminIds: string[] },
  /** `preview`: plan what is known so far (the form is being filled) instead of refusing what is missing. */
  mode: 'submit' | 'preview' = 'submit',
): PlanStep[] {
  return nodes.map((node) => {
    const chosen = input.chosen[node.id]
    if (node.approvers.kind === 'initiator_chooses' && mode === 'submit') {
      if (!chosen || chosen.length === 0) {
        throw new InvalidInputError(
          `approvers.${node.id}`,
          `请为「${node.name}」选择审批人 / choose approvers for ${node.id}`,
        )
      }
      if (!node.approvers.multiple && chosen.length > 1) {
        throw new InvalidInputError(
          `approvers.${node.id}`,
          `「${node.name}」只能选择一位审批人 / one approver only`,
        )
      }
      for (const id of chosen) {
        const u = org.users.get(id)
        if (!u) throw new InvalidInputError(`approvers.${node.id}`, `unknown user ${id}`)
        if (u.status !== 'active') {
          throw new InvalidInputError(
            `approvers.${node.id}`,
            `所选审批人已离职 / approver ${id} has left the company`,
          )
        }
      }
    }
    const resolved = resolveApprovers(org, { spec: node.approvers, initiatorId: input.initiatorId, chosen })
    const base = {
      nodeId: node.id,
      type: node.type,
      name: node.name,
      ...(node.nameEn ? { nameEn: node.nameEn } : {}),
      mode: node.type === 'approval' ? node.mode : ('all' as const),
    }
    if (resolved.userIds.length > 0) return { ...base, approverIds: resolved.userIds }
    // Previewing a node the initiator has not picked for yet: nobody, and no admin fallback either.
    if (mode === 'preview' && node.approvers.kind === 'initiator_chooses') return { ...base, approverIds: [] }
    if (node.type === 'cc' || node.emptyPolicy === 'skip') return { ...base, approverIds: [], skipped: true }
    const admins = input.adminIds.filter((id) => org.users.get(id)?.status === 'active')
    if (admins.length === 0) {
      if (mode === 'preview') return { ...base, approverIds: [], skipped: true }
      throw new InvalidInputError(
        `flow.nodes.${node.id}`,
        `「${node.name}」没有可用的审批人（审批人已离职或未设置），且没有管理员可接手 / node ${node.id} has no approver and no admin`,
      )
    }
    return { ...base, approverIds: admins.slice(0, 1), toAdmin: true }
  })
}

export type AutoReason = 'dedupe' | 'initiator'

export interface NewTask {
  assigneeId: string
  seq: number
  status: 'pending' | 'waiting' | 'approved' | 'cc'
  auto?: AutoReason
}

/**
 * The tasks a step starts with. `autoPass` says whether an approver passes without a tap (去重, or the
 * initiator approving their own request). 或签: one automatic pass decides the step. 会签: each automatic
 * pass counts. 依次: automatic passes at the head of the queue are taken, the first real approver waits.
 */
export function initialTasks(
  step: PlanStep,
  autoPass: (userId: string) => AutoReason | null,
): { tasks: NewTask[]; passed: boolean } {
  if (step.type === 'cc') {
    return {
      tasks: step.approverIds.map((id, i) => ({ assigneeId: id, seq: i, status: 'cc' })),
      passed: true,
    }
  }
  if (step.skipped || step.approverIds.length === 0) return { tasks: [], passed: true }
  if (step.mode === 'any') {
    for (const [i, id] of step.approverIds.entries()) {
      const reason = autoPass(id)
      if (reason)
        return { tasks: [{ assigneeId: id, seq: i, status: 'approved', auto: reason }], passed: true }
    }
    return {
      tasks: step.approverIds.map((id, i) => ({ assigneeId: id, seq: i, status: 'pending' })),
      passed: false,
    }
  }
  if (step.mode === 'all') {
    const tasks = step.approverIds.map((id, i): NewTask => {
      const reason = autoPass(id)
      return reason
        ? { assigneeId: id, seq: i, status: 'approved', auto: reason }
        : { assigneeId: id, seq: i, status: 'pending' }
    })
    return { tasks, passed: tasks.every((t) => t.status === 'approved') }
  }
  const tasks: NewTask[] = []
  let waiting = false
  for (const [i, id] of step.approverIds.entries()) {
    if (waiting) {
      tasks.push({ assigneeId: id, seq: i, status: 'waiting' })
      continue
    }
    const reason = autoPass(id)
    if (reason) tasks.push({ assigneeId: id, seq: i, status: 'approved', auto: reason })
    else {
      tasks.push({ assigneeId: id, seq: i, status: 'pending' })
      waiting = true
    }
  }
  return { tasks, passed: !waiting }
}

export interface StepTask {
  id: string
  assigneeId: string
  status: string
  seq: number
  origin: 'flow' | 'transfer' | 'add_before' | 'add_after'
  parentTaskId: string | null
}

export interface AfterApprove {
  /** Waiting tasks that become pending now. */
  activate: string[]
  /** Open tasks that end because the step is decided (或签 peers). */
  cancel: string[]
  passed: boolean
}

/**
 * What follows an approval inside a step. An add-sign before hands the task back to its owner; an add-sign
 * after takes its turn next; then 或签 decides the step, 会签 waits for the other pending tasks, 依次 hands
 * over to the next waiting approver; with nobody left the step has passed.
 */
export function afterApprove(
  mode: PlanStep['mode'],
  tasks: readonly StepTask[],
  approvedId: string,
): AfterApprove {
  const approved = tasks.find((t) => t.id === approvedId)
  const open = (t: StepTask) => t.status === 'pending' || t.status === 'waiting'
  if (!approved) return { activate: [], cancel: [], passed: false }
  if (approved.origin === 'add_before' && approved.parentTaskId) {
    const parent = tasks.find((t) => t.id === approved.parentTaskId && t.status === 'waiting')
    if (parent) return { activate: [parent.id], cancel: [], passed: false }
  }
  const after = tasks.filter(
    (t) => t.parentTaskId === approved.id && t.origin === 'add_after' && t.status === 'waiting',
  )
  if (after.length > 0) return { activate: after.map((t) => t.id), cancel: [], passed: false }
  if (mode === 'any') {
    return {
      activate: [],
      cancel: tasks.filter((t) => t.id !== approved.id && open(t)).map((t) => t.id),
      passed: true,
    }
  }
  if (tasks.some((t) => t.id !== approved.id && t.status === 'pending')) {
    return { activate: [], cancel: [], passed: false }
  }
  const next = tasks
    .filter((t) => t.status === 'waiting' && (t.origin === 'flow' || t.origin === 'transfer'))
    .sort((a, b) => a.seq - b.seq)[0]
  if (next) return { activate: [next.id], cancel: [], passed: false }
  return { activate: [], cancel: [], passed: true }
}
