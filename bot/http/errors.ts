import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ZodError } from 'zod'
import { DomainError, type DomainErrorCode } from '../domain/errors'

/** The HTTP status of each domain failure. */
export const httpStatusOf: Record<DomainErrorCode, 400 | 401 | 403 | 404 | 409 | 422 | 429 | 503> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  rate_limited: 429,
  unavailable: 503,
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; field?: string; details?: unknown }
}

const requestIdOf = (c: Context): string => (c.get('requestId') as string | undefined) ?? ''

export function errorBody(
  c: Context,
  code: string,
  message: string,
  extra: Partial<ErrorBody['error']> = {},
): ErrorBody {
  return { error: { code, message, requestId: requestIdOf(c), ...extra } }
}

/** Formats a zod failure as 400 naming the first offending field path (e.g. `items.2.amount`). */
export function zodErrorResponse(c: Context, error: ZodError) {
  const first = error.issues[0]
  const field = first?.path.map(String).join('.') ?? ''
  const message = first ? `${field || 'body'}: ${first.message}` : 'invalid input'
  return c.json(
    errorBody(c, 'invalid_input', message, {
      field,
      details: error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    }),
    400,
  )
}

/** The one error mapper: domain errors by code, zod failures as 400, HTTP exceptions as they are, else 500. */
export function onError(err: Error, c: Context) {
  if (err instanceof DomainError) {
    const { field, ...details } = err.details
    return c.json(
      errorBody(c, err.code, err.message, {
        ...(field ? { field } : {}),
        ...(Object.keys(details).length ? { details } : {}),
      }),
      httpStatusOf[err.code],
    )
  }
  if (err instanceof ZodError) return zodErrorResponse(c, err)
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthenticated' : 'http_error'
    return c.json(errorBody(c, code, err.message || 'request refused'), status)
  }
  if (err instanceof SyntaxError) {
    return c.json(errorBody(c, 'invalid_json', 'request body is not valid JSON'), 400)
  }
  const logger = c.get('logger') as { error(o: object, m?: string): void } | undefined
  logger?.error({ err, path: c.req.path }, 'unhandled error')
  return c.json(errorBody(c, 'internal', 'internal error'), 500)
}
