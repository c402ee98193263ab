import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { BlobStream } from '../lib/storage/types'

/** The OpenAPI 200 of a route answering with stored image bytes. */
export const imageOk = (description: string) => ({
  description,
  content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } },
})

/**
 * Stored image bytes as the answer: the stored type, never sniffed by the browser, private to the caller's
 * cache for an hour, and a content policy that lets nothing in the file run.
 */
export const sendImage = (c: Context, blob: BlobStream): Response =>
  c.body(blob.body, 200, {
    'content-type': blob.contentType,
    'content-length': String(blob.size),
    'cache-control': 'private, max-age=3600',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'",
  })
