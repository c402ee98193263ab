import { escalateTask } from '../../bot/domain/approvals/escalate-task'
import { ApprovalFinishedEvent, handleApprovalFinished } from '../../bot/domain/approvals/on-finished'
import { APPROVAL_ESCALATE, APPROVAL_FINISHED, APPROVAL_REMIND } from '../../bot/domain/approvals/progress'
import { remindTask } from '../../bot/domain/approvals/remind-task'
import type { ServiceContext } from '../../bot/domain/context'
import { type JobPayload, PermanentJobError, type Processor } from '../queue'
import type { ProcessorDeps } from './types'

function systemCtx(deps: ProcessorDeps, payload: JobPayload, reason: string): ServiceContext {
  const tenantId = payload.tenantId
  if (typeof tenantId !== 'string') throw new PermanentJobError('payload has no tenantId')
  return {
    tenantId,
    actor: { kind: 'system', reason },
    db: deps.database.db,
    clock: deps.clock,
    logger: deps.logger,
  }
}

/**
 * Approval jobs. Reminders and escalations are outbox rows with `availableAt` in the future, so they
 * survive restarts; each re-checks the task's state and version and does nothing if it moved on.
 */
export function approvalProcessors(deps: ProcessorDeps): Record<string, Processor> {
  return {
    [APPROVAL_REMIND]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval reminder')
      await remindTask({
        ctx,
        input: { taskId: String(payload.taskId), taskVersion: Number(payload.taskVersion) },
      })
    },
    [APPROVAL_ESCALATE]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval escalation')
      const outcome = await escalateTask({
        ctx,
        input: { taskId: String(payload.taskId), taskVersion: Number(payload.taskVersion) },
      })
      deps.logger.debug({ taskId: payload.taskId, outcome }, 'approval escalation')
    },
    [APPROVAL_FINISHED]: async (payload) => {
      const ctx = systemCtx(deps, payload, 'approval finished')
      const { tenantId: _t, ...event } = payload
      await handleApprovalFinished({ ctx, input: ApprovalFinishedEvent.parse(event) })
    },
  }
}
