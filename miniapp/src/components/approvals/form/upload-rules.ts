import type { FileRef } from './form-model'

/**
 * What the bot accepts for approval attachments and images (`bot/domain/approvals/files.ts`), checked in
 * the form so a wrong file is refused with its reason before anything is sent.
 */
export const ATTACHMENT_TYPES: Record<string, string> = {
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
export const MAX_FILE_BYTES = 20 * 1024 * 1024
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024
/** Files per field, so one field cannot grow without bound. */
export const MAX_FILES_PER_FIELD = 20

const BY_EXTENSION: Record<string, string> = Object.fromEntries(
  Object.entries(ATTACHMENT_TYPES).map(([type, ext]) => [ext, type]),
)
BY_EXTENSION.jpeg = 'image/jpeg'
BY_EXTENSION.heif = 'image/heic'

/** The content type to send: the browser's, or from the extension when the browser gave none (HEIC often). */
export function contentTypeOf(file: { name: string; type: string }): string {
  const declared = file.type.toLowerCase()
  if (declared && ATTACHMENT_TYPES[declared]) return declared
  const ext = file.name.split('.').pop()?.toLowerCase() ?? ''
  return BY_EXTENSION[ext] ?? declared
}

/** The `accept` attribute of the file input for a field kind. */
export function acceptFor(kind: 'attachment' | 'image'): string {
  const types = Object.keys(ATTACHMENT_TYPES).filter((t) => kind === 'attachment' || t.startsWith('image/'))
  const exts = Object.values(ATTACHMENT_TYPES)
    .filter((_e, i) => kind === 'attachment' || Object.keys(ATTACHMENT_TYPES)[i]?.startsWith('image/'))
    .map((e) => `.${e}`)
  return [...types, ...exts].join(',')
}

export type UploadRefusal = { reason: 'type' } | { reason: 'size'; limitMb: number } | { reason: 'empty' }

/** Why a file cannot go into a field of this kind, or `null` when it may be sent. */
export function checkUpload(file: { name: string; type: string; size: number }, kind: 'attachment' | 'image'): UploadRefusal | null {
  const type = contentTypeOf(file)
  if (!ATTACHMENT_TYPES[type] || (kind === 'image' && !type.startsWith('image/'))) return { reason: 'type' }
  if (file.size === 0) return { reason: 'empty' }
  const limit = type.startsWith('image/') ? MAX_IMAGE_BYTES : MAX_FILE_BYTES
  if (file.size > limit) return { reason: 'size', limitMb: limit / 1024 / 1024 }
  return null
}

/** Uploads one file, reporting progress (0–1); answers the stored file's reference. */
export type UploadFile = (file: File, onProgress: (fraction: number) => void) => Promise<FileRef>
