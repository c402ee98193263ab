import { z } from 'zod'
import type { ServiceContext } from '../context'
import { ForbiddenError, InvalidInputError } from '../errors'
import { buildPlan } from './engine/advance'
import { walkFlow } from './engine/flow'
import { partialForm } from './engine/form'
import type { FlowGraph } from './schemas'
import { loadAdminIds, loadInitiator, loadOrgSnapshot, loadTemplateVersion, loadUsers } from './store'

export const PreviewFlowInput = z.object({
  templateKey: z.string().min(1).max(64),
  form: z.record(z.string(), z.unknown()).default({}),
  approvers: z.record(z.string(), z.array(z.string().max(64)).max(20)).optional(),
})
export type PreviewFlowInput = z.input<typeof PreviewFlowInput>

export interface PreviewStep {
  nodeId: string
  name: string
  nameEn: string | null
  type: 'approval' | 'cc'
  mode: 'sequential' | 'all' | 'any'
  approvers: Array<{ id: string; name: string; enName: string | null }>
  /** Nobody resolves and the node is skipped (or, in a preview, nobody could take it yet). */
  skipped: boolean
  /** Nobody resolves and the template's admin takes the node. */
  toAdmin: boolean
  /** The initiator picks this node's approvers (and has not yet, when `approvers` is empty). */
  chooses: boolean
}

export interface FlowPreview {
  steps: PreviewStep[]
  /** Form fields the flow's conditions test: the preview changes only when one of them does. */
  dependsOn: string[]
  /** The conditions on the form, by name with their branches (`请假天数`: `超过 3 天`), for a static card. */
  conditions: Array<{ name: string; branches: string[] }>
}

/** The condition nodes that test the form, with their branch names. */
export function formConditions(flow: FlowGraph): FlowPreview['conditions'] {
  return flow.nodes.flatMap((n) =>
    n.type === 'condition' && n.branches.some((b) => b.when.some((c) => c.kind === 'form'))
      ? [{ name: n.name, branches: n.branches.map((b) => b.name).filter(Boolean) }]
      : [],
  )
}

/** The form fields a flow's conditions look at. */
export function conditionFields(flow: FlowGraph): string[] {
  const out = new Set<string>()
  for (const n of flow.nodes) {
    if (n.type !== 'condition') continue
    for (const b of n.branches) for (const c of b.when) if (c.kind === 'form') out.add(c.field)
  }
  return [...out]
}

/**
 * Who will approve, node by node, for the values entered so far (审批流程 under the form): the same walk
 * and approver resolution as a submission, on the caller as initiator, without writing anything. Fields
 * not filled in (or not valid yet) are left out, so the conditions they drive take their default branch.
 */
export async function previewFlow({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: PreviewFlowInput
}): Promise<FlowPreview> {
  const parsed = PreviewFlowInput.parse(input)
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('only a person can submit a request')
  const initiatorId = ctx.actor.userId
  const tv = await loadTemplateVersion(ctx, { key: parsed.templateKey })
  if (!tv.active)
    throw new InvalidInputError('templateKey', `「${tv.name}」已停用 / template ${tv.key} is disabled`)
  const [initiator, org, admins] = await Promise.all([
    loadInitiator(ctx, initiatorId),
    loadOrgSnapshot(ctx),
    tv.settings.adminUserIds ? Promise.resolve(tv.settings.adminUserIds) : loadAdminIds(ctx),
  ])
  const nodes = walkFlow(tv.flow, {
    form: partialForm(tv.form, parsed.form),
    departmentPaths: initiator.departmentPaths,
    roleKeys: initiator.roleKeys,
  })
  const chosen: Record<string, string[]> = {}
  for (const [nodeId, ids] of Object.entries(parsed.approvers ?? {})) {
    chosen[nodeId] = ids.filter((id) => org.users.get(id)?.status === 'active')
  }
  const plan = buildPlan(nodes, org, { initiatorId, chosen, adminIds: admins }, 'preview')
  const names = await loadUsers(
    ctx,
    plan.flatMap((s) => s.approverIds),
  )
  return {
    steps: plan.map((s, i) => {
      const node = nodes[i]
      return {
        nodeId: s.nodeId,
        name: s.name,
        nameEn: node?.nameEn ?? null,
        type: s.type,
        mode: s.mode,
        approvers: s.approverIds.map((id) => ({
          id,
          name: names.get(id)?.name ?? id,
          enName: names.get(id)?.enName ?? null,
        })),
        skipped: !!s.skipped,
        toAdmin: !!s.toAdmin,
        chooses: node?.approvers.kind === 'initiator_chooses',
      }
    }),
    dependsOn: conditionFields(tv.flow),
    conditions: formConditions(tv.flow),
  }
}
