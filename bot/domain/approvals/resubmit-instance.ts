import { type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidTransitionError } from '../errors'
import { instanceEndedText, isInitiator } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { activateFrom, commitInstance, newChanges, type Working } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { publish } from './publish'
import { recordReferences } from './references'
import { ResubmitInput } from './schemas'
import { prepareSubmission } from './start-instance'
import { loadTemplateVersion, lockInstance } from './store'
import type { ApprovalView } from './view'

/**
 * Resubmits a returned request, optionally with an edited form, under the version it started with: the
 * flow is walked again (conditions may now differ) and a new round starts at the first step.
 */
export async function resubmitInstance({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ResubmitInput
}): Promise<ApprovalView> {
  const parsed = ResubmitInput.parse(input)
  return withTransaction(ctx, (_tx, c) =>
    batched(c, async () => {
      const ins = await lockInstance(c, parsed.instanceId)
      if (!isInitiator(c, ins))
        throw new ForbiddenError('只有申请人可以重新提交 / only the applicant can resubmit')
      if (ins.status !== 'returned') {
        throw new InvalidTransitionError(
          ins.status === 'pending'
            ? '申请正在审批中 / the request is still in review'
            : (instanceEndedText[ins.status] ?? ins.status),
          { instanceStatus: ins.status },
        )
      }
      const tv = await loadTemplateVersion(c, { templateId: ins.templateId, version: ins.templateVersion })
      const chosen = parsed.approvers ?? ins.chosenApprovers
      const { form, plan, references } = await prepareSubmission(
        c,
        tv,
        ins.initiatorId,
        parsed.form ?? ins.form,
        chosen,
        ins.id,
      )
      await recordReferences(c, ins.id, references)
      await appendTimeline(c, {
        instanceId: ins.id,
        action: 'resubmit',
        comment: parsed.comment ?? null,
        before: { form: ins.form },
        after: { form },
      })
      await auditInBatch(c, {
        action: 'approval.resubmit',
        targetType: 'approval',
        targetId: ins.id,
        before: { form: ins.form },
        after: { form },
      })
      const w: Working = {
        ins,
        patch: { status: 'pending', form, plan, round: ins.round + 1, stepIndex: 0, chosenApprovers: chosen },
        settings: tv.settings,
        tasks: [],
      }
      const ch = newChanges()
      await activateFrom(c, w, 0, ch)
      const committed = await commitInstance(c, w)
      return publish(c, committed, ch)
    }),
  )
}
