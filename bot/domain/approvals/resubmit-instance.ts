import { type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidInputError, InvalidTransitionError } from '../errors'
import { instanceEndedText, isInitiator } from './internal/task-action'
import { appendTimeline } from './internal/timeline'
import { activateFrom, commitInstance, newChanges, type Working } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { resubmitHandlerOf } from './on-finished'
import { publish } from './publish'
import { recordReferences } from './references'
import { ResubmitInput } from './schemas'
import { prepareSubmission, titleOf } from './start-instance'
import { loadTemplateVersion, lockInstance } from './store'
import type { ApprovalView } from './view'

/**
 * Resubmits a returned request, optionally with an edited form, under the version it started with: the
 * flow is walked again (conditions may now differ) and a new round starts at the first step. The record
 * the request references cannot change (400 naming its field); a record-started template's domain applies
 * the edit to its record or refuses it (`RecordStart.resubmit`), so what is approved is what happens.
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
      let prepared = await prepareSubmission(c, tv, ins.initiatorId, parsed.form ?? ins.form, chosen, ins.id)
      const refField = ins.businessRef ? tv.settings.businessRefField : undefined
      if (refField && ins.businessRef !== `${ins.businessRef?.split(':')[0]}:${prepared.form[refField]}`)
        throw new InvalidInputError(
          `form.${refField}`,
          `form.${refField}: 重新提交不能更换关联的记录 / a resubmitted request keeps the record it was started for`,
        )
      const byRecord = resubmitHandlerOf(tv.key)
      const derived = byRecord
        ? await byRecord(c, { instanceId: ins.id, before: ins.form, form: prepared.form })
        : undefined
      if (derived) prepared = await prepareSubmission(c, tv, ins.initiatorId, derived, chosen, ins.id)
      const { form, plan, references } = prepared
      const title = titleOf(tv, prepared.initiator.name, form)
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
        patch: {
          status: 'pending',
          form,
          ...(title !== ins.title ? { title } : {}),
          plan,
          round: ins.round + 1,
          stepIndex: 0,
          chosenApprovers: chosen,
        },
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
