import lark from '@larksuiteoapi/node-sdk'
import { PermanentSendError, RateLimitedSendError } from '../../chat/port'
import type { Logger } from '../../lib/logger'

/**
 * The official SDK's `Client`, set up the way this adapter needs it: `domain` from
 * FEISHU_DOMAIN (Feishu, Lark, a private deployment or the test double), a token cache of its own so a
 * stale token can be dropped, SDK logging turned down (we log the mapped outcome ourselves), and one
 * error mapping for both ways the SDK reports failure (a thrown AxiosError, or HTTP 200 with `code ≠ 0`).
 */

export interface FeishuAppConfig {
  appId: string
  appSecret: string
  /** Base URL, e.g. https://open.feishu.cn, https://open.larksuite.com, http://127.0.0.1:port. */
  domain: string
}

/** The SDK types keys as `string | Symbol` (the wrapper object type). */
// biome-ignore lint/complexity/noBannedTypes: matches the SDK's own `Cache` signature
type CacheKey = string | Symbol

/** The SDK `cache` contract, with a way to forget everything (a token the platform called invalid). */
export class TokenCache {
  private readonly values = new Map<string, { value: unknown; expiresAt: number | undefined }>()

  async get(key: CacheKey, options?: { namespace?: string }): Promise<unknown> {
    const e = this.values.get(this.k(key, options))
    if (!e) return undefined
    if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      this.values.delete(this.k(key, options))
      return undefined
    }
    return e.value
  }

  async set(key: CacheKey, value: unknown, expiresAt?: number, options?: { namespace?: string }) {
    this.values.set(this.k(key, options), { value, expiresAt })
    return true
  }

  clear(): void {
    this.values.clear()
  }

  private k(key: CacheKey, options?: { namespace?: string }): string {
    return `${options?.namespace ?? ''}/${String(key)}`
  }
}

/** SDK log lines go to debug: every failed call is logged at error level by the SDK, mapped ones by us. */
function sdkLogger(logger: Logger) {
  const at =
    (level: 'debug' | 'warn') =>
    (...args: unknown[]) => {
      logger[level]({ sdk: args.map((a) => (a instanceof Error ? a.message : a)) }, 'feishu sdk')
    }
  return { error: at('debug'), warn: at('debug'), info: at('debug'), debug: at('debug'), trace: at('debug') }
}

export function createSdkClient(config: FeishuAppConfig, logger: Logger, cache: TokenCache): lark.Client {
  return new lark.Client({
    appId: config.appId,
    appSecret: config.appSecret,
    domain: config.domain.replace(/\/+$/, ''),
    cache,
    logger: sdkLogger(logger),
    loggerLevel: lark.LoggerLevel.warn,
  })
}

/** A Feishu failure as we classify it. */
export type FeishuFailure =
  | { kind: 'rate_limited'; code: number; retryAfterMs: number; message: string }
  | { kind: 'token'; code: number; message: string }
  | { kind: 'permanent'; code: number; message: string }
  | { kind: 'transient'; code: number; message: string }

/** Codes that will not succeed on retry: unreachable user, bot not in chat, recalled, … */
export const PERMANENT_CODES = new Set([
  230001, // invalid parameter
  230002, // bot not in chat
  230006, // bot capability off
  230011, // recalled
  230110, // deleted
  230012, // not the sender
  230013, // user outside availability / resigned
  230017, // user blocked the bot
  230025, // body too large
  230027, // no permission
  230031, // older than 14 days
  230099, // card build failed
  232009, // chat disbanded
  99991672, // app lacks the scope
  99991676, // token lacks the scope
  99991543, // bad app id/secret
  99991662, // app disabled / not installed
  99991673, // app unavailable
  99992402, // field validation
])
const RATE_CODES = new Set([99991400, 230020])
const TOKEN_CODES = new Set([99991663, 99991661, 99991671])

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

function resetMs(headers: unknown): number {
  if (!isRec(headers)) return 1000
  const raw = headers['x-ogw-ratelimit-reset']
  const seconds = Number(Array.isArray(raw) ? raw[0] : raw)
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds * 1000) : 1000
}

/** Classifies a `{code, msg}` body (HTTP 200 or the body of a non-2xx answer). */
export function classifyCode(code: number, msg: string, status = 200, headers?: unknown): FeishuFailure {
  if (RATE_CODES.has(code) || status === 429)
    return { kind: 'rate_limited', code, retryAfterMs: resetMs(headers), message: msg }
  if (TOKEN_CODES.has(code)) return { kind: 'token', code, message: msg }
  if (PERMANENT_CODES.has(code)) return { kind: 'permanent', code, message: msg }
  return { kind: 'transient', code, message: msg }
}

/** Classifies anything an SDK call threw. Network errors and 5xx are transient (the queue retries). */
export function classifyError(err: unknown): FeishuFailure {
  if (isRec(err) && isRec(err.response)) {
    const res = err.response
    const status = Number(res.status)
    const data = isRec(res.data) ? res.data : {}
    const code = typeof data.code === 'number' ? data.code : status
    const msg = typeof data.msg === 'string' ? data.msg : `HTTP ${status}`
    if (status >= 500 && !RATE_CODES.has(code)) return { kind: 'transient', code, message: msg }
    return classifyCode(code, msg, status, res.headers)
  }
  const message = err instanceof Error ? err.message : String(err)
  const m = /code: (\d+)/.exec(message)
  if (m?.[1] && message.includes('tenant_access_token')) {
    return classifyCode(Number(m[1]), message)
  }
  return { kind: 'transient', code: 0, message }
}

/** The neutral error for a failure: the send processor records permanent ones and waits on rate limits. */
export function toSendError(f: FeishuFailure): Error {
  switch (f.kind) {
    case 'rate_limited':
      return new RateLimitedSendError(f.retryAfterMs, `feishu ${f.code}: ${f.message}`)
    case 'permanent':
      return new PermanentSendError(String(f.code), f.message)
    default:
      return new Error(`feishu ${f.code}: ${f.message}`)
  }
}

/** The failure in a resolved `{code, msg}` body, or null when `code` is 0. */
export function bodyFailure(body: unknown): FeishuFailure | null {
  if (!isRec(body)) return null
  const code = typeof body.code === 'number' ? body.code : 0
  if (code === 0) return null
  return classifyCode(code, typeof body.msg === 'string' ? body.msg : 'error')
}

/**
 * Runs one SDK call: a token the platform calls invalid is dropped and the call retried once; every other
 * failure is thrown as a {@link FeishuFailure}-derived error.
 */
export async function callFeishu<T>(cache: TokenCache, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let failure: FeishuFailure
    try {
      const body = await fn()
      const f = bodyFailure(body)
      if (!f) return body
      failure = f
    } catch (err) {
      failure = classifyError(err)
    }
    if (failure.kind === 'token' && attempt === 1) {
      cache.clear()
      continue
    }
    throw new FeishuCallError(failure)
  }
}

export class FeishuCallError extends Error {
  constructor(readonly failure: FeishuFailure) {
    super(`feishu ${failure.code}: ${failure.message}`)
    this.name = 'FeishuCallError'
  }
}
