import { and, asc, eq, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { z } from 'zod'
import type { Database } from '../../../db/client'
import { chats, departments, messages, tenants, userIdentities, users } from '../../../db/schema'
import { dispatchEvent } from '../../chat/dispatch'
import type { ActionPayload, InboundCardAction, InboundMessage } from '../../chat/model'
import { errorBody } from '../../http/errors'
import type { AppEnv } from '../../http/types'
import type { Clock } from '../../lib/clock'
import { newId } from '../../lib/ids'
import type { Logger } from '../../lib/logger'
import { signToken } from '../../lib/session-token'
import { claimEvent, ingestEvent } from '../ingest'
import { devchatP2pChatId } from './adapter'

/** The bot's display name in devchat; `@flowcard` in a group addresses it. */
export const DEVCHAT_BOT_NAME = 'flowcard'

/**
 * Fans NOTIFY 'devchat' (payload: tenant id) out to the open simulator pages of that tenant. One LISTEN per
 * process, started on the first page; works across processes because PostgreSQL carries the signal.
 */
export class DevchatHub {
  private readonly subscribers = new Map<string, Set<() => void>>()
  private listening: Promise<void> | null = null

  constructor(private readonly database: Database) {}

  subscribe(tenantId: string, onUpdate: () => void): () => void {
    if (!this.listening) {
      this.listening = this.database
        .listen('devchat', (payload) => {
          for (const fn of this.subscribers.get(payload) ?? []) fn()
        })
        .then(() => undefined)
    }
    let set = this.subscribers.get(tenantId)
    if (!set) {
      set = new Set()
      this.subscribers.set(tenantId, set)
    }
    set.add(onUpdate)
    return () => set.delete(onUpdate)
  }

  async ready(): Promise<void> {
    await this.listening
  }
}

export interface DevchatDeps {
  database: Database
  logger: Logger
  clock: Clock
  sessionSecret: string
}

const Who = z.object({ tenant: z.string().min(1).max(100), as: z.string().min(1).max(200) })
const SendBody = Who.extend({ chat: z.string().min(1).max(200), text: z.string().trim().min(1).max(4000) })
const ActionBody = Who.extend({
  messageId: z.string().min(1).max(200),
  payload: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .refine((p) => typeof p.a === 'string', {
      message: 'payload.a (the action name) is required',
    }),
  formValues: z.record(z.string(), z.unknown()).default({}),
})

/**
 * devchat: a local chat simulator. Choose who you are, DM the bot or talk in groups, tap card buttons and
 * submit forms. Messages go through the same ingest → queue → dispatch path as Feishu's; card taps through
 * the same synchronous dispatch. It lets anyone act as anyone, so it is mounted only when enabled.
 */
export function devchatRoutes(deps: DevchatDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const hub = new DevchatHub(deps.database)
  const db = deps.database.db

  const tenantOf = async (key: string) => {
    const [t] = await db
      .select({ id: tenants.id, name: tenants.name, key: tenants.platformTenantKey })
      .from(tenants)
      .where(and(eq(tenants.platform, 'devchat'), eq(tenants.platformTenantKey, key)))
    return t ?? null
  }
  const personOf = async (tenantId: string, openId: string) => {
    const [p] = await db
      .select({ userId: users.id, name: users.name, status: users.status, locale: users.locale })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .where(
        and(
          eq(userIdentities.tenantId, tenantId),
          eq(userIdentities.platform, 'devchat'),
          eq(userIdentities.openId, openId),
        ),
      )
    return p ?? null
  }
  /** The chats a person may read: their DM with the bot and the groups they are in. */
  const canRead = async (
    tenantId: string,
    openId: string,
    userId: string,
    chat: string,
  ): Promise<boolean> => {
    if (chat === devchatP2pChatId(openId)) return true
    const [c] = await db
      .select({ members: chats.memberUserIds })
      .from(chats)
      .where(and(eq(chats.tenantId, tenantId), eq(chats.platform, 'devchat'), eq(chats.platformChatId, chat)))
    return Boolean(c?.members.includes(userId))
  }
  const notify = async (tenantId: string) => {
    await deps.database.rows(sql`select pg_notify('devchat', ${tenantId})`)
  }

  // A company on its first day (default roles and templates, nobody configured by hand) to play the
  // onboarding; the page opens it as the founder, who installed the app and so is its admin.
  app.post('/api/tenants/fresh', async (c) => {
    const { seedFreshCompany, FRESH_FOUNDER } = await import('../../../db/seed/fresh')
    const org = await seedFreshCompany(deps.database.db)
    const key = encodeURIComponent(org.tenantKey)
    return c.json(
      {
        tenant: { key: org.tenantKey },
        url: `/devchat/?tenant=${key}&as=${FRESH_FOUNDER}&chat=${devchatP2pChatId(FRESH_FOUNDER)}`,
      },
      201,
    )
  })

  app.get('/api/tenants', async (c) => {
    const rows = await db
      .select({ key: tenants.platformTenantKey, name: tenants.name })
      .from(tenants)
      .where(eq(tenants.platform, 'devchat'))
    return c.json({ tenants: rows })
  })

  app.get('/api/org', async (c) => {
    const tenant = await tenantOf(c.req.query('tenant') ?? 'demo')
    if (!tenant) return c.json(errorBody(c, 'not_found', 'no such devchat tenant'), 404)
    const people = await db
      .select({
        openId: userIdentities.openId,
        userId: users.id,
        name: users.name,
        jobTitle: users.jobTitle,
        department: departments.name,
      })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .leftJoin(departments, eq(departments.id, users.departmentId))
      .where(
        and(
          eq(userIdentities.tenantId, tenant.id),
          eq(userIdentities.platform, 'devchat'),
          eq(users.status, 'active'),
        ),
      )
      .orderBy(asc(departments.path), asc(users.createdAt))
    const groupRows = await db
      .select({ chatId: chats.platformChatId, name: chats.name, members: chats.memberUserIds })
      .from(chats)
      .where(and(eq(chats.tenantId, tenant.id), eq(chats.platform, 'devchat')))
    return c.json({ tenant: { key: tenant.key, name: tenant.name }, people, groups: groupRows })
  })

  app.get('/api/messages', async (c) => {
    const parsed = Who.extend({ chat: z.string().min(1) }).safeParse(c.req.query())
    if (!parsed.success) return c.json(errorBody(c, 'invalid_input', 'tenant, as and chat are required'), 400)
    const { tenant: key, as, chat } = parsed.data
    const tenant = await tenantOf(key)
    const person = tenant ? await personOf(tenant.id, as) : null
    if (!tenant || !person) return c.json(errorBody(c, 'not_found', 'no such person'), 404)
    if (!(await canRead(tenant.id, as, person.userId, chat))) {
      return c.json(errorBody(c, 'forbidden', 'you are not in this chat'), 403)
    }
    const rows = await db
      .select({
        id: messages.id,
        platformMessageId: messages.platformMessageId,
        direction: messages.direction,
        userId: messages.userId,
        senderName: users.name,
        kind: messages.kind,
        text: messages.text,
        card: messages.card,
        status: messages.status,
        createdAt: messages.createdAt,
        updatedAt: messages.updatedAt,
      })
      .from(messages)
      .leftJoin(users, eq(users.id, messages.userId))
      .where(
        and(eq(messages.tenantId, tenant.id), eq(messages.platform, 'devchat'), eq(messages.chatId, chat)),
      )
      .orderBy(asc(messages.createdAt), asc(messages.id))
      .limit(500)
    // The viewer's language: the simulator's own words on a card (its link, a select's prompt) follow it.
    return c.json({ messages: rows, locale: person.locale === 'en' ? 'en' : 'zh-CN' })
  })

  app.post('/api/messages', async (c) => {
    const parsed = SendBody.safeParse(await c.req.json().catch(() => null))
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return c.json(errorBody(c, 'invalid_input', `${issue?.path.join('.')}: ${issue?.message}`), 400)
    }
    const { tenant: key, as, chat, text } = parsed.data
    const tenant = await tenantOf(key)
    const person = tenant ? await personOf(tenant.id, as) : null
    if (!tenant || !person) return c.json(errorBody(c, 'not_found', 'no such person'), 404)
    if (!(await canRead(tenant.id, as, person.userId, chat))) {
      return c.json(errorBody(c, 'forbidden', 'you are not in this chat'), 403)
    }
    const p2p = chat === devchatP2pChatId(as)
    const mention = new RegExp(`@${DEVCHAT_BOT_NAME}\\b`, 'gi')
    const event: InboundMessage = {
      kind: 'message',
      platform: 'devchat',
      tenantKey: tenant.key,
      eventId: newId('dce'),
      messageId: newId('dcm'),
      chatId: chat,
      chatType: p2p ? 'p2p' : 'group',
      sender: { openId: as },
      text: text.replace(mention, '').trim(),
      addressedToBot: p2p || mention.test(text),
    }
    if (!event.addressedToBot) {
      // People talking among themselves in a group: stored for the room, not for the bot.
      await db.insert(messages).values({
        id: newId('msg'),
        tenantId: tenant.id,
        platform: 'devchat',
        direction: 'in',
        platformMessageId: event.messageId,
        chatId: chat,
        userId: person.userId,
        kind: 'text',
        text,
      })
      await notify(tenant.id)
      return c.json({ accepted: true, addressedToBot: false, messageId: event.messageId })
    }
    await ingestEvent(db, event)
    return c.json({ accepted: true, addressedToBot: true, messageId: event.messageId })
  })

  app.post('/api/actions', async (c) => {
    const parsed = ActionBody.safeParse(await c.req.json().catch(() => null))
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return c.json(errorBody(c, 'invalid_input', `${issue?.path.join('.')}: ${issue?.message}`), 400)
    }
    const { tenant: key, as, messageId, payload, formValues } = parsed.data
    const tenant = await tenantOf(key)
    const person = tenant ? await personOf(tenant.id, as) : null
    if (!tenant || !person) return c.json(errorBody(c, 'not_found', 'no such person'), 404)
    const [msg] = await db
      .select({ chatId: messages.chatId })
      .from(messages)
      .where(and(eq(messages.tenantId, tenant.id), eq(messages.platformMessageId, messageId)))
    if (!msg?.chatId || !(await canRead(tenant.id, as, person.userId, msg.chatId))) {
      return c.json(errorBody(c, 'not_found', 'no such message in your chats'), 404)
    }
    const event: InboundCardAction = {
      kind: 'card_action',
      platform: 'devchat',
      tenantKey: tenant.key,
      eventId: newId('dca'),
      operator: { openId: as },
      payload: payload as ActionPayload,
      formValues,
      messageId,
      chatId: msg.chatId,
    }
    await claimEvent(db, event)
    const result = await dispatchEvent(deps, event)
    if (result?.card) await notify(tenant.id)
    return c.json(result ?? {})
  })

  app.post('/api/login-code', async (c) => {
    const parsed = Who.safeParse(await c.req.json().catch(() => null))
    if (!parsed.success) return c.json(errorBody(c, 'invalid_input', 'tenant and as are required'), 400)
    const tenant = await tenantOf(parsed.data.tenant)
    const person = tenant ? await personOf(tenant.id, parsed.data.as) : null
    if (!tenant || !person) return c.json(errorBody(c, 'not_found', 'no such person'), 404)
    const now = Math.floor(deps.clock.now().getTime() / 1000)
    const code = await signToken(deps.sessionSecret, {
      t: tenant.key,
      u: parsed.data.as,
      p: 'devchat',
      exp: now + 180,
      k: 'login',
      j: newId('lgn'),
    })
    return c.json({ code, expiresInSeconds: 180 })
  })

  app.get('/api/stream', async (c) => {
    const tenant = await tenantOf(c.req.query('tenant') ?? 'demo')
    if (!tenant) return c.json(errorBody(c, 'not_found', 'no such devchat tenant'), 404)
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | null = null
      let pending = false
      const unsubscribe = hub.subscribe(tenant.id, () => {
        pending = true
        wake?.()
      })
      await hub.ready()
      stream.onAbort(() => {
        unsubscribe()
        wake?.()
      })
      await stream.writeSSE({ event: 'ready', data: '{}' })
      while (!stream.aborted) {
        if (!pending) {
          await new Promise<void>((resolve) => {
            wake = resolve
            setTimeout(resolve, 15_000)
          })
          wake = null
        }
        if (stream.aborted) break
        if (pending) {
          pending = false
          await stream.writeSSE({ event: 'update', data: '{}' })
        } else {
          await stream.writeSSE({ event: 'ping', data: '{}' })
        }
      }
      unsubscribe()
    })
  })

  return app
}
