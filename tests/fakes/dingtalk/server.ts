import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readBody } from '../feishu/http-util'
import { SlidingWindowLimiter } from '../feishu/rate-limiter'
import { FakeStreamGateway } from './stream-gateway'

/**
 * A fake DingTalk Open API on loopback: both API families on one port ("new"
 * `/v1.0/...` with the `x-acs-dingtalk-access-token` header and camelCase errors, "old" `/topapi/...` and
 * `/gettoken` with `?access_token=` and `errcode`). It enforces what our code must survive — token expiry,
 * per-app-per-API and global QPS limits with DingTalk's codes (`QpsLimitForAppkeyAndApi`/90018,
 * `QpsLimitForApi`/90002), the org's monthly API-call quota (`ApiCountLimitForOrg`/90020; token, contact and
 * login calls exempt) and Webhook&Stream push budget, the per-IP ban answered with a 200 "deny" page without
 * errcode, `param.cardAlreadyExist` for a repeated `outTrackId`, string-only card data, the robot batch
 * limits, replies through a message's `sessionWebhook` — and records every request for assertions.
 */

export const DEFAULT_APP_KEY = 'dingfakeappkey0123'
export const DEFAULT_APP_SECRET = 'fake-dingtalk-app-secret-0123456789abcdef'
export const DEFAULT_CORP_ID = 'dingcorp0123456789'

export interface FakeDeptSeed {
  deptId: number
  name: string
  parentId: number
}

export interface FakeUserSeed {
  userid: string
  name: string
  title?: string
  mobile?: string
  deptIds: number[]
  managerUserid?: string
  leader?: boolean
  /** false: a member who has not activated DingTalk yet (still employed and listed). */
  active?: boolean
  admin?: boolean
  boss?: boolean
}

export interface FakeGroupSeed {
  openConversationId: string
  name: string
  memberUserIds: string[]
  robotIsMember?: boolean
}

export interface FakeDingtalkOptions {
  appKey?: string
  appSecret?: string
  corpId?: string
  departments?: FakeDeptSeed[]
  users?: FakeUserSeed[]
  groups?: FakeGroupSeed[]
  /** Token lifetime, seconds (default 7200). */
  tokenTtlSeconds?: number
  /** Calls per second per API per app (internal apps: not published; 20 is the commonly reported figure). */
  perApiPerSecond?: number
  rateLimiting?: boolean
  /** Non-exempt API calls per org per month (a standard org: 5 000). */
  monthlyApiQuota?: number
  /** Webhook&Stream pushes per org per month (a standard org: 3 000; contact events exempt). */
  monthlyPushQuota?: number
  /** Calls from one IP within 20 s before a 5-minute ban (10 000). */
  ipBanThreshold?: number
  now?: () => number
  /**
   * The organisation's administrators (`/topapi/user/listadmin`): `sys_level` 1 is the main admin, 2 a
   * sub-admin. Default: the first person as the main admin.
   */
  admins?: Array<{ userid: string; sysLevel: 1 | 2 }>
}

/** What the org has used this month (the fake's own counters, as DingTalk's billing page shows them). */
export interface FakeUsage {
  apiCalls: number
  pushes: number
}

/** APIs outside the monthly quota: tokens, the whole contact book, login (`getuserinfo`), the stream gateway. */
export function quotaExempt(method: string, path: string): boolean {
  return (
    path === '/v1.0/oauth2/accessToken' ||
    path === '/gettoken' ||
    path === '/v1.0/gateway/connections/open' ||
    path.startsWith('/topapi/v2/user/') ||
    path.startsWith('/topapi/v2/department/') ||
    path.startsWith('/topapi/user/') ||
    (method === 'POST' && path === '/robot/sendBySession')
  )
}

export const defaultDepartments: FakeDeptSeed[] = [
  { deptId: 100, name: '销售部', parentId: 1 },
  { deptId: 200, name: '研发部', parentId: 1 },
  { deptId: 101, name: '华东销售', parentId: 100 },
]

export const defaultUsers: FakeUserSeed[] = [
  { userid: 'zhangsan', name: '张三', title: '总经理', deptIds: [1], leader: true },
  {
    userid: 'lisi',
    name: '李四',
    title: '销售经理',
    deptIds: [100],
    managerUserid: 'zhangsan',
    leader: true,
  },
  { userid: 'wangwu', name: '王五', title: '销售', deptIds: [101], managerUserid: 'lisi' },
  { userid: 'zhaoliu', name: '赵六', title: '工程师', deptIds: [200], managerUserid: 'zhangsan' },
  { userid: 'sunqi', name: '孙七', title: '销售', deptIds: [101, 200], managerUserid: 'lisi' },
]

export interface RecordedCall {
  seq: number
  at: number
  method: string
  path: string
  query: Record<string, string>
  /** Parsed JSON body; `appSecret`/`appsecret` redacted. */
  body: unknown
  status: number
  /** `code` (new API) or `errcode` (old API) of an error answer. */
  code: string | undefined
  throttled: boolean
  injected: boolean
}

export interface FakeCard {
  outTrackId: string
  cardTemplateId: string
  openSpaceId: string
  spaces: Array<{ spaceType: string; spaceId: string }>
  cardParamMap: Record<string, string>
  privateData: Record<string, Record<string, string>>
  callbackType: string | undefined
  callbackRouteKey: string | undefined
  createdAt: number
  /** Every change: `create`, `update` (PUT), `callback` (a tap answer applied). */
  history: Array<{ via: 'create' | 'update' | 'callback'; at: number; cardParamMap: Record<string, string> }>
  /** How many createAndDeliver calls named this outTrackId (the first one delivers). */
  createCalls: number
}

/** A reply posted through a robot message's `sessionWebhook`. */
export interface FakeSessionReply {
  session: string
  msgtype: string
  body: Record<string, unknown>
  at: number
}

/** A work notification (`asyncsend_v2`): one call, up to 100 users. */
export interface FakeWorkNotice {
  taskId: number
  userIds: string[]
  msg: Record<string, unknown>
  at: number
}

export interface FakeRobotMessage {
  processQueryKey: string
  kind: 'oto' | 'group'
  to: string
  msgKey: string
  msgParam: Record<string, unknown>
  at: number
}

interface Injected {
  method: string
  path: string
  status: number
  body: Record<string, unknown>
  times: number
}

export interface FakeDingtalk {
  url: string
  appKey: string
  appSecret: string
  corpId: string
  robotCode: string
  cards: Map<string, FakeCard>
  robotMessages: FakeRobotMessage[]
  sessionReplies: FakeSessionReply[]
  workNotices: FakeWorkNotice[]
  callbacks: Map<string, { callbackUrl: string; apiSecret: string | undefined }>
  /** The Stream-mode gateway (`POST /v1.0/gateway/connections/open` + WebSocket `/connect`). */
  stream: FakeStreamGateway
  recorder: {
    calls: RecordedCall[]
    find(method: string, path: string): RecordedCall[]
    count(method: string, path: string): number
    clear(): void
  }
  controls: {
    /** Every issued token expires now (the next call with it gets InvalidAuthentication / 40014). */
    expireTokens(): void
    advanceTime(ms: number): void
    /** The next `times` calls of method+path answer with this status and body. */
    failNext(
      method: string,
      path: string,
      status: number,
      body: Record<string, unknown>,
      times?: number,
    ): void
    clearFailures(): void
    /** The next call of method+path is carried out, but its answer is lost (the connection drops). */
    dropNextResponse(method: string, path: string, times?: number): void
    resetRateLimits(): void
    setPerApiPerSecond(n: number): void
    /** Every API answers the global throttle (`QpsLimitForApi` / 90002) for the next `times` calls. */
    throttleGlobally(times: number): void
    /** This month's counters; `setUsage` moves them (e.g. to just under the quota). */
    usage(): FakeUsage
    setUsage(u: Partial<FakeUsage>): void
    setMonthlyQuota(q: { apiCalls?: number; pushes?: number }): void
    /** A new month: the counters start from zero. */
    newMonth(): void
    /** Counts one Webhook&Stream push; false once the month's push budget is spent (the push is dropped). */
    takePush(kind: 'robot' | 'card' | 'event'): boolean
    /** Ban this IP for `ms` (default 5 min): every call answers the 200 deny page, JSON or HTML. */
    banIp(ms?: number, variant?: 'json' | 'html'): void
    liftIpBan(): void
    /** Applies a card callback answer the way the client does: public data and the tapper's private data. */
    applyCallbackResponse(outTrackId: string, userId: string, response: unknown): void
    mintAuthCode(userid: string): string
    addUser(user: FakeUserSeed): void
    removeUser(userid: string): void
    /** Replaces the organisation's administrators. */
    setAdmins(admins: Array<{ userid: string; sysLevel: 1 | 2 }>): void
  }
  close(): Promise<void>
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

const MSG_KEYS = new Set([
  'sampleText',
  'sampleMarkdown',
  'sampleImageMsg',
  'sampleLink',
  'sampleActionCard',
  'sampleActionCard2',
  'sampleActionCard3',
  'sampleActionCard4',
  'sampleActionCard5',
  'sampleActionCard6',
])

/** Card data limits: key ≤ 100 bytes, value ≤ 1 KB, strings only. */
export const CARD_KEY_MAX_BYTES = 100
export const CARD_VALUE_MAX_BYTES = 1024

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

function checkParamMap(v: unknown): string | null {
  if (!isRec(v)) return 'cardParamMap must be an object'
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') return `cardParamMap.${k} must be a string`
    if (bytes(k) > CARD_KEY_MAX_BYTES) return `cardParamMap key ${k} too long`
    if (bytes(val) > CARD_VALUE_MAX_BYTES) return `cardParamMap.${k} exceeds ${CARD_VALUE_MAX_BYTES} bytes`
  }
  return null
}

export async function createFakeDingtalk(options: FakeDingtalkOptions = {}): Promise<FakeDingtalk> {
  const appKey = options.appKey ?? DEFAULT_APP_KEY
  const appSecret = options.appSecret ?? DEFAULT_APP_SECRET
  const corpId = options.corpId ?? DEFAULT_CORP_ID
  const ttl = (options.tokenTtlSeconds ?? 7200) * 1000
  let offset = 0
  const now = () => (options.now ?? Date.now)() + offset
  let perApi = options.perApiPerSecond ?? 20
  const limiting = options.rateLimiting ?? true
  const limiter = new SlidingWindowLimiter()
  const departments = new Map((options.departments ?? defaultDepartments).map((d) => [d.deptId, { ...d }]))
  const users = new Map((options.users ?? defaultUsers).map((u) => [u.userid, { ...u }]))
  let admins =
    options.admins ?? [...users.values()].slice(0, 1).map((u) => ({ userid: u.userid, sysLevel: 1 as const }))
  const groups = new Map((options.groups ?? []).map((g) => [g.openConversationId, g]))
  const tokens = new Map<string, number>()
  let current: { token: string; expiresAt: number } | null = null
  const cards = new Map<string, FakeCard>()
  const robotMessages: FakeRobotMessage[] = []
  const sessionReplies: FakeSessionReply[] = []
  const workNotices: FakeWorkNotice[] = []
  const usage: FakeUsage = { apiCalls: 0, pushes: 0 }
  let apiQuota = options.monthlyApiQuota ?? 5000
  let pushQuota = options.monthlyPushQuota ?? 3000
  const ipBanThreshold = options.ipBanThreshold ?? 10_000
  let ipBan: { until: number; variant: 'json' | 'html' } | null = null
  const ipWindow: number[] = []
  let globalThrottle = 0
  let taskSeq = 1000
  const callbacks = new Map<string, { callbackUrl: string; apiSecret: string | undefined }>()
  const authCodes = new Map<string, { userid: string; expiresAt: number }>()
  const calls: RecordedCall[] = []
  let injected: Injected[] = []
  let drops: Array<{ method: string; path: string; times: number }> = []
  let seq = 0
  const requestId = () => randomBytes(8).toString('hex').toUpperCase()

  function issueToken(): { token: string; expiresAt: number } {
    // Within validity the same token comes back; after expiry a new one.
    if (current && current.expiresAt > now()) return current
    current = { token: `dtt_${randomBytes(12).toString('hex')}`, expiresAt: now() + ttl }
    tokens.set(current.token, current.expiresAt)
    return current
  }
  const tokenValid = (t: string | undefined) => !!t && (tokens.get(t) ?? 0) > now()

  function redact(body: unknown): unknown {
    if (!isRec(body)) return body
    const out: Rec = { ...body }
    for (const k of ['appSecret', 'appsecret', 'apiSecret', 'clientSecret'])
      if (k in out) out[k] = '[redacted]'
    return out
  }

  type Answer = { status: number; body: Rec; throttled?: boolean; injected?: boolean; html?: string }
  const newErr = (status: number, code: string, message: string): Answer => ({
    status,
    body: { code, message, requestid: requestId() },
  })
  const oldErr = (errcode: number, errmsg: string): Answer => ({
    status: 200,
    body: { errcode, errmsg, request_id: requestId() },
  })
  const oldOk = (rest: Rec): Answer => ({
    status: 200,
    body: { errcode: 0, errmsg: 'ok', ...rest, request_id: requestId() },
  })

  function userRecord(u: FakeUserSeed): Rec {
    return {
      userid: u.userid,
      unionid: `union_${u.userid}`,
      name: u.name,
      title: u.title ?? '',
      mobile: u.mobile ?? '',
      dept_id_list: u.deptIds,
      leader: u.leader ?? false,
      admin: (u.admin ?? false) || admins.some((a) => a.userid === u.userid),
      boss: u.boss ?? false,
      active: u.active ?? true,
    }
  }

  function route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
    headers: IncomingMessage['headers'],
  ): Answer {
    const isNew = path.startsWith('/v1.0/')
    const inj = injected.find((i) => i.method === method && i.path === path && i.times > 0)
    if (inj) {
      inj.times--
      return { status: inj.status, body: inj.body, injected: true }
    }
    // The per-IP limit (all APIs): 10 000 calls in 20 s → a 5-minute ban, answered 200 with a page, no errcode.
    const t0 = now()
    while (ipWindow.length > 0 && (ipWindow[0] ?? 0) <= t0 - 20_000) ipWindow.shift()
    ipWindow.push(t0)
    if (!ipBan && ipWindow.length > ipBanThreshold) ipBan = { until: t0 + 5 * 60_000, variant: 'json' }
    if (ipBan && ipBan.until > t0) {
      const deny = { status: 1111, wait: 5, punish: 'deny', msg: '请求过于频繁' }
      return ipBan.variant === 'html'
        ? { status: 200, body: deny, html: '<html><body><h1>访问被拒绝</h1>punish:deny</body></html>' }
        : { status: 200, body: deny }
    }
    if (ipBan) ipBan = null
    if (method === 'POST' && path === '/v1.0/gateway/connections/open') {
      const accept = headers.accept
      return gateway.open(body, typeof accept === 'string' ? accept : undefined)
    }
    // Tokens.
    if (method === 'POST' && path === '/v1.0/oauth2/accessToken') {
      if (!isRec(body) || body.appKey !== appKey || body.appSecret !== appSecret)
        return newErr(400, 'InvalidAuthentication', 'appKey 或 appSecret 不正确')
      const t = issueToken()
      return {
        status: 200,
        body: { accessToken: t.token, expireIn: Math.round((t.expiresAt - now()) / 1000) },
      }
    }
    if (method === 'GET' && path === '/gettoken') {
      if (query.appkey !== appKey || query.appsecret !== appSecret)
        return oldErr(40089, '不合法的appKey或appSecret')
      const t = issueToken()
      return oldOk({ access_token: t.token, expires_in: Math.round((t.expiresAt - now()) / 1000) })
    }
    // A reply through a robot message's sessionWebhook (valid ~90 minutes, no access token).
    if (method === 'POST' && path === '/robot/sendBySession') {
      const session = query.session ?? ''
      if (!session) return oldErr(300001, 'session 不合法')
      const b0: Rec = isRec(body) ? body : {}
      if (typeof b0.msgtype !== 'string') return oldErr(40035, 'msgtype 必填')
      sessionReplies.push({ session, msgtype: b0.msgtype, body: b0, at: now() })
      return oldOk({})
    }
    // Authentication of everything else.
    if (isNew) {
      const h = headers['x-acs-dingtalk-access-token']
      if (!tokenValid(typeof h === 'string' ? h : undefined))
        return newErr(400, 'InvalidAuthentication', '不合法的access_token')
    } else if (!tokenValid(query.access_token)) {
      return oldErr(40014, '不合法的access_token')
    }
    // The global limit of one API (all orgs and apps): QpsLimitForApi / 90002.
    if (globalThrottle > 0) {
      globalThrottle--
      const a = isNew
        ? newErr(403, 'Forbidden.AccessDenied.QpsLimitForApi', '当前接口全局调用频率超过限制')
        : oldErr(90002, '服务器繁忙，当前接口全局调用频率超过限制')
      return { ...a, throttled: true }
    }
    // Per app per API (20 qps on a standard org): QpsLimitForAppkeyAndApi / 90018.
    if (limiting && perApi > 0) {
      const d = limiter.hit(`${method} ${path}`, [{ limit: perApi, windowMs: 1000 }], now())
      if (!d.ok) {
        const a = isNew
          ? newErr(
              403,
              'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
              `当前应用调用该接口的频率超过限制 (${perApi}/s)`,
            )
          : oldErr(90018, '当前应用调用该接口的QPS超过了最大限制')
        return { ...a, throttled: true }
      }
    }
    // The org's monthly quota of non-exempt calls: ApiCountLimitForOrg / 90020 until the month ends.
    if (!quotaExempt(method, path)) {
      if (usage.apiCalls >= apiQuota) {
        const message = `本月接口调用量已达上限: used ${usage.apiCalls}, quota ${apiQuota}`
        return isNew
          ? newErr(403, 'Forbidden.AccessDenied.ApiCountLimitForOrg', message)
          : oldErr(90020, message)
      }
      usage.apiCalls++
    }
    const b: Rec = isRec(body) ? body : {}
    if (method === 'POST' && path === '/v1.0/robot/oToMessages/batchSend') {
      if (b.robotCode !== appKey) return newErr(400, 'invalidParameter.robotCode', 'robotCode 不合法')
      const ids = Array.isArray(b.userIds) ? b.userIds.filter((x): x is string => typeof x === 'string') : []
      if (ids.length === 0 || ids.length > 20)
        return newErr(400, 'invalidParameter.userIds', 'userIds 需要 1-20 个')
      if (typeof b.msgKey !== 'string' || !MSG_KEYS.has(b.msgKey))
        return newErr(400, 'invalidParameter.msgKey', 'msgKey 不合法')
      let param: unknown
      try {
        param = typeof b.msgParam === 'string' ? JSON.parse(b.msgParam) : undefined
      } catch {}
      if (!isRec(param)) return newErr(400, 'invalidParameter.msgParam', 'msgParam 必须是 JSON 字符串')
      const processQueryKey = `pqk_${randomBytes(8).toString('hex')}`
      const invalid: string[] = []
      for (const id of ids) {
        if (!users.has(id)) invalid.push(id)
        else
          robotMessages.push({
            processQueryKey,
            kind: 'oto',
            to: id,
            msgKey: b.msgKey,
            msgParam: param,
            at: now(),
          })
      }
      return {
        status: 200,
        body: { processQueryKey, invalidStaffIdList: invalid, flowControlledStaffIdList: [] },
      }
    }
    if (method === 'POST' && path === '/v1.0/robot/groupMessages/send') {
      if (b.robotCode !== appKey) return newErr(400, 'invalidParameter.robotCode', 'robotCode 不合法')
      const g = typeof b.openConversationId === 'string' ? groups.get(b.openConversationId) : undefined
      if (!g) return newErr(400, 'invalidParameter.openConversationId', '会话不存在')
      if (g.robotIsMember === false) return newErr(400, 'robot.notInGroup', '机器人不在群内')
      if (typeof b.msgKey !== 'string' || !MSG_KEYS.has(b.msgKey))
        return newErr(400, 'invalidParameter.msgKey', 'msgKey 不合法')
      if (typeof b.msgParam !== 'string' || bytes(b.msgParam) > 15000)
        return newErr(400, 'invalidParameter.msgParam', 'msgParam 必须是不超过 15000 字节的 JSON 字符串')
      const processQueryKey = `pqk_${randomBytes(8).toString('hex')}`
      robotMessages.push({
        processQueryKey,
        kind: 'group',
        to: g.openConversationId,
        msgKey: b.msgKey,
        msgParam: JSON.parse(b.msgParam) as Rec,
        at: now(),
      })
      return { status: 200, body: { processQueryKey } }
    }
    if (method === 'POST' && path === '/topapi/message/corpconversation/asyncsend_v2') {
      const ids = typeof b.userid_list === 'string' ? b.userid_list.split(',').filter(Boolean) : []
      if (typeof b.agent_id !== 'number' && typeof b.agent_id !== 'string')
        return oldErr(40035, 'agent_id 必填')
      if (ids.length === 0 || ids.length > 100) return oldErr(40035, 'userid_list 需要 1-100 个')
      if (!isRec(b.msg) || typeof b.msg.msgtype !== 'string') return oldErr(40035, 'msg 不合法')
      if (bytes(JSON.stringify(b.msg)) > 2048) return oldErr(40035, 'msg 超过 2048 字节')
      const taskId = ++taskSeq
      workNotices.push({ taskId, userIds: ids, msg: b.msg, at: now() })
      return oldOk({ task_id: taskId })
    }
    if (method === 'POST' && path === '/v1.0/card/callbacks/register') {
      if (typeof b.callbackRouteKey !== 'string' || typeof b.callbackUrl !== 'string')
        return newErr(400, 'invalidParameter', 'callbackRouteKey 和 callbackUrl 必填')
      const existing = callbacks.get(b.callbackRouteKey)
      if (!existing || b.forceUpdate === true)
        callbacks.set(b.callbackRouteKey, {
          callbackUrl: b.callbackUrl,
          apiSecret: typeof b.apiSecret === 'string' ? b.apiSecret : undefined,
        })
      const reg = callbacks.get(b.callbackRouteKey)
      return {
        status: 200,
        body: { success: true, result: { callbackUrl: reg?.callbackUrl, apiSecret: '[redacted]' } },
      }
    }
    if (method === 'POST' && path === '/v1.0/card/instances/createAndDeliver') {
      for (const f of ['cardTemplateId', 'outTrackId', 'openSpaceId'])
        if (typeof b[f] !== 'string' || !b[f]) return newErr(400, `param.${f}Invalid`, `${f} 必填`)
      const cardData = isRec(b.cardData) ? b.cardData : undefined
      const problem = checkParamMap(cardData?.cardParamMap)
      if (problem) return newErr(400, 'invalidParameter.cardData', problem)
      const outTrackId = String(b.outTrackId)
      const prior = cards.get(outTrackId)
      if (prior) {
        // Not idempotent: the instance exists, nothing is created, changed or delivered again.
        prior.createCalls++
        return newErr(400, 'param.cardAlreadyExist', '卡片已经存在')
      }
      const openSpaceId = String(b.openSpaceId)
      const spaces: Array<{ spaceType: string; spaceId: string }> = []
      const deliverResults: Rec[] = []
      for (const part of openSpaceId.split(';')) {
        const m = /^dtv1\.card\/\/([A-Za-z_]+)\.(.+)$/.exec(part)
        if (!m?.[1] || !m[2]) return newErr(400, 'param.openSpaceIdInvalid', `openSpaceId 不合法: ${part}`)
        const spaceType = m[1].toUpperCase()
        const spaceId = m[2]
        let errorMsg: string | undefined
        if (spaceType === 'IM_GROUP') {
          const g = groups.get(spaceId)
          const deliver = isRec(b.imGroupOpenDeliverModel) ? b.imGroupOpenDeliverModel : undefined
          if (!isRec(b.imGroupOpenSpaceModel) || !deliver)
            errorMsg = 'imGroupOpenSpaceModel/imGroupOpenDeliverModel 必填'
          else if (deliver.robotCode !== appKey) errorMsg = 'robotCode 不合法'
          else if (!g) errorMsg = '群会话不存在'
          else if (g.robotIsMember === false) errorMsg = '机器人不在群内'
        } else if (spaceType === 'IM_ROBOT') {
          const deliver = isRec(b.imRobotOpenDeliverModel) ? b.imRobotOpenDeliverModel : undefined
          if (!isRec(b.imRobotOpenSpaceModel) || deliver?.spaceType !== 'IM_ROBOT')
            errorMsg = 'imRobotOpenSpaceModel/imRobotOpenDeliverModel 必填'
          else if (!users.has(spaceId)) errorMsg = '用户不存在'
        } else {
          errorMsg = `不支持的 spaceType ${spaceType}`
        }
        if (errorMsg) deliverResults.push({ spaceType, spaceId, success: false, errorMsg })
        else {
          spaces.push({ spaceType, spaceId })
          deliverResults.push({ spaceType, spaceId, success: true, carrierId: `car_${outTrackId}` })
        }
      }
      if (b.callbackType !== undefined && b.callbackType !== 'STREAM' && b.callbackType !== 'HTTP')
        return newErr(400, 'invalidParameter.callbackType', 'callbackType 必须是 STREAM 或 HTTP')
      if (
        b.callbackType === 'HTTP' &&
        (typeof b.callbackRouteKey !== 'string' || !callbacks.has(b.callbackRouteKey))
      )
        return newErr(400, 'invalidParameter.callbackRouteKey', 'callbackRouteKey 未注册')
      if (spaces.length > 0) {
        const map = { ...(cardData?.cardParamMap as Record<string, string>) }
        cards.set(outTrackId, {
          outTrackId,
          cardTemplateId: String(b.cardTemplateId),
          openSpaceId,
          spaces,
          cardParamMap: map,
          privateData: {},
          callbackType: typeof b.callbackType === 'string' ? b.callbackType : undefined,
          callbackRouteKey: typeof b.callbackRouteKey === 'string' ? b.callbackRouteKey : undefined,
          createdAt: now(),
          history: [{ via: 'create', at: now(), cardParamMap: map }],
          createCalls: 1,
        })
      }
      return { status: 200, body: { success: true, result: { outTrackId, deliverResults } } }
    }
    if (method === 'PUT' && path === '/v1.0/card/instances') {
      const card = typeof b.outTrackId === 'string' ? cards.get(b.outTrackId) : undefined
      if (!card) return newErr(400, 'param.cardNotExist', '卡片不存在')
      const cardData = isRec(b.cardData) ? b.cardData : undefined
      if (cardData) {
        const problem = checkParamMap(cardData.cardParamMap)
        if (problem) return newErr(400, 'invalidParameter.cardData', problem)
        const opts = isRec(b.cardUpdateOptions) ? b.cardUpdateOptions : {}
        const next = cardData.cardParamMap as Record<string, string>
        card.cardParamMap =
          opts.updateCardDataByKey === true ? { ...card.cardParamMap, ...next } : { ...next }
        card.history.push({ via: 'update', at: now(), cardParamMap: card.cardParamMap })
      }
      return { status: 200, body: { success: true, result: true } }
    }
    // Contacts (old API).
    if (method === 'POST' && path === '/topapi/v2/department/listsub') {
      const parent = Number(b.dept_id ?? 1)
      if (parent !== 1 && !departments.has(parent)) return oldErr(60003, '部门不存在')
      const result = [...departments.values()]
        .filter((d) => d.parentId === parent)
        .map((d) => ({ dept_id: d.deptId, name: d.name, parent_id: d.parentId }))
      return oldOk({ result })
    }
    if (method === 'POST' && path === '/topapi/v2/department/get') {
      const d = departments.get(Number(b.dept_id))
      if (!d) return oldErr(60003, '部门不存在')
      return oldOk({ result: { dept_id: d.deptId, name: d.name, parent_id: d.parentId, order: d.deptId } })
    }
    if (method === 'POST' && path === '/topapi/v2/user/list') {
      const dept = Number(b.dept_id)
      const size = Number(b.size)
      const cursor = Number(b.cursor ?? 0)
      if (!Number.isInteger(dept) || (dept !== 1 && !departments.has(dept)))
        return oldErr(60003, '部门不存在')
      if (!Number.isInteger(size) || size < 1 || size > 100)
        return oldErr(40035, 'size 不合法，必须在 1-100 之间')
      if (!Number.isInteger(cursor) || cursor < 0) return oldErr(40035, 'cursor 不合法')
      const members = [...users.values()].filter((u) => u.deptIds.includes(dept))
      const page = members.slice(cursor, cursor + size)
      const hasMore = cursor + size < members.length
      return oldOk({
        result: {
          has_more: hasMore,
          ...(hasMore ? { next_cursor: cursor + size } : {}),
          list: page.map(userRecord),
        },
      })
    }
    if (method === 'POST' && path === '/topapi/v2/user/get') {
      const u = typeof b.userid === 'string' ? users.get(b.userid) : undefined
      if (!u) return oldErr(60121, '找不到该用户')
      return oldOk({
        result: {
          ...userRecord(u),
          ...(u.managerUserid ? { manager_userid: u.managerUserid } : {}),
          leader_in_dept: u.deptIds.map((dept_id) => ({ dept_id, leader: u.leader ?? false })),
        },
      })
    }
    if (method === 'POST' && path === '/topapi/user/listadmin') {
      return oldOk({
        result: admins
          .filter((a) => users.has(a.userid))
          .map((a) => ({ userid: a.userid, sys_level: a.sysLevel })),
      })
    }
    if (method === 'POST' && path === '/topapi/v2/user/getuserinfo') {
      const code = typeof b.code === 'string' ? authCodes.get(b.code) : undefined
      if (!code || code.expiresAt < now()) return oldErr(40078, '不存在的临时授权码')
      authCodes.delete(String(b.code))
      const u = users.get(code.userid)
      return oldOk({
        result: {
          userid: code.userid,
          unionid: `union_${code.userid}`,
          name: u?.name ?? '',
          sys: false,
          sys_level: 0,
        },
      })
    }
    return isNew
      ? newErr(404, 'NotFound', `no route ${method} ${path}`)
      : oldErr(404, `no route ${method} ${path}`)
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1')
      const query = Object.fromEntries(u.searchParams)
      const raw = await readBody(req)
      let body: unknown
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'))
        } catch {
          body = undefined
        }
      }
      const method = req.method ?? 'GET'
      const isNew = u.pathname.startsWith('/v1.0/')
      const answer =
        raw.length > 0 && body === undefined
          ? isNew
            ? newErr(400, 'InvalidBody', 'body is not JSON')
            : oldErr(40035, 'body is not JSON')
          : route(method, u.pathname, query, body, req.headers)
      const code = answer.body.code ?? (answer.body.errcode !== 0 ? answer.body.errcode : undefined)
      const safeQuery = { ...query }
      if (safeQuery.appsecret) safeQuery.appsecret = '[redacted]'
      if (safeQuery.access_token) safeQuery.access_token = '[redacted]'
      calls.push({
        seq: ++seq,
        at: now(),
        method,
        path: u.pathname,
        query: safeQuery,
        body: redact(body),
        status: answer.status,
        code: code === undefined ? undefined : String(code),
        throttled: answer.throttled ?? false,
        injected: answer.injected ?? false,
      })
      const drop = drops.find((d) => d.method === method && d.path === u.pathname && d.times > 0)
      if (drop) {
        drop.times--
        req.socket.destroy()
        return
      }
      if (answer.html !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'text/html;charset=utf-8' })
        res.end(answer.html)
        return
      }
      res.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8' })
      res.end(JSON.stringify(answer.body))
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: 'ServiceUnavailable', message: String(err) }))
    })
  })
  function takePush(kind: 'robot' | 'card' | 'event'): boolean {
    if (kind === 'event') return true // contact events are exempt from the push budget
    if (usage.pushes >= pushQuota) return false
    usage.pushes++
    return true
  }
  let wsBase = ''
  const gateway = new FakeStreamGateway(
    server,
    () => wsBase,
    { clientId: appKey, clientSecret: appSecret },
    now,
    {
      takePush,
      callbackTypeOf: (outTrackId) => cards.get(outTrackId)?.callbackType,
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  wsBase = `ws://127.0.0.1:${port}`

  return {
    url: `http://127.0.0.1:${port}`,
    appKey,
    appSecret,
    corpId,
    robotCode: appKey,
    cards,
    robotMessages,
    sessionReplies,
    workNotices,
    callbacks,
    stream: gateway,
    recorder: {
      calls,
      find: (method, path) => calls.filter((c) => c.method === method && c.path === path),
      count: (method, path) => calls.filter((c) => c.method === method && c.path === path).length,
      clear: () => {
        calls.length = 0
      },
    },
    controls: {
      expireTokens: () => {
        for (const k of tokens.keys()) tokens.set(k, 0)
        current = null
      },
      advanceTime: (ms) => {
        offset += ms
      },
      failNext: (method, path, status, body, times = 1) => {
        injected.push({ method, path, status, body, times })
      },
      clearFailures: () => {
        injected = []
        drops = []
      },
      dropNextResponse: (method, path, times = 1) => {
        drops.push({ method, path, times })
      },
      resetRateLimits: () => limiter.reset(),
      setPerApiPerSecond: (n) => {
        perApi = n
      },
      throttleGlobally: (times) => {
        globalThrottle = times
      },
      usage: () => ({ ...usage }),
      setUsage: (u) => {
        if (u.apiCalls !== undefined) usage.apiCalls = u.apiCalls
        if (u.pushes !== undefined) usage.pushes = u.pushes
      },
      setMonthlyQuota: (q) => {
        if (q.apiCalls !== undefined) apiQuota = q.apiCalls
        if (q.pushes !== undefined) pushQuota = q.pushes
      },
      newMonth: () => {
        usage.apiCalls = 0
        usage.pushes = 0
      },
      takePush: (kind) => takePush(kind),
      banIp: (ms = 5 * 60_000, variant = 'json') => {
        ipBan = { until: now() + ms, variant }
      },
      liftIpBan: () => {
        ipBan = null
        ipWindow.length = 0
      },
      applyCallbackResponse: (outTrackId, userId, response) => {
        const card = cards.get(outTrackId)
        if (!card || !isRec(response)) return
        const opts = isRec(response.cardUpdateOptions) ? response.cardUpdateOptions : {}
        const pub = isRec(response.cardData) ? response.cardData.cardParamMap : undefined
        if (isRec(pub) && checkParamMap(pub) === null) {
          const next = pub as Record<string, string>
          card.cardParamMap =
            opts.updateCardDataByKey === true ? { ...card.cardParamMap, ...next } : { ...next }
          card.history.push({ via: 'callback', at: now(), cardParamMap: card.cardParamMap })
        }
        const priv = isRec(response.userPrivateData) ? response.userPrivateData.cardParamMap : undefined
        if (isRec(priv) && checkParamMap(priv) === null) {
          const next = priv as Record<string, string>
          card.privateData[userId] =
            opts.updatePrivateDataByKey === true ? { ...card.privateData[userId], ...next } : { ...next }
        }
      },
      setAdmins: (next) => {
        admins = next.map((a) => ({ ...a }))
      },
      mintAuthCode: (userid) => {
        const code = `auth_${randomBytes(8).toString('hex')}`
        authCodes.set(code, { userid, expiresAt: now() + 5 * 60_000 })
        return code
      },
      addUser: (user) => {
        users.set(user.userid, { ...user })
      },
      removeUser: (userid) => {
        users.delete(userid)
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        gateway.close()
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
