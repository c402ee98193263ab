import { createHash, createHmac } from 'node:crypto'
import type {
  Card,
  DirectoryDepartment,
  DirectorySnapshot,
  DirectoryUser,
  OutboundMessage,
  PlatformUserRef,
} from '../../chat/model'
import {
  type ChatPlatform,
  PermanentSendError,
  RateLimitedSendError,
  type SendRate,
  type TenantRef,
} from '../../chat/port'
import { DomainError } from '../../domain/errors'
import type { Locale } from '../../domain/locale'
import type { Logger } from '../../lib/logger'
import { acquireAll, MemoryRateLimiter, type Rate, type RateLimiter } from '../rate-limit'
import { SendWindow } from '../rate-limit/send-window'
import {
  type DingtalkAppConfig,
  DingtalkCallError,
  DingtalkClient,
  quotaResetAt,
  toSendError,
} from './client'
import { DM_PREFIX } from './events'
import { type DingtalkRenderOptions, renderCard, renderText } from './render'

/**
 * The DingTalk `ChatPlatform`: every message — card or text — is an interactive card from flowcard's one
 * template, created and delivered with `createAndDeliver` under an `outTrackId` derived from the idempotency
 * key, and updated with `PUT /v1.0/card/instances`. Creation is not idempotent: a repeated `outTrackId`
 * answers `param.cardAlreadyExist`, which means an earlier attempt (whose answer was lost) already delivered
 * it, so the card is brought up to date instead of being recorded as failed. Card calls count against the
 * org's monthly API quota: each is metered per tenant, and a spent quota pauses the tenant's sends until the
 * month ends (messages stay pending). Directory reads use the old contact API (one department level per
 * call, users paged by cursor) and fail closed: anything but an explicit success aborts the sync. Calls are
 * paced by the shared GCRA limiter before DingTalk's limits are hit; failures become the neutral errors.
 */

/**
 * Per API per app: a standard org gets 20 qps per app per API (`QpsLimitForAppkeyAndApi` beyond it), over a
 * sliding second. The GCRA paces at 20 calls per {@link API_WINDOW_MS} across processes; the send window
 * (`SendWindow`) then holds each call until the call 20 places before it left that long ago, counted at
 * departure, so late wake-ups never bunch 21 calls into the platform's second. The 10 ms margin covers the
 * way from departure to DingTalk's counter.
 */
export const API_LIMIT = 20
export const API_WINDOW_MS = 1010
export const API_RATE: Rate = { ratePerSec: (API_LIMIT * 1000) / API_WINDOW_MS, burst: 1 }
/** Sends/updates aimed at one user, chat or card: a little headroom against the per-API budget. */
export const TARGET_RATE: Rate = { ratePerSec: 5, burst: 1 }
/** Per egress IP, all APIs: 10 000 per 20 s, with a 10 % margin. */
export const IP_RATE: Rate = { ratePerSec: 450, burst: 20 }
const MAX_INLINE_WAIT_MS = 3000
/** What a bulk sender paces itself under: 20 card sends a second, 1,200 a minute per app. */
export const DINGTALK_SEND_RATE: SendRate = { perSecond: 20, perMinute: 1200 }
/** A paused send looks again this often (a manual resume or a quota top-up takes effect within it). */
export const QUOTA_RECHECK_MS = 3600_000

export interface DingtalkPlatformConfig extends DingtalkAppConfig {
  /** The robot sending cards (internal apps: the AppKey). */
  robotCode: string
  /** flowcard's card template (the card platform's `….schema` id). */
  cardTemplateId: string
}

/** Where the adapter reports quota-counted calls and reads/sets a tenant's quota pause (see `bot/domain/platform-usage`). */
export interface DingtalkUsageMeter {
  /** One call that counts against the org's monthly API quota was made for the tenant. */
  countApiCall(tenantId: string, api: string): Promise<void>
  /** Until when the tenant's DingTalk sends are paused (epoch ms), or null. */
  pausedUntil(tenantId: string): Promise<number | null>
  /** The quota ran out: pause the tenant's sends until `until`, and tell its admins. */
  pause(tenantId: string, until: number, reason: string): Promise<void>
}

export interface DingtalkPlatformOptions {
  /** Pace per API per app (default `API_RATE`). */
  apiRate?: Rate
  /** The per-process departure window for card calls (default: a new one). */
  sendWindow?: SendWindow
  /** Counts quota-counted calls per tenant and keeps the quota pause (also settable later with `useMeter`). */
  meter?: DingtalkUsageMeter
  limiter?: RateLimiter
  publicUrl?: string
  /**
   * HTTP card callbacks: registered once before the first card; without it cards use
   * `callbackType: STREAM` (taps arrive over the stream connection).
   */
  cardCallback?: { routeKey: string; url: string; apiSecret: string }
  /**
   * The app's own corpId (internal apps serve one org): enables the mini-app login exchange, whose answer
   * (`getuserinfo`) names the user but not the org.
   */
  corpId?: string
  /** Fetch each user's direct manager with `user/get` during a full sync (one call per user). Default true. */
  syncManagers?: boolean
  now?: () => number
}

export interface DingtalkPlatform extends ChatPlatform {
  readonly name: 'dingtalk'
  readonly config: DingtalkPlatformConfig
  readonly render: DingtalkRenderOptions
  readonly client: DingtalkClient
  syncDirectory(tenant: TenantRef): Promise<DirectorySnapshot>
  /** Attaches the usage meter once the database is up. */
  useMeter(meter: DingtalkUsageMeter): void
}

/** The mini-app login exchange: a `requestAuthCode` code → the user in the app's org. */
export async function exchangeDingtalkLoginCode(
  client: DingtalkClient,
  corpId: string,
  code: string,
): Promise<PlatformUserRef & { tenantKey: string; name?: string }> {
  let res: Rec
  try {
    res = await client.oapi<Rec>('/topapi/v2/user/getuserinfo', { code })
  } catch (err) {
    // 40078: unknown or used code; other permanent answers are refusals too.
    if (err instanceof DingtalkCallError && err.failure.kind === 'permanent')
      throw new DomainError('unauthenticated', 'login code is invalid or expired')
    throw new DomainError('unavailable', 'DingTalk login is unavailable, try again')
  }
  const r = isRec(res.result) ? res.result : {}
  const userid = str(r.userid)
  if (!userid) throw new DomainError('unauthenticated', 'login code is invalid or expired')
  const out: PlatformUserRef & { tenantKey: string; name?: string } = {
    openId: userid,
    userId: userid,
    tenantKey: corpId,
  }
  if (str(r.unionid)) out.unionId = str(r.unionid)
  if (str(r.name)) out.name = str(r.name)
  return out
}

/** `outTrackId` for an idempotency key: stable, URL-safe, bounded. */
export function outTrackIdOf(key: string): string {
  return `fc-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`
}

/** The card callback apiSecret, derived from the app secret so every replica agrees without another variable. */
export function cardApiSecretOf(clientSecret: string): string {
  return createHmac('sha256', clientSecret).update('flowcard/dingtalk/card-callback').digest('base64url')
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

export const ROOT_DEPARTMENT = '1'

/** An answer with errcode 0 but not the expected data: the sync stops (fail closed) instead of reading it as empty. */
function malformed(path: string, res: Rec): DingtalkCallError {
  return new DingtalkCallError({
    kind: 'transient',
    code: 'malformed',
    message: `${path}: unexpected result (request ${str(res.request_id) || '-'})`,
  })
}

function directoryUserOf(u: Rec): DirectoryUser | null {
  const userid = str(u.userid)
  if (!userid) return null
  const out: DirectoryUser = {
    openId: userid,
    userId: userid,
    name: str(u.name) || userid,
    departmentExternalIds: Array.isArray(u.dept_id_list) ? u.dept_id_list.map(str).filter(Boolean) : [],
    // `active: false` means "has not activated DingTalk yet", not "left": listed members are employed.
    // Leavers are absent from the listing (or arrive as user_leave_org).
    active: true,
  }
  if (str(u.unionid)) out.unionId = str(u.unionid)
  if (str(u.mobile)) out.mobile = str(u.mobile)
  if (str(u.email) || str(u.org_email)) out.email = str(u.org_email) || str(u.email)
  if (str(u.avatar)) out.avatarUrl = str(u.avatar)
  if (str(u.title)) out.jobTitle = str(u.title)
  if (str(u.manager_userid)) out.managerOpenId = str(u.manager_userid)
  return out
}

export function createDingtalkPlatform(
  config: DingtalkPlatformConfig,
  logger: Logger,
  options: DingtalkPlatformOptions = {},
): DingtalkPlatform {
  const client = new DingtalkClient(config, logger, options.now)
  const limiter = options.limiter ?? new MemoryRateLimiter()
  const departures = options.sendWindow ?? new SendWindow()
  /** Waits for the call's place in the API's departure window (see {@link API_WINDOW_MS}), then makes it. */
  const depart = async <T>(api: string, call: () => Promise<T>): Promise<T> => {
    await departures.admit(api, API_LIMIT, API_WINDOW_MS)
    return call()
  }
  const render: DingtalkRenderOptions = options.publicUrl ? { publicUrl: options.publicUrl } : {}
  const keyBase = `dingtalk:${config.clientId}`
  const now = options.now ?? Date.now
  let registered: Promise<void> | null = null
  let meter: DingtalkUsageMeter | null = options.meter ?? null
  /** Known quota pauses per tenant (epoch ms), refreshed from the meter at most every 30 s. */
  const paused = new Map<string, { until: number | null; checkedAt: number }>()
  /** What each outTrackId was last created with in this process (so a lost answer's retry skips the update). */
  const createdWith = new Map<string, string>()

  async function assertNotPaused(tenantId: string): Promise<void> {
    let p = paused.get(tenantId)
    if (meter && (!p || now() - p.checkedAt > 30_000)) {
      p = { until: await meter.pausedUntil(tenantId), checkedAt: now() }
      paused.set(tenantId, p)
    }
    if (p?.until && p.until > now())
      throw new RateLimitedSendError(
        Math.min(p.until - now(), QUOTA_RECHECK_MS),
        'dingtalk monthly API quota spent: paused until it resets',
      )
  }

  /** A quota-counted call for a tenant: checked against the pause, metered, and paused when the quota ends. */
  async function counted<T>(tenantId: string, api: string, fn: () => Promise<T>): Promise<T> {
    await assertNotPaused(tenantId)
    try {
      const out = await fn()
      await meterCall(tenantId, api)
      return out
    } catch (err) {
      const f = err instanceof DingtalkCallError ? err.failure : null
      if (f?.kind === 'quota_exhausted') {
        const until = quotaResetAt(now())
        paused.set(tenantId, { until, checkedAt: now() })
        logger.error({ tenantId, code: f.code, until: new Date(until).toISOString() }, 'dingtalk quota spent')
        await meter?.pause(tenantId, until, `${f.code}: ${f.message}`).catch((e: unknown) => {
          logger.error({ err: e, tenantId }, 'dingtalk quota pause not recorded')
        })
        throw new RateLimitedSendError(
          Math.min(until - now(), QUOTA_RECHECK_MS),
          `dingtalk ${f.code}: monthly API quota spent`,
        )
      }
      // A DingTalk answer other than a throttle still counted against the quota.
      if (f && f.kind !== 'rate_limited' && f.code !== 'network') await meterCall(tenantId, api)
      throw err
    }
  }

  async function meterCall(tenantId: string, api: string): Promise<void> {
    if (!meter) return
    await meter.countApiCall(tenantId, api).catch((err: unknown) => {
      logger.warn({ err, tenantId, api }, 'dingtalk usage not counted')
    })
  }

  async function pace(api: string, target: string | null, maxWaitMs = MAX_INLINE_WAIT_MS): Promise<void> {
    const budgets = [
      { key: `${keyBase}:ip`, rate: IP_RATE },
      { key: `${keyBase}:api:${api}`, rate: options.apiRate ?? API_RATE },
      ...(target ? [{ key: `${keyBase}:${target}`, rate: TARGET_RATE }] : []),
    ]
    const r = await acquireAll(limiter, budgets, maxWaitMs)
    if (!r.ok) throw new RateLimitedSendError(r.retryAfterMs, 'dingtalk sender-side rate limit')
  }

  async function sendCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof DingtalkCallError) throw toSendError(err.failure)
      throw err
    }
  }

  /** Registers the HTTP card callback once per process (`forceUpdate`: the URL may have moved). */
  function ensureCallback(tenantId: string): Promise<void> {
    const cb = options.cardCallback
    if (!cb) return Promise.resolve()
    registered ??= sendCall(async () => {
      await pace('card.callbacks.register', null)
      await counted(tenantId, 'card.callbacks.register', () =>
        client.api('POST', '/v1.0/card/callbacks/register', {
          callbackRouteKey: cb.routeKey,
          callbackUrl: cb.url,
          apiSecret: cb.apiSecret,
          forceUpdate: true,
        }),
      )
    }).catch((err: unknown) => {
      registered = null
      throw err
    })
    return registered
  }

  /** One directory call; DingTalk throttling waits and retries instead of failing a sync. */
  async function contactCall<T>(path: string, body: Rec): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await pace(`contact:${path}`, null, 60_000).catch(() => undefined)
      try {
        return await client.oapi<T>(path, body)
      } catch (err) {
        const f = err instanceof DingtalkCallError ? err.failure : null
        // An IP ban (5 minutes) or anything but a short throttle/transient failure aborts the sync.
        if (
          !f ||
          (f.kind !== 'rate_limited' && f.kind !== 'transient') ||
          f.code === 'malformed' ||
          (f.kind === 'rate_limited' && f.retryAfterMs > 10_000) ||
          attempt >= 5
        ) {
          logger.warn({ path, code: f?.code, attempt }, 'dingtalk directory call failed')
          throw err
        }
        const wait = f.kind === 'rate_limited' ? f.retryAfterMs : 500 * attempt
        logger.info({ path, code: f.code, wait }, 'dingtalk directory call throttled, retrying')
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
  }

  /** Replaces a card's public data (`PUT /v1.0/card/instances`). */
  async function putCard(tenant: TenantRef, outTrackId: string, cardParamMap: Record<string, string>) {
    await assertNotPaused(tenant.id)
    await pace('card.update', `card:${outTrackId}`)
    await sendCall(() =>
      counted(tenant.id, 'card.update', () =>
        depart('card.update', () =>
          client.api('PUT', '/v1.0/card/instances', {
            outTrackId,
            cardData: { cardParamMap },
            cardUpdateOptions: { updateCardDataByKey: false },
            userIdType: 1,
          }),
        ),
      ),
    )
  }

  function spaceOf(message: OutboundMessage): { kind: 'IM_ROBOT' | 'IM_GROUP'; id: string } {
    if (message.to.kind === 'user') return { kind: 'IM_ROBOT', id: message.to.openId }
    const chatId = message.to.chatId
    return chatId.startsWith(DM_PREFIX)
      ? { kind: 'IM_ROBOT', id: chatId.slice(DM_PREFIX.length) }
      : { kind: 'IM_GROUP', id: chatId }
  }

  const lastMessage = (title: string) => ({ ZH_CN: title, EN_US: title })

  const platform: DingtalkPlatform = {
    name: 'dingtalk',
    sendRate: DINGTALK_SEND_RATE,
    config,
    render,
    client,

    useMeter(m: DingtalkUsageMeter) {
      meter = m
      paused.clear()
    },

    async send(tenant: TenantRef, message: OutboundMessage) {
      if (!config.cardTemplateId)
        throw new PermanentSendError('no_card_template', 'DINGTALK_CARD_TEMPLATE_ID is not set')
      const outTrackId = outTrackIdOf(message.idempotencyKey)
      const space = spaceOf(message)
      const cardParamMap =
        message.content.kind === 'card'
          ? renderCard(message.content.card, message.locale, render)
          : renderText(message.content.text, message.locale)
      await ensureCallback(tenant.id)
      await assertNotPaused(tenant.id)
      await pace('card.createAndDeliver', `${space.kind}:${space.id}`)
      const spaceModel = { supportForward: true, lastMessageI18n: lastMessage(cardParamMap.summary ?? '') }
      const body: Rec = {
        cardTemplateId: config.cardTemplateId,
        outTrackId,
        openSpaceId: `dtv1.card//${space.kind}.${space.id}`,
        cardData: { cardParamMap },
        userIdType: 1,
        ...(options.cardCallback
          ? { callbackType: 'HTTP', callbackRouteKey: options.cardCallback.routeKey }
          : { callbackType: 'STREAM' }),
        ...(space.kind === 'IM_ROBOT'
          ? {
              imRobotOpenSpaceModel: spaceModel,
              imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: config.robotCode },
            }
          : {
              imGroupOpenSpaceModel: spaceModel,
              imGroupOpenDeliverModel: { robotCode: config.robotCode },
            }),
      }
      const content = JSON.stringify(cardParamMap)
      const before = createdWith.get(outTrackId)
      createdWith.set(outTrackId, content)
      if (createdWith.size > 10_000) createdWith.delete(createdWith.keys().next().value as string)
      const sent = {
        platformMessageId: outTrackId,
        ...(space.kind === 'IM_GROUP' ? { chatId: space.id } : {}),
      }
      let res: Rec
      try {
        res = await sendCall(() =>
          counted(tenant.id, 'card.createAndDeliver', () =>
            depart('card.createAndDeliver', () =>
              client.api<Rec>('POST', '/v1.0/card/instances/createAndDeliver', body),
            ),
          ),
        )
      } catch (err) {
        if (!(err instanceof PermanentSendError) || err.platformCode !== 'param.cardAlreadyExist') throw err
        // An earlier attempt created and delivered it; its answer was lost. Delivered, not failed: bring the
        // card up to date unless this process knows it was created with this very content.
        logger.info({ outTrackId }, 'dingtalk card already exists: an earlier attempt delivered it')
        if (before !== content) await putCard(tenant, outTrackId, cardParamMap)
        return sent
      }
      const result = isRec(res.result) ? res.result : {}
      const delivered = Array.isArray(result.deliverResults) ? result.deliverResults.filter(isRec) : []
      const failed = delivered.find((d) => d.success !== true)
      if (res.success === false || failed || delivered.length === 0) {
        throw new PermanentSendError('deliver_failed', str(failed?.errorMsg) || 'card not delivered')
      }
      return sent
    },

    async updateCard(tenant: TenantRef, platformMessageId: string, card: Card, locale: Locale) {
      await putCard(tenant, platformMessageId, renderCard(card, locale, render))
    },

    async syncDirectory(_tenant: TenantRef): Promise<DirectorySnapshot> {
      const departments: DirectoryDepartment[] = [
        { externalId: ROOT_DEPARTMENT, name: '全公司', parentExternalId: null, leaderOpenId: null, order: 0 },
      ]
      // One level per call: walk the tree breadth first from the root.
      const queue = [ROOT_DEPARTMENT]
      const seen = new Set(queue)
      while (queue.length > 0) {
        const parent = queue.shift() as string
        const res = await contactCall<Rec>('/topapi/v2/department/listsub', {
          dept_id: Number(parent),
          language: 'zh_CN',
        })
        if (!Array.isArray(res.result)) throw malformed('/topapi/v2/department/listsub', res)
        for (const d of res.result.filter(isRec)) {
          const id = str(d.dept_id)
          if (!id || seen.has(id)) continue
          seen.add(id)
          queue.push(id)
          departments.push({
            externalId: id,
            name: str(d.name) || id,
            parentExternalId: str(d.parent_id) || ROOT_DEPARTMENT,
            leaderOpenId: null,
            order: departments.length,
          })
        }
      }
      const users = new Map<string, DirectoryUser>()
      const leaders = new Map<string, string>()
      for (const dept of departments) {
        let cursor = 0
        for (;;) {
          const res = await contactCall<Rec>('/topapi/v2/user/list', {
            dept_id: Number(dept.externalId),
            cursor,
            size: 100,
            language: 'zh_CN',
          })
          const result = isRec(res.result) ? res.result : null
          if (!result || !Array.isArray(result.list)) throw malformed('/topapi/v2/user/list', res)
          for (const item of result.list.filter(isRec)) {
            const u = directoryUserOf(item)
            if (!u) continue
            if (item.leader === true && !leaders.has(dept.externalId)) leaders.set(dept.externalId, u.openId)
            if (!users.has(u.openId)) users.set(u.openId, u)
          }
          if (result.has_more !== true || typeof result.next_cursor !== 'number') break
          cursor = result.next_cursor
        }
      }
      for (const d of departments) d.leaderOpenId = leaders.get(d.externalId) ?? null
      if (options.syncManagers !== false) {
        // The direct manager is only in user/get.
        for (const u of users.values()) {
          const res = await contactCall<Rec>('/topapi/v2/user/get', { userid: u.openId, language: 'zh_CN' })
          if (!isRec(res.result)) throw malformed('/topapi/v2/user/get', res)
          const m = str(res.result.manager_userid)
          if (m) u.managerOpenId = m
        }
      }
      return { departments, users: [...users.values()] }
    },

    async listAdmins(_tenant: TenantRef): Promise<string[] | null> {
      try {
        const res = await contactCall<Rec>('/topapi/user/listadmin', {})
        const list = Array.isArray(res.result) ? res.result : []
        return list.map((a) => (isRec(a) ? str(a.userid) : '')).filter(Boolean)
      } catch (err) {
        // No permission to read admins: the platform does not tell (FLOWCARD_ADMINS still applies).
        const f = err instanceof DingtalkCallError ? err.failure : null
        if (f && f.kind === 'permanent') return null
        throw err
      }
    },

    async fetchDirectoryEntry(_tenant: TenantRef, entity: 'user' | 'department', externalId: string) {
      try {
        if (entity === 'user') {
          const res = await contactCall<Rec>('/topapi/v2/user/get', { userid: externalId, language: 'zh_CN' })
          return isRec(res.result) ? directoryUserOf(res.result) : null
        }
        if (externalId === ROOT_DEPARTMENT) return null
        const res = await contactCall<Rec>('/topapi/v2/department/get', {
          dept_id: Number(externalId),
          language: 'zh_CN',
        })
        const d = isRec(res.result) ? res.result : null
        if (!d) return null
        const managers = Array.isArray(d.dept_manager_userid_list) ? d.dept_manager_userid_list.map(str) : []
        return {
          externalId,
          name: str(d.name) || externalId,
          parentExternalId: str(d.parent_id) || ROOT_DEPARTMENT,
          leaderOpenId: managers[0] || null,
          order: typeof d.order === 'number' ? d.order : 0,
        }
      } catch (err) {
        // 60121 user not found, 60003 department not found, 60011/50004 outside the contact scope.
        const f = err instanceof DingtalkCallError ? err.failure : null
        if (f && ['60121', '60003', '60011', '50004', '60020'].includes(f.code)) return null
        throw err
      }
    },
  }
  const corpId = options.corpId
  if (corpId) platform.exchangeLoginCode = (code) => exchangeDingtalkLoginCode(client, corpId, code)
  return platform
}
