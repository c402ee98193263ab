import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ZodError } from 'zod'
import { DomainError, type DomainErrorCode } from '../domain/errors'
import { SecretUnavailableError } from '../lib/secret-box'

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
    const { field, retryAfterSeconds, ...details } = err.details
    if (typeof retryAfterSeconds === 'number') c.header('retry-after', String(retryAfterSeconds))
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
  if (err instanceof SecretUnavailableError) return secretUnavailable(err, c)
  if (err instanceof SyntaxError) {
    return c.json(errorBody(c, 'invalid_json', 'request body is not valid JSON'), 400)
  }
  const db = databaseErrorOf(err)
  if (db) {
    const logger = c.get('logger') as { warn(o: object, m?: string): void } | undefined
    logger?.warn({ err, path: c.req.path, sqlstate: db.sqlstate }, 'database refused the request')
    if (db.status === 503) c.header('retry-after', String(RETRY_AFTER_SECONDS))
    return c.json(errorBody(c, db.code, db.message, db.field ? { field: db.field } : {}), db.status)
  }
  const logger = c.get('logger') as { error(o: object, m?: string): void } | undefined
  logger?.error({ err, path: c.req.path }, 'unhandled error')
  return c.json(errorBody(c, 'internal', 'internal error'), 500)
}

/** Problems with stored secrets already logged by this process (`reason:key id`): each is logged once. */
const secretProblemsLogged = new Set<string>()

/**
 * A stored secret the request needs cannot be opened here (its key is not in ENCRYPTION_KEYS, or it does not
 * authenticate): 503 with a code naming the problem, the key id and what fixes it; no secret material. The
 * administrator is told once per problem in the log (not once per request: an integrator retrying would
 * fill it).
 */
function secretUnavailable(err: SecretUnavailableError, c: Context) {
  const seen = `${err.reason}:${err.keyId}`
  if (!secretProblemsLogged.has(seen)) {
    secretProblemsLogged.add(seen)
    if (secretProblemsLogged.size > 100) secretProblemsLogged.clear()
    const logger = c.get('logger') as { error(o: object, m?: string): void } | undefined
    logger?.error(
      { keyId: err.keyId, reason: err.reason, path: c.req.path },
      err.reason === 'key-missing'
        ? 'a request needs a stored secret sealed with a key ENCRYPTION_KEYS does not list: add that key back (after the current one), or rotate the secret'
        : 'a request needs a stored secret that does not authenticate (changed in the database?): rotate the secret',
    )
  }
  const message =
    err.reason === 'key-missing'
      ? `the secret stored for this caller is sealed with encryption key "${err.keyId}", which this server's ENCRYPTION_KEYS does not list; an administrator must add the key back or rotate the secret`
      : `the secret stored for this caller (encryption key "${err.keyId}") cannot be read; an administrator must rotate the secret`
  return c.json(
    errorBody(c, err.reason === 'key-missing' ? 'secret_key_missing' : 'secret_unreadable', message),
    503,
  )
}

/** Seconds a client should wait before retrying while the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5

export interface DatabaseErrorMapping {
  status: 400 | 409 | 503
  code: 'invalid_input' | 'conflict' | 'unavailable'
  message: string
  sqlstate: string
  field?: string
}

const INPUT_STATES: Record<string, string> = {
  '22P05': 'text contains a character the database cannot store',
  '22021': 'text is not valid UTF-8',
  '22P02': 'a value has the wrong format',
  '22003': 'a number is out of range',
  '22007': 'a date or time has the wrong format',
  '22008': 'a date or time is out of range',
  '22001': 'a value is too long',
  '23502': 'a required value is missing',
  '23514': 'a value breaks a rule',
  '23503': 'a referenced record does not exist',
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
])

/**
 * Maps what PostgreSQL (or the driver) refused to an answer the client can act on: bad input → 400, a
 * uniqueness race → 409, an unreachable database → 503. Walks `cause` because drizzle wraps driver errors.
 * Nothing from the query text or its parameters goes into the answer.
 */
export function databaseErrorOf(err: unknown): DatabaseErrorMapping | null {
  let e: unknown = err
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') {
      const column =
        (e as { column_name?: unknown; column?: unknown }).column_name ?? (e as { column?: unknown }).column
      const field = typeof column === 'string' && column ? camel(column) : undefined
      const withField = field ? { field } : {}
      if (code in INPUT_STATES || code.startsWith('22'))
        return {
          status: 400,
          code: 'invalid_input',
          message: INPUT_STATES[code] ?? 'a value is not valid',
          sqlstate: code,
          ...withField,
        }
      if (code === '23505' || code === '40001' || code === '40P01')
        return {
          status: 409,
          code: 'conflict',
          message: 'the record changed at the same time; try again',
          sqlstate: code,
        }
      if (CONNECTION_CODES.has(code) || code.startsWith('08'))
        return {
          status: 503,
          code: 'unavailable',
          message: 'the database is unavailable; try again shortly',
          sqlstate: code,
        }
    }
    e = (e as { cause?: unknown }).cause
  }
  return null
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase())
