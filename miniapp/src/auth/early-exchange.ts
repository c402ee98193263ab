import type { AuthResponse } from '@/api/contract'
import { ApiError, readApiError } from '@/api/errors'
import type { LoginCode } from '@/platform/types'

/** What the inline script in index.html leaves on `window` when the URL carried a login code. */
export interface EarlyLogin {
  platform: string
  code: string
  response: Promise<Response>
}

type EarlyWindow = { __flowcardEarlyLogin?: EarlyLogin | undefined }

/**
 * The answer to the code exchange index.html started before the app's scripts had loaded, if it was for
 * this very code (taken once). Only for a same-origin API (`apiBaseUrl` empty), since the inline script
 * posts to the page's own origin.
 */
export function takeEarlyLogin(win: object, code: LoginCode, apiBaseUrl: string): Promise<Response> | null {
  const holder = win as EarlyWindow
  const early = holder.__flowcardEarlyLogin
  if (!early) return null
  holder.__flowcardEarlyLogin = undefined
  if (apiBaseUrl !== '' || early.platform !== code.platform || early.code !== code.code) return null
  return early.response
}

/**
 * Wraps the regular exchange: uses the early answer when there is one for this code, the same way the
 * typed client reads any answer (`ApiError` for a non-2xx, the session otherwise). If the early request
 * never reached the bot (a network failure), the regular exchange runs instead.
 */
export function withEarlyLogin(
  exchange: (code: LoginCode) => Promise<AuthResponse>,
  take: (code: LoginCode) => Promise<Response> | null,
): (code: LoginCode) => Promise<AuthResponse> {
  return async (code) => {
    const early = take(code)
    if (!early) return exchange(code)
    let response: Response
    try {
      response = await early
    } catch {
      return exchange(code)
    }
    if (!response.ok) throw await readApiError(response)
    try {
      return (await response.json()) as AuthResponse
    } catch (cause) {
      throw new ApiError({
        status: response.status,
        code: 'invalid_response',
        message: 'The server answered with something other than JSON',
        requestId: response.headers.get('x-request-id') ?? undefined,
        cause,
      })
    }
  }
}

/** A GET index.html started as soon as it had a session (the home page's to-dos), for the API client. */
export interface EarlyGet {
  path: string
  answer: Promise<{ token: string; locale: string; response: Promise<Response> } | null>
}

type EarlyGetWindow = { __flowcardEarlyGet?: EarlyGet | undefined }

/**
 * The answer to the GET index.html started early, for the API client (`ApiClientDeps.takeEarly`): only for
 * the very request it would send — same origin (`apiBaseUrl` empty), path with query, token and locale —
 * and only once. Null when there is none for this request; then, or when the early request failed or was
 * for another session, the client sends its own.
 */
export function takeEarlyGet(
  win: object,
  apiBaseUrl: string,
): (url: string, token: string | null, locale: string | undefined) => Promise<Response | null> | null {
  return (url, token, locale) => {
    const holder = win as EarlyGetWindow
    const early = holder.__flowcardEarlyGet
    if (!early || apiBaseUrl !== '' || !token) return null
    const target = new URL(url)
    const origin = (win as { location?: { origin?: string } }).location?.origin
    if (target.origin !== origin || `${target.pathname}${target.search}` !== early.path) return null
    holder.__flowcardEarlyGet = undefined
    return early.answer.then(
      (sent) => (sent && sent.token === token && sent.locale === (locale ?? 'zh-CN') ? sent.response : null),
      () => null,
    )
  }
}
