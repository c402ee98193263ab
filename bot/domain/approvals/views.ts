import { viewKind } from '../chat/view'
import type { UserBrief } from './store'
import type { ApprovalView } from './view'

/**
 * An `ApprovalView` frozen for the outbox: maps as entry lists and times as ISO strings, so the card
 * rendered at send time shows the instance exactly as it was at the version the row carries.
 */
export interface ApprovalSnapshot {
  instance: Record<string, unknown>
  template: ApprovalView['template']
  plan: ApprovalView['plan']
  tasks: Array<Record<string, unknown>>
  users: Array<[string, UserBrief]>
  departments: Array<[string, string]>
  records: Array<[string, string]>
}

const freezeRow = (row: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v
  return out
}

/** Times come back as dates: every `…At` field a row had as an ISO string. */
const thawRow = <T>(row: Record<string, unknown>): T => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row))
    out[k] = k.endsWith('At') && typeof v === 'string' ? new Date(v) : v
  return out as T
}

export function freezeApprovalView(view: ApprovalView): ApprovalSnapshot {
  return {
    instance: freezeRow(view.instance),
    template: view.template,
    plan: view.plan,
    tasks: view.tasks.map(freezeRow),
    users: [...view.users],
    departments: [...view.departments],
    records: [...view.records],
  }
}

export function thawApprovalView(s: ApprovalSnapshot): ApprovalView {
  return {
    instance: thawRow(s.instance),
    template: s.template,
    plan: s.plan,
    tasks: s.tasks.map((t) => thawRow(t)),
    users: new Map(s.users),
    departments: new Map(s.departments),
    records: new Map(s.records),
  }
}

/** An approver's task card (to act on, or its outcome). */
export const approvalTaskView = viewKind<{ view: ApprovalSnapshot; taskId: string }>('approval.task')
/**
 * The initiator's progress card; `failed` once the domain could not apply the approved request (回款审批:
 * 未能入账), so it no longer ends on 已通过.
 */
export const approvalProgressView = viewKind<{ view: ApprovalSnapshot; failed?: ApprovalOutcomeNote }>(
  'approval.progress',
)
/** A CC recipient's card. */
export const approvalCcView = viewKind<{ view: ApprovalSnapshot }>('approval.cc')
/** What the domain made of an approved request when that did not work (回款审批: 未能入账). */
export interface ApprovalOutcomeNote {
  title: { zh: string; en: string }
  text: { zh: string; en: string }
}
/**
 * The result announcement (to the initiator, and to the template's result chat); `failed` when the domain
 * could not apply the approved request, so the card says so instead of 已通过.
 */
export const approvalResultView = viewKind<{ view: ApprovalSnapshot; failed?: ApprovalOutcomeNote }>(
  'approval.result',
)
/** Told to approval admins when an external system's webhook failed for good. */
export const approvalWebhookFailedView = viewKind<{
  systemName: string
  externalId: string
  serialNo: string
  attempts: number
  lastError: string
}>('approval.webhook_failed')
