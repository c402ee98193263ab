/** The bot's error body: `{ error: { code, message, requestId, field? } }`. */
export interface ApiErrorBody {
  error: {
    code: string
    message: string
    requestId?: string
    field?: string
    details?: unknown
  }
}

/** Codes the client makes up itself when there is no error body from the bot. */
export type ClientErrorCode = 'network_error' | 'timeout' | 'invalid_response' | `http_${number}`

/**
 * A failed API call. `code` is the bot's stable error code (or a `ClientErrorCode`), `status` the HTTP
 * status (0 when no response arrived), `requestId` what support needs to find the server log.
 */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  readonly field: string | undefined
  readonly details: unknown

  constructor(init: {
    status: number
    code: string
    message: string
    requestId?: string
    field?: string
    details?: unknown
    cause?: unknown
  }) {
    super(init.message, { cause: init.cause })
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.requestId = init.requestId
    this.field = init.field
    this.details = init.details
  }

  get isNotFound(): boolean {
    return this.status === 404
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (!isRecord(value) || !isRecord(value.error)) return false
  const { code, message, requestId, field } = value.error
  return (
    typeof code === 'string' &&
    typeof message === 'string' &&
    (requestId === undefined || typeof requestId === 'string') &&
    (field === undefined || typeof field === 'string')
  )
}

/**
 * Builds the `ApiError` for a non-2xx answer from its status, parsed body (anything, or `undefined` when
 * it was not JSON) and `X-Request-Id` header. Kept separate from the transport so an openapi-fetch
 * client can reuse it on its `error` result.
 */
export function toApiError(
  status: number,
  body: unknown,
  statusText = '',
  requestIdHeader: string | null = null,
): ApiError {
  if (isApiErrorBody(body)) {
    return new ApiError({
      status,
      code: body.error.code,
      message: body.error.message,
      requestId: body.error.requestId ?? requestIdHeader ?? undefined,
      field: body.error.field,
      details: body.error.details,
    })
  }
  return new ApiError({
    status,
    code: `http_${status}`,
    message: statusText || `HTTP ${status}`,
    requestId: requestIdHeader ?? undefined,
  })
}

/** Reads an error response's body once, tolerating HTML error pages from proxies. */
export async function readApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '')
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  return toApiError(response.status, body, response.statusText, response.headers.get('x-request-id'))
}
