import { createHash } from 'node:crypto'
import lark from '@larksuiteoapi/node-sdk'
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
import {
  callFeishu,
  createSdkClient,
  type FeishuAppConfig,
  FeishuCallError,
  type FeishuFailure,
  TokenCache,
  toSendError,
} from './client'
import { loginUserOf } from './edge'
import { directoryDepartmentOf, directoryEmployeeOf, directoryUserOf, EMPLOYEE_FIELDS } from './events'
import { type RenderOptions, renderCard } from './render'

/**
 * The Feishu/Lark `ChatPlatform`: sends, replies and card PATCHes through the official SDK, paced by a
 * sender-side limiter so the platform's limits are honoured before they are hit; failures
 * become the neutral errors the send processor understands.
 */

/**
 * App tier "1000/min & 50/s", both sliding windows. GCRA admits at most `burst + 60 × rate`
 * calls in any 60 s: 4 + 990 = 994 leaves 6 for network jitter, and 16.5/s is 99 % of the 1000/min average.
 */
export const APP_RATE: Rate = { ratePerSec: 16.5, burst: 4 }
/** The Feishu APIs a directory read uses; each has its own 1000/min. */
type ContactApi =
  | 'contact.department.children'
  | 'contact.department.get'
  | 'contact.user.find_by_department'
  | 'contact.user.get'
  | 'admin.app_admin_user.list'
  | 'directory.employee.filter'
/** Department member reads in flight during a directory sync (enough to keep APP_RATE busy at ~200 ms a call). */
const SYNC_LANES = 4
/** 5 QPS per receiving user, per chat, and per message for PATCH; a little margin for network jitter. */
export const TARGET_RATE: Rate = { ratePerSec: 4.5, burst: 1 }
/** What a bulk sender paces itself under: the app tier's 50/s and 1,000/min. */
export const FEISHU_SEND_RATE: SendRate = { perSecond: 50, perMinute: 1000 }
/** A send waits this long for its slot in-process; longer waits go back to the queue (no try used). */
const MAX_INLINE_WAIT_MS = 3000

export interface FeishuPlatform extends ChatPlatform {
  readonly name: 'feishu'
  readonly config: FeishuAppConfig
  readonly render: RenderOptions
  /** The bot's open_id from `/open-apis/bot/v3/info`, fetched once (null while unreachable). */
  botOpenId(): Promise<string | null>
  /** The SDK client (for the long connection's handshake settings and tests). */
  readonly sdk: lark.Client
  syncDirectory(tenant: TenantRef): Promise<DirectorySnapshot>
  exchangeLoginCode(code: string): Promise<PlatformUserRef & { tenantKey: string; name?: string }>
  readUsers(tenant: TenantRef, platformMessageId: string): Promise<Array<{ openId: string; readAt: Date }>>
  urgent(
    tenant: TenantRef,
    platformMessageId: string,
    openIds: string[],
  ): Promise<{ invalidOpenIds: string[] }>
}

export interface FeishuPlatformOptions {
  limiter?: RateLimiter
  publicUrl?: string
}

export { feishuConfigOf } from './config'

/** Feishu `uuid` (≤ 50 chars): the idempotency key itself, or its hash when longer. */
export function feishuUuid(key: string): string {
  return key.length <= 50 ? key : createHash('sha256').update(key).digest('hex').slice(0, 50)
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

export function createFeishuPlatform(
  config: FeishuAppConfig,
  logger: Logger,
  options: FeishuPlatformOptions = {},
): FeishuPlatform {
  const cache = new TokenCache()
  const client = createSdkClient(config, logger, cache)
  const limiter = options.limiter ?? new MemoryRateLimiter()
  const render: RenderOptions = { appId: config.appId, domain: config.domain }
  if (options.publicUrl) render.publicUrl = options.publicUrl
  const keyBase = `feishu:${config.appId}`
  let botOpenId: string | null = null
  let botLookup: Promise<string | null> | null = null

  /**
   * Waits for the app budget of this API and the target's; a long wait is handed back to the queue. Feishu's
   * tiers are per API, so sends, card PATCHes, read-receipt polls and urgent calls each
   * have their own 1000/min (create and reply share one, to stay on the safe side); otherwise polling read
   * receipts during a 10,000-card fan-out would slow the fan-out.
   */
  async function pace(target: string, tier: 'im.send' | 'im.patch' | 'im.read' | 'im.urgent'): Promise<void> {
    const r = await acquireAll(
      limiter,
      [
        { key: `${keyBase}:app:${tier}`, rate: APP_RATE },
        { key: `${keyBase}:${target}`, rate: TARGET_RATE },
      ],
      MAX_INLINE_WAIT_MS,
    )
    if (!r.ok) throw new RateLimitedSendError(r.retryAfterMs, 'feishu sender-side rate limit')
  }

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await callFeishu(cache, fn)
    } catch (err) {
      if (err instanceof FeishuCallError) throw toSendError(err.failure)
      throw err
    }
  }

  function content(message: OutboundMessage): { msg_type: string; content: string } {
    if (message.content.kind === 'text') {
      return { msg_type: 'text', content: JSON.stringify({ text: message.content.text }) }
    }
    return {
      msg_type: 'interactive',
      content: JSON.stringify(renderCard(message.content.card, message.locale, render)),
    }
  }

  const targetKey = (message: OutboundMessage) =>
    message.to.kind === 'user' ? `user:${message.to.openId}` : `chat:${message.to.chatId}`

  async function create(message: OutboundMessage, uuid: string) {
    const body = content(message)
    const res = await call(() =>
      client.im.v1.message.create({
        params: { receive_id_type: message.to.kind === 'user' ? 'open_id' : 'chat_id' },
        data: {
          receive_id: message.to.kind === 'user' ? message.to.openId : message.to.chatId,
          ...body,
          uuid,
        },
      }),
    )
    return res.data
  }

  async function reply(message: OutboundMessage, parentId: string, uuid: string) {
    const res = await call(() =>
      client.im.v1.message.reply({ path: { message_id: parentId }, data: { ...content(message), uuid } }),
    )
    return res.data
  }

  async function fetchBotOpenId(): Promise<string | null> {
    try {
      const res = await callFeishu(cache, () =>
        client.request<Rec>({ method: 'GET', url: '/open-apis/bot/v3/info' }),
      )
      const bot = isRec(res) && isRec(res.bot) ? res.bot : {}
      return typeof bot.open_id === 'string' ? bot.open_id : null
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'feishu bot info unavailable')
      return null
    }
  }

  /**
   * One directory call on its API's budget (Feishu limits each API separately, 1000/min each: the sync's
   * member reads never hold up a login's person fetch); rate limits wait and retry instead of failing.
   */
  async function contactCall<T>(api: ContactApi, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const r = await acquireAll(limiter, [{ key: `${keyBase}:app:${api}`, rate: APP_RATE }], 60_000)
      if (r.ok) {
        try {
          return await callFeishu(cache, fn)
        } catch (err) {
          const f: FeishuFailure | null = err instanceof FeishuCallError ? err.failure : null
          if (f?.kind !== 'rate_limited' || attempt >= 5) throw err
          await new Promise((resolve) => setTimeout(resolve, f.retryAfterMs))
        }
      }
    }
  }

  /** Every department under the root (contact v3 children, recursive, 50 a page), the root first. */
  async function readDepartments(): Promise<DirectoryDepartment[]> {
    const departments: DirectoryDepartment[] = [
      { externalId: '0', name: '全公司', parentExternalId: null, leaderOpenId: null, order: 0 },
    ]
    let pageToken: string | undefined
    do {
      const res = await contactCall('contact.department.children', () =>
        client.contact.v3.department.children({
          path: { department_id: '0' },
          params: {
            fetch_child: true,
            page_size: 50,
            department_id_type: 'open_department_id',
            user_id_type: 'open_id',
            ...(pageToken ? { page_token: pageToken } : {}),
          },
        }),
      )
      for (const item of res.data?.items ?? []) {
        if (isRec(item.status) && item.status.is_deleted === true) continue
        const d = directoryDepartmentOf(item as Rec)
        if (d) departments.push(d)
      }
      pageToken = res.data?.has_more ? res.data.page_token : undefined
    } while (pageToken)
    return departments
  }

  /**
   * Everyone in the app's contact scope through directory v1 `employees/filter` (no condition, 100 a page:
   * ~100 calls for 10,000 people instead of one per department); resigned people are left out, as the
   * department member list leaves them out. Null when the app lacks `directory:employee:list` (or the API
   * refuses the request): the caller then reads department by department.
   */
  async function readEmployees(): Promise<DirectoryUser[] | null> {
    const out: DirectoryUser[] = []
    let pageToken = ''
    try {
      do {
        const res = await contactCall('directory.employee.filter', () =>
          client.directory.v1.employee.filter({
            params: { employee_id_type: 'open_id', department_id_type: 'open_department_id' },
            data: {
              filter: { conditions: [] },
              required_fields: EMPLOYEE_FIELDS,
              page_request: { page_size: 100, page_token: pageToken },
            },
          }),
        )
        for (const item of res.data?.employees ?? []) {
          const u = directoryEmployeeOf(item as Rec)
          if (u?.active) out.push(u)
        }
        const page = res.data?.page_response
        pageToken = page?.has_more && page.page_token ? page.page_token : ''
      } while (pageToken)
      return out
    } catch (err) {
      const f: FeishuFailure | null = err instanceof FeishuCallError ? err.failure : null
      // Refused (no scope, a field it does not know) or not there at all (an API this deployment lacks).
      if (f?.kind !== 'permanent' && f?.code !== 404) throw err
      logger.warn(
        { code: f.code },
        'feishu employee list unavailable (directory:employee:list?), reading members per department',
      )
      return null
    }
  }

  /** Direct members of each department, SYNC_LANES departments at a time, merged in department order. */
  async function readMembers(departments: DirectoryDepartment[]): Promise<DirectoryUser[]> {
    const perDepartment: DirectoryUser[][] = departments.map(() => [])
    let next = 0
    const lane = async () => {
      for (let i = next++; i < departments.length; i = next++) {
        const dept = departments[i] as DirectoryDepartment
        let token: string | undefined
        do {
          const res = await contactCall('contact.user.find_by_department', () =>
            client.contact.v3.user.findByDepartment({
              params: {
                department_id: dept.externalId,
                department_id_type: 'open_department_id',
                user_id_type: 'open_id',
                page_size: 50,
                ...(token ? { page_token: token } : {}),
              },
            }),
          )
          for (const item of res.data?.items ?? []) {
            const u = directoryUserOf(item as Rec)
            if (u) perDepartment[i]?.push(u)
          }
          token = res.data?.has_more ? res.data.page_token : undefined
        } while (token)
      }
    }
    await Promise.all(Array.from({ length: Math.min(SYNC_LANES, departments.length) }, lane))
    return perDepartment.flat()
  }

  return {
    name: 'feishu',
    sendRate: FEISHU_SEND_RATE,
    config,
    render,
    sdk: client,

    botOpenId: async () => {
      if (botOpenId) return botOpenId
      botLookup ??= fetchBotOpenId().finally(() => {
        botLookup = null
      })
      const id = await botLookup
      if (id) botOpenId = id
      return id
    },

    async send(_tenant: TenantRef, message: OutboundMessage) {
      const uuid = feishuUuid(message.idempotencyKey)
      await pace(targetKey(message), 'im.send')
      let data: { message_id?: string; chat_id?: string } | undefined
      if (message.replyTo) {
        try {
          data = await reply(message, message.replyTo, uuid)
        } catch (err) {
          // The message we answer was recalled or deleted: say it in the chat instead.
          if (!(err instanceof PermanentSendError) || !['230011', '230110'].includes(err.platformCode))
            throw err
          data = await create(message, uuid)
        }
      } else {
        data = await create(message, uuid)
      }
      if (!data?.message_id) throw new Error('feishu send answered without a message_id')
      return { platformMessageId: data.message_id, ...(data.chat_id ? { chatId: data.chat_id } : {}) }
    },

    async updateCard(_tenant: TenantRef, platformMessageId: string, card: Card, locale: Locale) {
      await pace(`msg:${platformMessageId}`, 'im.patch')
      await call(() =>
        client.im.v1.message.patch({
          path: { message_id: platformMessageId },
          data: { content: JSON.stringify(renderCard(card, locale, render)) },
        }),
      )
    },

    async readUsers(_tenant: TenantRef, platformMessageId: string) {
      const out: Array<{ openId: string; readAt: Date }> = []
      let pageToken: string | undefined
      do {
        await pace(`msg:${platformMessageId}:read`, 'im.read')
        const res = await call(() =>
          client.im.v1.message.readUsers({
            path: { message_id: platformMessageId },
            params: {
              user_id_type: 'open_id',
              page_size: 100,
              ...(pageToken ? { page_token: pageToken } : {}),
            },
          }),
        )
        for (const item of res.data?.items ?? []) {
          if (item.user_id) out.push({ openId: item.user_id, readAt: new Date(Number(item.timestamp)) })
        }
        pageToken = res.data?.has_more ? res.data.page_token : undefined
      } while (pageToken)
      return out
    },

    async urgent(_tenant: TenantRef, platformMessageId: string, openIds: string[]) {
      const invalid: string[] = []
      for (let i = 0; i < openIds.length; i += 200) {
        await pace(`msg:${platformMessageId}:urgent`, 'im.urgent')
        const res = await call(() =>
          client.im.v1.message.urgentApp({
            path: { message_id: platformMessageId },
            params: { user_id_type: 'open_id' },
            data: { user_id_list: openIds.slice(i, i + 200) },
          }),
        )
        invalid.push(...(res.data?.invalid_user_id_list ?? []))
      }
      return { invalidOpenIds: invalid }
    },

    async fetchDirectoryEntry(_tenant: TenantRef, entity: 'user' | 'department', externalId: string) {
      try {
        if (entity === 'user') {
          const res = await contactCall('contact.user.get', () =>
            client.contact.v3.user.get({
              path: { user_id: externalId },
              params: { user_id_type: 'open_id', department_id_type: 'open_department_id' },
            }),
          )
          return isRec(res.data?.user) ? directoryUserOf(res.data.user as Rec) : null
        }
        if (externalId === '0') return null // the root is ours, not a department the platform returns
        const res = await contactCall('contact.department.get', () =>
          client.contact.v3.department.get({
            path: { department_id: externalId },
            params: { user_id_type: 'open_id', department_id_type: 'open_department_id' },
          }),
        )
        const d = res.data?.department as Rec | undefined
        if (!isRec(d) || (isRec(d.status) && d.status.is_deleted === true)) return null
        return directoryDepartmentOf(d)
      } catch (err) {
        // Not found, or outside the app's contact scope: gone as far as we are concerned.
        const f: FeishuFailure | null = err instanceof FeishuCallError ? err.failure : null
        if (f && ['40003', '41050', '40013', '41012'].includes(String(f.code))) return null
        throw err
      }
    },

    async listAdmins(_tenant: TenantRef): Promise<string[] | null> {
      try {
        const out: string[] = []
        let pageToken: string | undefined
        do {
          const query = new URLSearchParams({ user_id_type: 'open_id', page_size: '100' })
          if (pageToken) query.set('page_token', pageToken)
          const res = await contactCall('admin.app_admin_user.list', () =>
            client.request<Rec>({ method: 'GET', url: `/open-apis/user/v4/app_admin_user/list?${query}` }),
          )
          const data = isRec(res) && isRec(res.data) ? res.data : {}
          for (const u of Array.isArray(data.user_list) ? data.user_list : []) {
            if (isRec(u) && typeof u.open_id === 'string' && u.open_id) out.push(u.open_id)
          }
          pageToken =
            data.has_more === true && typeof data.page_token === 'string' ? data.page_token : undefined
        } while (pageToken)
        return out
      } catch (err) {
        // Without the admin:app.admin_id:readonly scope the platform does not tell who the admins are.
        const f: FeishuFailure | null = err instanceof FeishuCallError ? err.failure : null
        if (f?.kind === 'permanent') {
          logger.warn({ code: f.code }, 'feishu app admins unavailable (admin:app.admin_id:readonly?)')
          return null
        }
        throw err
      }
    },

    async syncDirectory(_tenant: TenantRef): Promise<DirectorySnapshot> {
      // Departments and people on their own API budgets, side by side.
      const [departments, employees] = await Promise.all([readDepartments(), readEmployees()])
      const list = employees ?? (await readMembers(departments))
      const users = new Map<string, DirectoryUser>()
      for (const u of list) if (!users.has(u.openId)) users.set(u.openId, u)
      return { departments, users: [...users.values()] }
    },

    async exchangeLoginCode(code: string): Promise<PlatformUserRef & { tenantKey: string; name?: string }> {
      let accessToken: string
      try {
        const token = await client.request<Rec>({
          method: 'POST',
          url: '/open-apis/authen/v2/oauth/token',
          data: {
            grant_type: 'authorization_code',
            client_id: config.appId,
            client_secret: config.appSecret,
            code,
          },
        })
        if (
          !isRec(token) ||
          typeof token.access_token !== 'string' ||
          (token.code !== 0 && token.code !== undefined)
        )
          throw new DomainError('unauthenticated', 'login code is invalid or expired')
        accessToken = token.access_token
      } catch (err) {
        if (err instanceof DomainError) throw err
        const status = isRec(err) && isRec(err.response) ? Number(err.response.status) : 0
        if (status >= 400 && status < 500)
          throw new DomainError('unauthenticated', 'login code is invalid or expired')
        throw new DomainError('unavailable', 'Feishu login is unavailable, try again')
      }
      let info: Rec
      try {
        const res = await client.authen.v1.userInfo.get({}, lark.withUserAccessToken(accessToken))
        info = isRec(res.data) ? (res.data as Rec) : {}
      } catch {
        throw new DomainError('unavailable', 'Feishu login is unavailable, try again')
      }
      return loginUserOf(info)
    },
  }
}
