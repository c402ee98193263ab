import { and, eq } from 'drizzle-orm'
import { approvalFiles, approvalTasks } from '../../../db/schema'
import { newId } from '../../lib/ids'
import type { BlobStorage, BlobStream } from '../../lib/storage/types'
import type { ServiceContext } from '../context'
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors'
import { isApprovalAdmin, loadInstance } from './store'

/** Accepted upload types and the extension of their storage key. */
export const APPROVAL_FILE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/heic': 'heic',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'application/zip': 'zip',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
}
export const MAX_APPROVAL_FILE_BYTES = 20 * 1024 * 1024
export const MAX_APPROVAL_IMAGE_BYTES = 10 * 1024 * 1024

/** Magic numbers of the image types: a declared image must look like one (no HTML served as image/png). */
const IMAGE_MAGIC: Record<string, (b: Uint8Array) => boolean> = {
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47,
  'image/gif': (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46,
  'image/webp': (b) => b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45,
  'image/heic': (b) => b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70,
}

export interface ApprovalFileDto {
  key: string
  name: string
  contentType: string
  size: number
}

/**
 * Stores a file for an attachment/image field through the storage port and records who uploaded it; the
 * answer's `key` goes into the form. Type and size are checked here (images also by their first bytes).
 */
export async function uploadApprovalFile({
  ctx,
  storage,
  file,
}: {
  ctx: ServiceContext
  storage: BlobStorage
  file: { name: string; contentType: string; data: Uint8Array }
}): Promise<ApprovalFileDto> {
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('only a person can upload')
  const ext = APPROVAL_FILE_TYPES[file.contentType]
  if (!ext)
    throw new InvalidInputError('file', `不支持的文件类型 / unsupported type ${file.contentType || '(none)'}`)
  const image = file.contentType.startsWith('image/')
  const limit = image ? MAX_APPROVAL_IMAGE_BYTES : MAX_APPROVAL_FILE_BYTES
  if (file.data.byteLength === 0 || file.data.byteLength > limit)
    throw new InvalidInputError(
      'file',
      `文件大小须在 1 字节到 ${limit / 1024 / 1024} MB / 1 byte to ${limit} bytes`,
    )
  const magic = IMAGE_MAGIC[file.contentType]
  if (magic && !magic(file.data)) throw new InvalidInputError('file', `not a ${file.contentType} image`)
  const name =
    file.name
      .replace(/[/\\]/g, '_')
      .split('')
      .map((ch) => (ch.charCodeAt(0) < 0x20 ? '_' : ch))
      .join('')
      .trim()
      .slice(0, 200) || `file.${ext}`
  const key = `${ctx.tenantId}/approvals/${ctx.actor.userId}/${newId('apf')}.${ext}`
  await storage.put(key, file.data, file.contentType)
  await ctx.db.insert(approvalFiles).values({
    key,
    tenantId: ctx.tenantId,
    uploaderId: ctx.actor.userId,
    name,
    contentType: file.contentType,
    size: file.data.byteLength,
  })
  return { key, name, contentType: file.contentType, size: file.data.byteLength }
}

/**
 * Opens an approval file for download: its uploader, and once it is in a request, whoever may see that
 * request (initiator, approvers and CC'd people, approval admins). Everyone else gets 404.
 */
export async function openApprovalFile({
  ctx,
  storage,
  key,
}: {
  ctx: ServiceContext
  storage: BlobStorage
  key: string
}): Promise<{ file: ApprovalFileDto; blob: BlobStream }> {
  if (ctx.actor.kind !== 'user') throw new ForbiddenError('only a person can download')
  const me = ctx.actor.userId
  const [row] = await ctx.db
    .select()
    .from(approvalFiles)
    .where(and(eq(approvalFiles.tenantId, ctx.tenantId), eq(approvalFiles.key, key)))
  if (!row) throw new NotFoundError('file', key)
  if (row.uploaderId !== me && !(row.instanceId && (await mayViewInstance(ctx, row.instanceId, me))))
    throw new NotFoundError('file', key)
  const blob = await storage.getStream(key)
  if (!blob) throw new NotFoundError('file', key)
  return { file: { key, name: row.name, contentType: row.contentType, size: row.size }, blob }
}

async function mayViewInstance(ctx: ServiceContext, instanceId: string, userId: string): Promise<boolean> {
  const ins = await loadInstance(ctx, instanceId).catch(() => null)
  if (!ins) return false
  if (ins.initiatorId === userId) return true
  const [task] = await ctx.db
    .select({ id: approvalTasks.id })
    .from(approvalTasks)
    .where(
      and(
        eq(approvalTasks.tenantId, ctx.tenantId),
        eq(approvalTasks.instanceId, instanceId),
        eq(approvalTasks.assigneeId, userId),
      ),
    )
    .limit(1)
  return !!task || (await isApprovalAdmin(ctx, userId))
}
