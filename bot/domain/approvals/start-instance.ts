import { approvalInstances, type ExternalOrigin } from '../../../db/schema'
import { newId } from '../../lib/ids'
import { type ServiceContext, withTransaction } from '../context'
import { ForbiddenError, InvalidInputError } from '../errors'
import { buildPlan } from './engine/advance'
import { walkFlow } from './engine/flow'
import { type FileRef, type ValidatedForm, validateForm } from './engine/form'
import { appendTimeline } from './internal/timeline'
import { activateFrom, newChanges, type Working } from './internal/transitions'
import { auditInBatch, batched } from './internal/write-batch'
import { recordStartOf } from './on-finished'
import { publish } from './publish'
import { checkFormReferences, recordReferences } from './references'
import { type PlanStep, StartInstanceInput } from './schemas'
import {
  type InstanceRow,
  loadAdminIds,
  loadInitiator,
  loadOrgSnapshot,
  loadTemplateVersion,
  type TemplateVersion,
} from './store'
import { requestTitle, titleExtraOf } from './title'
import type { ApprovalView } from './view'

/**
 * Submits a request: validates the form against the template's current version (pinned on the instance),
 * walks the flow's conditions, resolves every step's approvers from the org, and starts the first step —
 * all in one transaction with the timeline, the audit row and the outbox rows for every card.
 * `external` is set by the signed external-approvals API only (`startExternalApproval`): the request then
 * carries its origin, and templates an external system owns can only be started that way.
 */
export async function startInstance({
  ctx,
  input,
  external,
  forRecord,
  businessRefField,
}: {
  ctx: ServiceContext
  input: StartInstanceInput
  external?: ExternalOrigin
  /** Set by the domain verb that starts a record-started template (`registerRecordStartedTemplate`). */
  forRecord?: boolean
  /**
   * The form field naming the business record when the template's settings name none (a domain verb that
   * knows which field holds its record, e.g. the contract field of an admin's 合同审批 without the setting).
   */
  businessRefField?: string
}): Promise<ApprovalView> {
  const parsed = StartInstanceInput.parse(input)
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('only a person can submit a request')
  const byRecord = forRecord ? undefined : recordStartOf(parsed.templateKey)
  if (byRecord)
    throw new InvalidInputError(
      'templateKey',
      `该审批由业务记录发起：${byRecord.how.zh} / template ${parsed.templateKey} is started from its record: ${byRecord.how.en}`,
    )
  const initiatorId = ctx.actor.userId
  return withTransaction(ctx, (_tx, c) =>
    batched(c, () => submit(c, parsed, initiatorId, external, businessRefField)),
  )
}

/** The submission itself, in the caller's transaction and write batch. */
async function submit(
  c: ServiceContext,
  parsed: StartInstanceInput,
  initiatorId: string,
  external: ExternalOrigin | undefined,
  refField: string | undefined,
): Promise<ApprovalView> {
  const tv = await loadTemplateVersion(c, { key: parsed.templateKey })
  if (!tv.active)
    throw new InvalidInputError('templateKey', `「${tv.name}」已停用 / template ${tv.key} is disabled`)
  if (tv.externalSystemId && tv.externalSystemId !== external?.systemId)
    throw new InvalidInputError(
      'templateKey',
      `「${tv.name}」由外部系统发起 / template ${tv.key} is started by its external system`,
    )
  const { form, plan, initiator, references } = await prepareSubmission(
    c,
    tv,
    initiatorId,
    parsed.form,
    parsed.approvers ?? {},
  )
  const id = newId('ins')
  const now = c.clock.now()
  // The row is built in memory and inserted once, after the first steps ran (tasks reference it by id).
  const draft: InstanceRow = {
    id,
    tenantId: c.tenantId,
    serialNo: serialNo(now, id),
    templateId: tv.templateId,
    templateVersionId: tv.versionId,
    templateVersion: tv.version,
    title: titleOf(tv, initiator.name, form),
    initiatorId,
    initiatorDepartmentId: initiator.departmentId,
    form,
    status: 'pending',
    version: 1,
    plan,
    stepIndex: 0,
    round: 1,
    chosenApprovers: parsed.approvers ?? {},
    businessRef: businessRefOf(tv, form, refField),
    external: external ?? null,
    lastUrgedAt: null,
    finishedAt: null,
    createdAt: now,
    updatedAt: now,
  }
  await appendTimeline(c, {
    instanceId: id,
    action: 'submit',
    after: { form, templateVersion: tv.version, ...(external ? { external } : {}) },
  })
  const w: Working = { ins: draft, patch: {}, settings: tv.settings, tasks: [] }
  const ch = newChanges()
  ch.started = true
  await activateFrom(c, w, 0, ch)
  const ins: InstanceRow = { ...draft, ...w.patch }
  await Promise.all([
    c.db.insert(approvalInstances).values(ins),
    auditInBatch(c, {
      action: 'approval.submit',
      targetType: 'approval',
      targetId: id,
      after: { template: tv.key, form },
      ...(external ? { meta: { external } } : {}),
    }),
    references.length > 0 ? recordReferences(c, id, references) : undefined,
  ])
  return publish(c, ins, ch)
}

/** Validation and planning shared by submission and resubmission. Nothing is written. */
export async function prepareSubmission(
  ctx: ServiceContext,
  tv: TemplateVersion,
  initiatorId: string,
  rawForm: Record<string, unknown>,
  chosen: Record<string, string[]>,
  instanceId?: string,
): Promise<{
  form: Record<string, unknown>
  plan: PlanStep[]
  initiator: Awaited<ReturnType<typeof loadInitiator>>
  references: ValidatedForm['references']
}> {
  const { values, references } = validateForm(tv.form, rawForm)
  if (references.length > 0) {
    const files = await checkFormReferences(ctx, references, {
      initiatorId,
      ...(instanceId ? { instanceId } : {}),
    })
    // Uploads are stored as the upload record says (name, size, type), not as the client sent them.
    if (files.size > 0) {
      for (const f of tv.form) {
        const v = values[f.key]
        if ((f.type === 'attachment' || f.type === 'image') && Array.isArray(v)) {
          values[f.key] = (v as FileRef[]).map((r) => files.get(r.key) ?? r)
        }
      }
    }
  }
  const [initiator, org, admins] = await Promise.all([
    loadInitiator(ctx, initiatorId),
    loadOrgSnapshot(ctx),
    tv.settings.adminUserIds ? Promise.resolve(tv.settings.adminUserIds) : loadAdminIds(ctx),
  ])
  const nodes = walkFlow(tv.flow, {
    form: values,
    departmentPaths: initiator.departmentPaths,
    roleKeys: initiator.roleKeys,
  })
  const plan = buildPlan(nodes, org, { initiatorId, chosen, adminIds: admins })
  return { form: values, plan, initiator, references }
}

/** `20261127-49NS3HFC`: the China-time date (as cards show times) and 40 random bits of the id. */
const serialNo = (now: Date, id: string): string =>
  `${new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '')}-${id.slice(-8).toUpperCase()}`

/** The stored title: the Chinese rendering (readers see it rendered in their language, `requestTitle`). */
export const titleOf = (tv: TemplateVersion, initiatorName: string, form: Record<string, unknown>): string =>
  requestTitle({ initiatorName, templateName: tv.name, titleExtra: titleExtraOf(tv.settings, form) }, 'zh-CN')

function businessRefOf(
  tv: TemplateVersion,
  form: Record<string, unknown>,
  fallback: string | undefined,
): string | null {
  const key = tv.settings.businessRefField ?? fallback
  if (!key) return null
  const field = tv.form.find((f) => f.key === key)
  const v = form[key]
  return field && typeof v === 'string' ? `${field.type}:${v}` : null
}
