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
