import { z } from 'zod'
import type { ServiceContext } from '../context'

export const ApprovalFinishedEvent = z.object({
  instanceId: z.string(),
  templateKey: z.string(),
  status: z.enum(['approved', 'rejected', 'withdrawn', 'cancelled']),
  /** `<type>:<id>` of the business record, e.g. `contract:ctr_…`; null for plain OA requests. */
  businessRef: z.string().nullable(),
})
export type ApprovalFinishedEvent = z.infer<typeof ApprovalFinishedEvent>

export type ApprovalFinishedHandler = (input: {
  ctx: ServiceContext
  event: ApprovalFinishedEvent
}) => Promise<void>

/**
 * Hook point for domains whose records change state when an approval ends (CRM contract, discount). Keyed
 * by the business ref's type (`contract`); the CRM registers `onApprovalFinished('contract', …)`.
 */
const handlers = new Map<string, ApprovalFinishedHandler>()

export function onApprovalFinished(refType: string, handler: ApprovalFinishedHandler): void {
  handlers.set(refType, handler)
}

/**
 * Templates a domain starts itself for one of its records (回款审批 from a registered payment): people
 * are not offered them and cannot start them by hand, since an instance without its record would decide
 * nothing. Admins still see and edit them.
 */
export interface RecordStart {
  /** Where a person starts it instead, e.g. 「在合同页点「提交审批」」 (zh-CN, en). */
  how: { zh: string; en: string }
  /**
   * The domain announces an approved request's result itself, once it applied it (the payment recorded or
   * not): the engine's 已通过 card would otherwise tell the applicant it worked before anyone knows.
   */
  announcesApproval?: boolean
}

const recordStarted = new Map<string, RecordStart>()

export function registerRecordStartedTemplate(key: string, start: RecordStart): void {
  recordStarted.set(key, start)
}

export const isRecordStartedTemplate = (key: string): boolean => recordStarted.has(key)
export const recordStartedTemplateKeys = (): string[] => [...recordStarted.keys()]
export const recordStartOf = (key: string): RecordStart | undefined => recordStarted.get(key)

/**
 * A returned request of the template resubmitted with an edited form (in the resubmission's transaction,
 * the form validated): the domain applies the edit to its record or refuses it (an `InvalidInputError`
 * naming `form.<field>`, nothing written). It may answer the form to store instead (fields it derives).
 */
export type ResubmitHandler = (
  ctx: ServiceContext,
  input: { instanceId: string; before: Record<string, unknown>; form: Record<string, unknown> },
) => Promise<Record<string, unknown> | undefined>

const resubmitHandlers = new Map<string, ResubmitHandler>()

export function onResubmitted(templateKey: string, handler: ResubmitHandler): void {
  resubmitHandlers.set(templateKey, handler)
}

export const resubmitHandlerOf = (templateKey: string): ResubmitHandler | undefined =>
  resubmitHandlers.get(templateKey)

/** Runs the handler for the event's business ref, if any (job `approval.finished`). */
export async function handleApprovalFinished({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: ApprovalFinishedEvent
}): Promise<boolean> {
  const event = ApprovalFinishedEvent.parse(input)
  const type = event.businessRef?.split(':')[0]
  const handler = type ? handlers.get(type) : undefined
  if (!handler) return false
  await handler({ ctx, event })
  return true
}
