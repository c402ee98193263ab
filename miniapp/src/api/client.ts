import { ApiError, readApiError, toApiError } from './errors'

export interface ApiRequestInit extends Omit<RequestInit, 'body'> {
  body?: BodyInit | null
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown
  /** `false` for calls that must not carry the session or trigger a re-login (the login call itself). */
  auth?: boolean
  timeoutMs?: number
}

export interface ApiClientDeps {
  /** Origin of the bot when not same-origin; `''` means relative to the page. */
  baseUrl?: string
  fetch?: typeof fetch
  getToken(): string | null
  getLocale?(): string
  /**
   * The bot refused `rejectedToken` (401). Clear it and try to sign in again; resolve `true` when a new
   * session exists and the request should be sent once more.
   */
  onUnauthorized(rejectedToken: string | null): Promise<boolean>
  /**
   * A sign-in in progress (the app exchanges its login code while the first page renders). Authenticated
   * requests wait for it rather than go out without a token and come back 401. Its outcome is not this
   * request's concern: a failed sign-in leaves no token and the usual 401 path takes over.
   */
  signingIn?(): Promise<unknown> | null
  /**
   * An answer to this very GET that was asked for before the app loaded (index.html starts the home
   * page's to-dos as soon as it has a session; `takeEarlyGet`), or null to send the request. A promise
   * resolving to null, or rejecting, means: send it after all.
   */
  takeEarly?(url: string, token: string | null, locale: string | undefined): Promise<Response | null> | null
}

export interface ApiClient {
  /** Absolute URL of an API path (relative to the bot's origin); openapi-fetch needs absolute URLs. */
  url(path: string): string
  /** JSON call; throws `ApiError` for network failures and non-2xx answers. */
  request<T>(path: string, init?: ApiRequestInit): Promise<T>
  /**
   * `fetch` with the session header, locale and 401 re-login, returning the raw `Response` (non-2xx
   * included). Shaped for openapi-fetch's `fetch` option, so generated clients share the session logic.
   */
  fetch(request: Request, options?: { auth?: boolean; timeoutMs?: number }): Promise<Response>
  /**
   * Sends `body` as the raw request body with upload progress (0–1), the session header, locale and the
   * same one re-login on 401; answers the parsed JSON or throws `ApiError` with the bot's message.
   */
  upload<T>(path: string, body: Blob, options?: UploadOptions): Promise<T>
}

export interface UploadOptions {
  contentType?: string
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
}

const DEFAULT_TIMEOUT_MS = 15_000

function resolveUrl(baseUrl: string, path: string): string {
  if (/^https?:\/\//.test(path)) return path
  const origin = baseUrl || (typeof location === 'undefined' ? 'http://localhost' : location.origin)
  return new URL(path, `${origin}/`).toString()
}

export function createApiClient(deps: ApiClientDeps): ApiClient {
  const baseUrl = (deps.baseUrl ?? '').replace(/\/+$/, '')
  const doFetch: typeof fetch = deps.fetch ?? ((input, init) => fetch(input, init))

  async function attempt(
    request: Request,
    auth: boolean,
    timeoutMs: number,
  ): Promise<{ response: Response; token: string | null }> {
    const token = auth ? deps.getToken() : null
    const headers = new Headers(request.headers)
    if (!headers.has('Accept')) headers.set('Accept', 'application/json')
    const locale = deps.getLocale?.()
    if (locale && !headers.has('Accept-Language')) headers.set('Accept-Language', locale)
    if (token) headers.set('Authorization', `Bearer ${token}`)

    const controller = new AbortController()
    const upstream = request.signal
    const onAbort = () => controller.abort(upstream.reason)
    if (upstream.aborted) controller.abort(upstream.reason)
    else upstream.addEventListener('abort', onAbort)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, timeoutMs)
    try {
      const early = auth && request.method === 'GET' ? deps.takeEarly?.(request.url, token, locale) : null
      const taken = early ? await early.catch(() => null) : null
      if (taken && upstream.aborted) throw upstream.reason
      const response = taken ?? (await doFetch(new Request(request, { headers, signal: controller.signal })))
      return { response, token }
    } catch (cause) {
      if (timedOut)
        throw new ApiError({ status: 0, code: 'timeout', message: 'The request timed out', cause })
      if (upstream.aborted) throw cause
      throw new ApiError({ status: 0, code: 'network_error', message: 'The network is unavailable', cause })
    } finally {
      clearTimeout(timer)
      upstream.removeEventListener('abort', onAbort)
    }
  }

  async function send(
    request: Request,
    options: { auth?: boolean; timeoutMs?: number } = {},
  ): Promise<Response> {
    const auth = options.auth ?? true
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    // Keep an unread copy: the body can be sent only once per Request.
    const retryCopy = auth ? request.clone() : null
    const signingIn = auth ? deps.signingIn?.() : null
    if (signingIn) await signingIn.catch(() => undefined)
    const first = await attempt(request, auth, timeoutMs)
    if (first.response.status !== 401 || !retryCopy) return first.response
    if (!(await deps.onUnauthorized(first.token))) return first.response
    return (await attempt(retryCopy, auth, timeoutMs)).response
  }

  /** One XHR upload (fetch cannot report upload progress); resolves with the status and body text. */
  function xhrUpload(
    url: string,
    body: Blob,
    options: UploadOptions,
  ): Promise<{ status: number; statusText: string; text: string; requestId: string | null; token: string | null }> {
    const token = deps.getToken()
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      xhr.open('POST', url)
      xhr.setRequestHeader('Accept', 'application/json')
      xhr.setRequestHeader('Content-Type', options.contentType || body.type || 'application/octet-stream')
      const locale = deps.getLocale?.()
      if (locale) xhr.setRequestHeader('Accept-Language', locale)
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) options.onProgress?.(Math.min(1, e.loaded / e.total))
      }
      xhr.onload = () =>
        resolve({
          status: xhr.status,
          statusText: xhr.statusText,
          text: xhr.responseText,
          requestId: xhr.getResponseHeader('x-request-id'),
          token,
        })
      xhr.onerror = () =>
        reject(new ApiError({ status: 0, code: 'network_error', message: 'The network is unavailable' }))
      xhr.onabort = () => reject(new DOMException('The upload was cancelled', 'AbortError'))
      options.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
      xhr.send(body)
    })
  }

  return {
    url: (path) => resolveUrl(baseUrl, path),
    fetch: send,

    async upload<T>(path: string, body: Blob, options: UploadOptions = {}): Promise<T> {
      const url = resolveUrl(baseUrl, path)
      const signingIn = deps.signingIn?.()
      if (signingIn) await signingIn.catch(() => undefined)
      let answer = await xhrUpload(url, body, options)
      if (answer.status === 401 && (await deps.onUnauthorized(answer.token))) {
        answer = await xhrUpload(url, body, options)
      }
      let parsed: unknown
      try {
        parsed = answer.text ? JSON.parse(answer.text) : undefined
      } catch {
        parsed = undefined
      }
      if (answer.status < 200 || answer.status >= 300) {
        throw toApiError(answer.status, parsed, answer.statusText, answer.requestId)
      }
      return parsed as T
    },

    async request<T>(path: string, init: ApiRequestInit = {}): Promise<T> {
      const { json, auth, timeoutMs, body, ...rest } = init
      const headers = new Headers(rest.headers)
      let payload: BodyInit | null | undefined = body
      if (json !== undefined) {
        headers.set('Content-Type', 'application/json')
        payload = JSON.stringify(json)
      }
      const request = new Request(resolveUrl(baseUrl, path), { ...rest, headers, body: payload })
      const response = await send(request, { auth, timeoutMs })
      if (!response.ok) throw await readApiError(response)
      if (response.status === 204) return undefined as T
      const text = await response.text()
      if (!text) return undefined as T
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (cause) {
        throw new ApiError({
          status: response.status,
          code: 'invalid_response',
          message: 'The server answered with something other than JSON',
          requestId: response.headers.get('x-request-id') ?? undefined,
          cause,
        })
      }
      return parsed as T
    },
  }
}
