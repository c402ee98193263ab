import type { PlatformUserRef } from '../../chat/model'
import { DomainError } from '../../domain/errors'
import type { Logger } from '../../lib/logger'
import type { FeishuEnvConfig } from './config'
import type { FeishuInboundOptions } from './inbound'
import type { RenderOptions } from './render'

/**
 * What the HTTP side needs from Feishu's Open API where the official SDK cannot run (Cloudflare Workers:
 * the SDK's ESM build has no default export and it is built on Node's http stack): the bot's open_id (to
 * tell @-mentions of the bot in groups) and the exchange of a mini-app login code. Three REST calls over
 * the runtime's `fetch`, with the tenant_access_token cached until shortly before it expires. Sending and
 * card updates stay with the SDK adapter in the Node jobs process.
 */

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Token codes that mean "fetch a new tenant_access_token". */
const TOKEN_CODES = new Set([99991663, 99991661, 99991671])
/** Refresh this long before Feishu's stated expiry. */
const TOKEN_MARGIN_MS = 5 * 60_000
const TIMEOUT_MS = 10_000

/** The settings the edge client needs (the whole Feishu environment group). */
export type FeishuEdgeConfig = FeishuEnvConfig

export class FeishuEdgeError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(`feishu ${code || `HTTP ${status}`}: ${message}`)
    this.name = 'FeishuEdgeError'
  }
}

export interface FeishuEdge {
  inbound: FeishuInboundOptions
  exchangeLoginCode(code: string): Promise<PlatformUserRef & { tenantKey: string; name?: string }>
}

/** The signed-in user from `/open-apis/authen/v1/user_info` data (shared with the SDK adapter). */
export function loginUserOf(
  info: Record<string, unknown>,
): PlatformUserRef & { tenantKey: string; name?: string } {
  const openId = typeof info.open_id === 'string' ? info.open_id : ''
  const tenantKey = typeof info.tenant_key === 'string' ? info.tenant_key : ''
  if (!openId || !tenantKey) throw new DomainError('unauthenticated', 'login code is invalid or expired')
  const out: PlatformUserRef & { tenantKey: string; name?: string } = { openId, tenantKey }
  if (typeof info.union_id === 'string' && info.union_id) out.unionId = info.union_id
  if (typeof info.user_id === 'string' && info.user_id) out.userId = info.user_id
  if (typeof info.name === 'string' && info.name) out.name = info.name
  return out
}

export function createFeishuEdge(config: FeishuEdgeConfig, logger: Logger): FeishuEdge {
  const base = config.domain.replace(/\/+$/, '')
  let tenantToken: { value: string; expiresAt: number } | null = null
  let tokenLookup: Promise<string> | null = null
  let botOpenId: string | null = null
  let botLookup: Promise<string | null> | null = null

  async function call(method: 'GET' | 'POST', path: string, token: string | null, body?: Rec) {
    const headers: Record<string, string> = {}
    if (token) headers.authorization = `Bearer ${token}`
    if (body) headers['content-type'] = 'application/json; charset=utf-8'
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const text = await res.text()
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      throw new FeishuEdgeError(res.status, 0, `not JSON (${text.slice(0, 80)})`)
    }
    const rec = isRec(data) ? data : {}
    const code = typeof rec.code === 'number' ? rec.code : 0
    if (!res.ok || code !== 0)
      throw new FeishuEdgeError(res.status, code, typeof rec.msg === 'string' ? rec.msg : 'error')
    return rec
  }

  async function fetchTenantToken(): Promise<string> {
    const res = await call('POST', '/open-apis/auth/v3/tenant_access_token/internal', null, {
      app_id: config.appId,
      app_secret: config.appSecret,
    })
    const value = typeof res.tenant_access_token === 'string' ? res.tenant_access_token : ''
    if (!value) throw new FeishuEdgeError(200, 0, 'no tenant_access_token in the answer')
    const expireS = typeof res.expire === 'number' ? res.expire : 7200
    tenantToken = { value, expiresAt: Date.now() + expireS * 1000 - TOKEN_MARGIN_MS }
    return value
  }

  async function tenantAccessToken(): Promise<string> {
    if (tenantToken && tenantToken.expiresAt > Date.now()) return tenantToken.value
    tokenLookup ??= fetchTenantToken().finally(() => {
      tokenLookup = null
    })
    return tokenLookup
  }

  /** A call with the tenant token; a token Feishu calls invalid is dropped and the call tried once more. */
  async function tenantCall(method: 'GET' | 'POST', path: string): Promise<Rec> {
    try {
      return await call(method, path, await tenantAccessToken())
    } catch (err) {
      if (!(err instanceof FeishuEdgeError) || !TOKEN_CODES.has(err.code)) throw err
      tenantToken = null
      return call(method, path, await tenantAccessToken())
    }
  }

  async function fetchBotOpenId(): Promise<string | null> {
    try {
      const res = await tenantCall('GET', '/open-apis/bot/v3/info')
      const bot = isRec(res.bot) ? res.bot : {}
      return typeof bot.open_id === 'string' ? bot.open_id : null
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'feishu bot info unavailable')
      return null
    }
  }

  const render: RenderOptions = { appId: config.appId, domain: config.domain }
  if (config.publicUrl) render.publicUrl = config.publicUrl

  return {
    inbound: {
      verificationToken: config.verificationToken,
      encryptKey: config.encryptKey,
      render,
      botOpenId: async () => {
        if (botOpenId) return botOpenId
        botLookup ??= fetchBotOpenId().finally(() => {
          botLookup = null
        })
        const id = await botLookup
        if (id) botOpenId = id
        return id
      },
    },

    async exchangeLoginCode(code) {
      let accessToken: string
      try {
        const token = await call('POST', '/open-apis/authen/v2/oauth/token', null, {
          grant_type: 'authorization_code',
          client_id: config.appId,
          client_secret: config.appSecret,
          code,
        })
        if (typeof token.access_token !== 'string' || !token.access_token)
          throw new DomainError('unauthenticated', 'login code is invalid or expired')
        accessToken = token.access_token
      } catch (err) {
        if (err instanceof DomainError) throw err
        if (err instanceof FeishuEdgeError && (err.code !== 0 || (err.status >= 400 && err.status < 500)))
          throw new DomainError('unauthenticated', 'login code is invalid or expired')
        throw new DomainError('unavailable', 'Feishu login is unavailable, try again')
      }
      let info: Rec
      try {
        const res = await call('GET', '/open-apis/authen/v1/user_info', accessToken)
        info = isRec(res.data) ? res.data : {}
      } catch {
        throw new DomainError('unavailable', 'Feishu login is unavailable, try again')
      }
      return loginUserOf(info)
    },
  }
}
