import { z } from '@hono/zod-openapi'

/** The one error shape of every 4xx/5xx answer. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      field: z.string().optional(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error')

/** Standard error responses to spread into a route's `responses`. */
/**
 * The answer of a signed route whose caller's stored secret cannot be read: sealed with a key this server's
 * `ENCRYPTION_KEYS` no longer lists, or changed in the database. Not the caller's fault; retrying won't help.
 */
export const secretUnavailableResponse = {
  503: {
    description:
      "the caller's stored secret cannot be read: `error.code` is `secret_key_missing` (sealed with an encryption key this server no longer lists: an administrator adds the key back or rotates the secret) or `secret_unreadable` (rotate the secret)",
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const

export const errorResponses = {
  400: {
    description: 'invalid input; `error.field` names the field',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  401: { description: 'no valid session', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'not allowed', content: { 'application/json': { schema: ErrorSchema } } },
  404: {
    description: 'not found (or outside your data scope)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  409: {
    description: 'conflict or state already changed',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const
