import { PermanentSendError, RateLimitedSendError } from '../../chat/port'
import { quotaMonthOf, quotaResetAt } from '../../domain/platform-usage'
import type { Logger } from '../../lib/logger'

/**
 * A small fetch client for both DingTalk API families: the "new" REST API on
 * `apiBase` (`x-acs-dingtalk-access-token` header, non-2xx + `{code, message}` on error) and the "old"
 * OAPI on `oapiBase` (`?access_token=`, HTTP 200 + `errcode`). One cached token serves both; it is
 * refreshed 5 minutes early with a single flight, and dropped and fetched again once when the platform
 * calls it invalid. No SDK: the official `@alicloud/dingtalk` packages are generated per API family and
 * cannot share one token cache or a configurable base URL for both hosts.
 */

export interface DingtalkAppConfig {
  clientId: string
  clientSecret: string
  /** `https://api.dingtalk.com` unless a fake is used. */
  apiBase: string
  /** `https://oapi.dingtalk.com` unless a fake is used. */
  oapiBase: string
}

export const DINGTALK_API_BASE = 'https://api.dingtalk.com'
export const DINGTALK_OAPI_BASE = 'https://oapi.dingtalk.com'

export type DingtalkFailure =
  | { kind: 'auth'; code: string; message: string }
  | { kind: 'rate_limited'; code: string; message: string; retryAfterMs: number }
  /** The org's monthly API-call quota is spent: nothing goes through until the month ends. */
  | { kind: 'quota_exhausted'; code: string; message: string }
  | { kind: 'permanent'; code: string; message: string }
  | { kind: 'transient'; code: string; message: string }

export class DingtalkCallError extends Error {
  constructor(readonly failure: DingtalkFailure) {
    super(`dingtalk ${failure.code}: ${failure.message}`)
    this.name = 'DingtalkCallError'
  }
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A throttled call is retried after this long (DingTalk sends no Retry-After). */
export const THROTTLE_RETRY_MS = 1000
/** The per-IP ban lasts 5 minutes and is answered with a "deny" page, not an error code. */
export const IP_BAN_RETRY_MS = 5 * 60_000
const REFRESH_EARLY_MS = 5 * 60_000
const TIMEOUT_MS = 10_000

/**
 * Old-API errcodes: invalid/expired token; the frequency limits (90018 per app per API, 90002 global;
 * 90019 and 90006 as seen for ISV apps); 90020 the org's monthly quota.
 */
const OLD_AUTH = new Set([40014, 42001, 40001])
const OLD_THROTTLED = new Set([90002, 90018, 90019, 90006])
const OLD_QUOTA = 90020
/** Server-side timeouts: retry later. */
const OLD_TRANSIENT = new Set([-1, 15, 88])

export function classifyNew(status: number, body: unknown): DingtalkFailure {
  const code = isRec(body) && typeof body.code === 'string' ? body.code : `http_${status}`
  const message = isRec(body) && typeof body.message === 'string' ? body.message : `HTTP ${status}`
  if (code === 'InvalidAuthentication' || status === 401) return { kind: 'auth', code, message }
  if (/ApiCountLimitForOrg/i.test(code)) return { kind: 'quota_exhausted', code, message }
  // `QpsLimitForAppkeyAndApi` (this app on this API) and `QpsLimitForApi` (the API for everyone).
  if (status === 429 || /QpsLimit|Throttling|FlowControl/i.test(code))
    return { kind: 'rate_limited', code, message, retryAfterMs: THROTTLE_RETRY_MS }
  if (status >= 500) return { kind: 'transient', code, message }
  return { kind: 'permanent', code, message }
}

export function classifyOld(errcode: number, errmsg: string): DingtalkFailure {
  const code = String(errcode)
  if (OLD_AUTH.has(errcode)) return { kind: 'auth', code, message: errmsg }
  if (errcode === OLD_QUOTA || /ApiCountLimitForOrg|\b90020\b/.test(errmsg))
    return { kind: 'quota_exhausted', code: String(OLD_QUOTA), message: errmsg }
  // Errcode 88 sometimes carries the throttle as a sub-code in its message.
  if (OLD_THROTTLED.has(errcode) || (errcode === 88 && /9001[89]|90002|QpsLimit/.test(errmsg)))
    return { kind: 'rate_limited', code, message: errmsg, retryAfterMs: THROTTLE_RETRY_MS }
  if (OLD_TRANSIENT.has(errcode)) return { kind: 'transient', code, message: errmsg }
  return { kind: 'permanent', code, message: errmsg }
}

/** A deny page of the per-IP ban (`{"status":1111,"punish":"deny"}`), answered with HTTP 200 and no errcode. */
export function isDenyPage(body: unknown): boolean {
  return isRec(body) && (body.punish === 'deny' || body.status === 1111) && body.errcode === undefined
}

const ipBanned = (message: string): DingtalkFailure => ({
  kind: 'rate_limited',
  code: 'ip_banned',
  message,
  retryAfterMs: IP_BAN_RETRY_MS,
})

export { quotaMonthOf, quotaResetAt }

export function toSendError(f: DingtalkFailure): Error {
  if (f.kind === 'rate_limited')
    return new RateLimitedSendError(f.retryAfterMs, `dingtalk ${f.code}: ${f.message}`)
  if (f.kind === 'quota_exhausted') {
    const now = Date.now()
    return new RateLimitedSendError(
      Math.min(quotaResetAt(now) - now, 3600_000),
      `dingtalk ${f.code}: monthly API quota spent`,
    )
  }
  if (f.kind === 'permanent') return new PermanentSendError(f.code, f.message)
  return new Error(`dingtalk ${f.code}: ${f.message}`)
}

export class DingtalkClient {
  private token: { value: string; expiresAt: number } | null = null
  private inflight: Promise<string> | null = null

  constructor(
    readonly config: DingtalkAppConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached app token, fetched from `POST /v1.0/oauth2/accessToken` when missing or nearly expired. */
  async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - REFRESH_EARLY_MS > this.now()) return this.token.value
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = null
    })
    return this.inflight
  }

  invalidate(): void {
    this.token = null
  }

  private async fetchToken(): Promise<string> {
    const { status, body } = await this.raw('POST', `${this.config.apiBase}/v1.0/oauth2/accessToken`, {
      appKey: this.config.clientId,
      appSecret: this.config.clientSecret,
    })
    if (status !== 200 || !isRec(body) || typeof body.accessToken !== 'string') {
      const f = classifyNew(status, body)
      // Bad credentials are a configuration error, not a token to refresh.
      throw new DingtalkCallError(f.kind === 'auth' ? { ...f, kind: 'permanent' } : f)
    }
    const ttl = typeof body.expireIn === 'number' ? body.expireIn : 7200
    this.token = { value: body.accessToken, expiresAt: this.now() + ttl * 1000 }
    return body.accessToken
  }

  private async raw(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (err) {
      throw new DingtalkCallError({
        kind: 'transient',
        code: 'network',
        message: err instanceof Error ? err.message : String(err),
      })
    }
    const text = await res.text().catch(() => '')
    const requestId = res.headers.get('x-acs-request-id') ?? ''
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : {}
    } catch {
      // Not JSON: the per-IP ban's HTML "deny" page, or a proxy's error page. Never data.
      throw new DingtalkCallError(
        /deny|punish|访问被拒绝/i.test(text)
          ? ipBanned(`HTTP ${res.status} deny page`)
          : { kind: 'transient', code: `not_json_${res.status}`, message: `HTTP ${res.status}, not JSON` },
      )
    }
    // The ban's JSON variant comes with HTTP 200 and looks like data.
    if (isDenyPage(parsed)) throw new DingtalkCallError(ipBanned(`HTTP ${res.status} deny answer`))
    if (requestId && isRec(parsed) && parsed.requestid === undefined) parsed.requestid = requestId
    return { status: res.status, body: parsed }
  }

  /** A call to the new REST API; resolves to the JSON body of a 2xx answer. */
  async api<T = Rec>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken()
      const { status, body: answer } = await this.raw(method, `${this.config.apiBase}${path}`, body, {
        'x-acs-dingtalk-access-token': token,
      })
      if (status >= 200 && status < 300) return answer as T
      const f = classifyNew(status, answer)
      if (f.kind === 'auth' && attempt === 1) {
        this.logger.info({ path }, 'dingtalk token refused, fetching a new one')
        this.invalidate()
        continue
      }
      throw new DingtalkCallError(f)
    }
  }

  /** A call to the old OAPI (`POST` JSON); resolves to the body when `errcode` is 0. */
  async oapi<T = Rec>(path: string, body: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken()
      const url = `${this.config.oapiBase}${path}?access_token=${encodeURIComponent(token)}`
      const { status, body: answer } = await this.raw('POST', url, body)
      if (status !== 200 || !isRec(answer)) throw new DingtalkCallError(classifyNew(status, answer))
      // Only an explicit errcode 0 is success: an answer without one is not data.
      if (typeof answer.errcode !== 'number')
        throw new DingtalkCallError({
          kind: 'transient',
          code: 'malformed',
          message: `answer without errcode (request ${String(answer.request_id ?? '-')})`,
        })
      const errcode = answer.errcode
      if (errcode === 0) return answer as T
      const f = classifyOld(errcode, typeof answer.errmsg === 'string' ? answer.errmsg : 'error')
      if (f.kind === 'auth' && attempt === 1) {
        this.invalidate()
        continue
      }
      throw new DingtalkCallError(f)
    }
  }
}
