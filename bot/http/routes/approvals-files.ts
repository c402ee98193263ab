import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import {
  APPROVAL_FILE_TYPES,
  MAX_APPROVAL_FILE_BYTES,
  openApprovalFile,
  uploadApprovalFile,
} from '../../domain/approvals'
import { InvalidInputError } from '../../domain/errors'
import type { BlobStorage } from '../../lib/storage/types'
import { apiContext, requireSession } from '../middleware/session'
import { errorResponses } from '../schemas'
import type { AppEnv } from '../types'

const FileSchema = z
  .object({ key: z.string(), name: z.string(), contentType: z.string(), size: z.number().int() })
  .openapi('ApprovalFile')

const common = { tags: ['approvals'], security: [{ session: [] }], middleware: requireSession }

const routes = {
  upload: createRoute({
    ...common,
    method: 'post',
    path: '/approvals/files',
    summary: 'Upload a file for an attachment/image field (raw body; ≤ 20 MB, images ≤ 10 MB)',
    description: `Put the answered \`key\` into the form field. Types: ${Object.keys(APPROVAL_FILE_TYPES).join(', ')}. Only the uploader may submit it; once submitted, the request's participants may download it.`,
    request: {
      query: z.object({ name: z.string().min(1).max(200) }),
      body: {
        content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
        required: true,
      },
    },
    responses: {
      201: { description: 'stored', content: { 'application/json': { schema: FileSchema } } },
      413: errorResponses[400],
      ...errorResponses,
    },
  }),
  download: createRoute({
    ...common,
    method: 'get',
    path: '/approvals/files/download',
    summary: 'Download an approval file (uploader, the request participants, approval admins)',
    request: { query: z.object({ key: z.string().min(1).max(300) }) },
    responses: {
      200: {
        description: 'the file',
        content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
      },
      ...errorResponses,
    },
  }),
}

/** Attachment and image uploads of approval forms, through the storage port. */
export function approvalFileRoutes(options: { storage?: BlobStorage | undefined }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  const storageOf = () => {
    if (!options.storage) throw new InvalidInputError('file', 'file storage is not configured')
    return options.storage
  }
  app.openapi(routes.upload, async (c) => {
    const storage = storageOf()
    const buf = await c.req.arrayBuffer()
    if (buf.byteLength > MAX_APPROVAL_FILE_BYTES) throw new InvalidInputError('file', 'file too large')
    const contentType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    const file = await uploadApprovalFile({
      ctx: apiContext(c),
      storage,
      file: { name: c.req.valid('query').name, contentType, data: new Uint8Array(buf) },
    })
    return c.json(file, 201)
  })
  app.openapi(routes.download, async (c) => {
    const { file, blob } = await openApprovalFile({
      ctx: apiContext(c),
      storage: storageOf(),
      key: c.req.valid('query').key,
    })
    const inline = file.contentType.startsWith('image/') || file.contentType === 'application/pdf'
    return new Response(blob.body, {
      status: 200,
      headers: {
        'content-type': file.contentType,
        'content-length': String(blob.size),
        'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, max-age=300',
      },
    }) as never
  })
  return app
}
