import { readApiError } from './errors'
import { getApiClient } from './index'
import type { paths } from './schema'
import { api, type Schemas, unwrap } from './typed'

export type ApprovalInstance = Schemas['ApprovalInstance']
export type ApprovalListItem = Schemas['ApprovalListItem']
export type ApprovalTemplate = Schemas['ApprovalTemplate']
export type ApprovalTemplateSummary = Schemas['ApprovalTemplateSummary']
export type ApprovalListQuery = NonNullable<paths['/api/v1/approvals/instances']['get']['parameters']['query']>
export type ApprovalBox = NonNullable<ApprovalListQuery['box']>
export type StartApprovalBody = paths['/api/v1/approvals/instances']['post']['requestBody']['content']['application/json']

export function listApprovals(query: ApprovalListQuery, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/approvals/instances', { params: { query }, signal }))
}

export function getApproval(id: string, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/approvals/instances/{id}', { params: { path: { id } }, signal }))
}

export async function listTemplates(signal?: AbortSignal) {
  return (await unwrap(api().GET('/api/v1/approvals/templates', { params: { query: {} }, signal }))).items
}

export function getTemplate(key: string, signal?: AbortSignal) {
  return unwrap(api().GET('/api/v1/approvals/templates/{key}', { params: { path: { key }, query: {} }, signal }))
}

export function startApproval(body: StartApprovalBody) {
  return unwrap(api().POST('/api/v1/approvals/instances', { body }))
}

interface Decide {
  taskId: string
  version?: number
  comment?: string
}

export function approveTask({ taskId, ...body }: Decide) {
  return unwrap(api().POST('/api/v1/approvals/tasks/{id}/approve', { params: { path: { id: taskId } }, body }))
}

export function rejectTask({ taskId, ...body }: Decide) {
  return unwrap(api().POST('/api/v1/approvals/tasks/{id}/reject', { params: { path: { id: taskId } }, body }))
}

export function transferTask({ taskId, ...body }: Decide & { toUserId: string }) {
  return unwrap(api().POST('/api/v1/approvals/tasks/{id}/transfer', { params: { path: { id: taskId } }, body }))
}

export function addSigner({ taskId, ...body }: Decide & { userId: string; position: 'before' | 'after' }) {
  return unwrap(api().POST('/api/v1/approvals/tasks/{id}/add-sign', { params: { path: { id: taskId } }, body }))
}

export function withdrawApproval(id: string, comment?: string) {
  return unwrap(api().POST('/api/v1/approvals/instances/{id}/withdraw', { params: { path: { id } }, body: { comment } }))
}

export type ResubmitBody = NonNullable<
  paths['/api/v1/approvals/instances/{id}/resubmit']['post']['requestBody']
>['content']['application/json']

/** Resubmits a returned (退回) request, with the edited form if given (else the form as it was). */
export function resubmitApproval(id: string, body: ResubmitBody) {
  return unwrap(api().POST('/api/v1/approvals/instances/{id}/resubmit', { params: { path: { id } }, body }))
}

export function urgeApproval(id: string) {
  return unwrap(api().POST('/api/v1/approvals/instances/{id}/urge', { params: { path: { id } }, body: {} }))
}

export type ApprovalFile = Schemas['ApprovalFile']

/** Stores one file for an attachment/image field; put the answered `key` into the form. */
export function uploadApprovalFile(
  file: File,
  options: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {},
): Promise<ApprovalFile> {
  const path = `/api/v1/approvals/files?name=${encodeURIComponent(file.name.slice(0, 200) || 'file')}`
  return getApiClient().upload<ApprovalFile>(path, file, { contentType: file.type, ...options })
}

/**
 * A stored approval file as a `Blob` (the download needs the session header, so an `<img src>` or a link
 * cannot point at it directly); the caller makes an object URL of it.
 */
export async function downloadApprovalFile(key: string, signal?: AbortSignal): Promise<Blob> {
  const client = getApiClient()
  const request = new Request(client.url(`/api/v1/approvals/files/download?key=${encodeURIComponent(key)}`), {
    ...(signal ? { signal } : {}),
  })
  const response = await client.fetch(request)
  if (!response.ok) throw await readApiError(response)
  return response.blob()
}

export type ApprovalFlowPreview = Schemas['ApprovalFlowPreview']

/** Who will approve, node by node, for the form as filled in so far. Nothing is written. */
export function previewFlow(
  body: { templateKey: string; form: Record<string, unknown>; approvers?: Record<string, string[]> },
  signal?: AbortSignal,
) {
  return unwrap(api().POST('/api/v1/approvals/flow-preview', { body, signal }))
}
