import type { Database, DbOrTx, Tx } from '../../db/client'
import { cardActions as defaultCardActions } from '../actions'
import { helpCard } from '../cards/help-card'
import { t } from '../cards/i18n'
import { privateReplyCard } from '../cards/private-reply-card'
import { commands as defaultCommands } from '../commands'
import { looksChinese, parseCommand } from '../commands/grammar'
import type { CommandSpec } from '../commands/types'
import {
  claimMessageHandling,
  recordCardCopy,
  recordChat,
  recordInbound,
  sendCard,
  sendText,
} from '../domain/chat'
import { type ServiceContext, systemContext, userContext, withTransaction } from '../domain/context'
import { chatMessageOf, DomainError } from '../domain/errors'
import { type Locale, localeOf } from '../domain/locale'
import {
  APPLY_CONTACT_CHANGE,
  ensureTenant,
  type ResolvedActor,
  resolveActor,
  SYNC_DIRECTORY,
  tenantTimeZone,
} from '../domain/org'
import { emit } from '../domain/outbox'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import { knownZone } from '../lib/time-zone'
import { claimEvent, INBOUND_EVENT } from '../platforms/ingest'
import type {
  Card,
  CardActionHandler,
  CardActionResult,
  InboundBotAdded,
  InboundCardAction,
  InboundContactChanged,
  InboundEvent,
  InboundMessage,
  PlatformName,
} from './model'

export interface DispatchDeps {
  database: Database
  logger: Logger
  clock: Clock
  commands?: readonly CommandSpec[]
  cardActions?: Record<string, CardActionHandler>
}

export interface DispatchOptions {
  /** How many times this message was put back because its sender was not in the directory yet. */
  deferrals?: number
  /**
   * A card tap: claim its event id inside the tap's transaction, so a tap already applied answers `{}` and one
   * whose transaction failed (the database restarting, the process killed) is applied when redelivered — a
   * claim committed ahead of the work would have dropped it.
   */
  claim?: boolean
}

/**
 * A message from someone not in the directory yet (a brand-new tenant whose first sync is running, or a
 * hire whose contact event has not arrived) is put back and retried after these delays while the sender's
 * record is fetched; only then does the bot say it does not know them.
 */
export const UNKNOWN_SENDER_RETRY_MS = [2_000, 8_000, 30_000] as const

/**
 * The one path from a neutral inbound event to the domain, for every platform: find the tenant and the
 * user, then run the command or card action inside one transaction with that user as actor. Replies go
 * out through the outbox; a card action's answer returns synchronously.
 */
export async function dispatchEvent(
  deps: DispatchDeps,
  event: InboundEvent,
  options: DispatchOptions = {},
): Promise<CardActionResult | null> {
  switch (event.kind) {
    case 'message':
      await handleMessage(deps, event, options.deferrals ?? 0)
      return null
    case 'card_action':
      return handleCardAction(deps, event, options.claim ?? false)
    case 'bot_added':
      await handleBotAdded(deps, event)
      return null
    case 'contact_changed':
      await handleContactChange(deps, event)
      return null
  }
}

/**
 * The tenant (and, with an open id, the user) behind an event; the first event from a new Feishu/DingTalk
 * tenant creates the tenant and asks for its directory.
 */
async function ensureActor(
  deps: DispatchDeps,
  platform: PlatformName,
  tenantKey: string,
  openId: string | null = null,
): Promise<ResolvedActor & { created?: boolean }> {
  const existing = await resolveActor(deps.database.db, platform, tenantKey, openId)
  if (existing) return existing
  const { created } = await ensureTenant({
    ctx: { db: deps.database.db, clock: deps.clock, logger: deps.logger },
    input: { platform, tenantKey },
  })
  const resolved = await resolveActor(deps.database.db, platform, tenantKey, openId)
  if (!resolved) throw new Error(`tenant ${tenantKey} could not be created`)
  return { ...resolved, created }
}

/** Fetches one person the directory does not know yet, in the background, ahead of the full sync. */
async function fetchPersonSoon(deps: DispatchDeps, tenantId: string, openId: string): Promise<void> {
  await emit(dispatchContext(deps, tenantId, deps.database.db), {
    topic: APPLY_CONTACT_CHANGE,
    payload: { tenantId, entity: 'user', change: 'updated', externalId: openId, firstContact: true },
  })
}

/**
 * A contact event: a tenant seen for the first time, or a change of the app's contact scope (no entity),
 * gets a full sync; anything else one entry, re-read from the platform (the event's own `object` may carry
 * only the changed fields) and applied alone.
 */
async function handleContactChange(deps: DispatchDeps, event: InboundContactChanged): Promise<void> {
  const known = await resolveActor(deps.database.db, event.platform, event.tenantKey, null)
  if (!known) {
    // First contact (the app installed or opened): the new tenant's full sync is queued with it.
    const { tenantId } = await ensureActor(deps, event.platform, event.tenantKey)
    if (event.entity === 'user' && event.externalId !== '0' && event.change !== 'deleted')
      await fetchPersonSoon(deps, tenantId, event.externalId)
    return
  }
  if (event.externalId === '0') {
    await requestDirectorySync(deps, event.platform, event.tenantKey)
    return
  }
  await emit(dispatchContext(deps, known.tenantId, deps.database.db), {
    topic: APPLY_CONTACT_CHANGE,
    payload: {
      tenantId: known.tenantId,
      entity: event.entity,
      change: event.change,
      externalId: event.externalId,
    },
  })
}

async function requestDirectorySync(
  deps: DispatchDeps,
  platform: PlatformName,
  tenantKey: string,
): Promise<void> {
  const { tenantId, created } = await ensureActor(deps, platform, tenantKey)
  if (created) return // a new tenant's sync was queued with it
  await emit(dispatchContext(deps, tenantId, deps.database.db), {
    topic: SYNC_DIRECTORY,
    payload: { tenantId },
  })
}

function dispatchContext(deps: DispatchDeps, tenantId: string, db: ServiceContext['db']): ServiceContext {
  return systemContext({ db, clock: deps.clock, logger: deps.logger }, { tenantId, reason: 'dispatch' })
}

async function handleMessage(deps: DispatchDeps, event: InboundMessage, deferrals: number): Promise<void> {
  if (!event.addressedToBot) return
  const { tenantId, user } = await ensureActor(deps, event.platform, event.tenantKey, event.sender.openId)
  const to = event.chatType === 'p2p' && user ? { userId: user.id } : { chatId: event.chatId }
  const db = deps.database.db
  const retryIn = UNKNOWN_SENDER_RETRY_MS[deferrals]
  if (!user && event.platform !== 'devchat' && retryIn !== undefined) {
    // Not in the directory yet: fetch this one person now, and handle the message again shortly.
    const ctx = dispatchContext(deps, tenantId, db)
    await emit(ctx, [
      {
        topic: APPLY_CONTACT_CHANGE,
        payload: {
          tenantId,
          entity: 'user',
          change: 'updated',
          externalId: event.sender.openId,
          firstContact: true,
        },
      },
      {
        topic: INBOUND_EVENT,
        payload: { event, deferrals: deferrals + 1 },
        availableAt: new Date(deps.clock.now().getTime() + retryIn),
      },
    ])
    return
  }
  await recordInbound({
    ctx: dispatchContext(deps, tenantId, db),
    input: {
      platform: event.platform,
      platformMessageId: event.messageId,
      chatId: event.chatId,
      userId: user?.id ?? null,
      text: event.text,
    },
  })
  if (user?.status !== 'active') {
    const locale: Locale = looksChinese(event.text) || !event.text ? 'zh-CN' : 'en'
    await sendText(dispatchContext(deps, tenantId, db), {
      to: { chatId: event.chatId },
      replyTo: event.messageId,
      locale,
      text: t(
        locale,
        '你还不在组织通讯录中，请联系管理员同步通讯录后再试。',
        'You are not in the directory yet. Ask an admin to sync the directory, then try again.',
      ),
    })
    return
  }
  const specs = deps.commands ?? defaultCommands
  const parsed = parseCommand(event.text, specs)
  const userLocale = localeOf(user.locale)
  // A Chinese word always answers in Chinese; an English word answers in English unless the user chose.
  const commandLocale: Locale | undefined =
    parsed.kind !== 'command'
      ? undefined
      : parsed.command.locale === 'en'
        ? 'en'
        : userLocale === 'en' && looksChinese(event.text)
          ? 'zh-CN'
          : parsed.command.locale
  // The domain reads the answer's language from the context (names, request titles, report labels).
  const ctx = userContext(
    { db, clock: deps.clock, logger: deps.logger },
    { tenantId, userId: user.id, via: event.platform, locale: commandLocale ?? userLocale },
  )
  const zone = knownZone(user.timeZone) ?? (await tenantTimeZone(ctx))
  await withTransaction(ctx, async (_tx, txCtx) => {
    // Once per message, in the transaction of its effects: a rerun after a crash does nothing twice.
    const input = { platform: event.platform, platformMessageId: `${event.tenantKey}:${event.messageId}` }
    if (event.messageId && !(await claimMessageHandling({ ctx: txCtx, input }))) return
    if (parsed.kind === 'command') {
      const { spec, args } = parsed.command
      const locale = commandLocale ?? userLocale
      const answer = answerTarget(event, spec, user.id, to)
      try {
        const reply = await spec.run({
          ctx: txCtx,
          locale,
          timeZone: zone,
          args,
          chat: { chatId: event.chatId, chatType: event.chatType },
          user: { id: user.id, name: user.name },
          ...(event.location ? { location: event.location } : {}),
        })
        if (reply) await deliverReply(txCtx, answer.to, answer.replyTo, locale, reply)
        if (reply && answer.private)
          await sendCard(txCtx, {
            to,
            replyTo: event.messageId,
            locale,
            card: privateReplyCard(user.name, spec.names[locale][0] ?? spec.key, locale),
          })
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        await sendText(txCtx, {
          to: answer.to,
          ...(answer.replyTo ? { replyTo: answer.replyTo } : {}),
          locale,
          text: domainErrorText(err, locale),
        })
      }
      return
    }
    const locale: Locale = event.text && !looksChinese(event.text) ? 'en' : userLocale
    const onLocation = event.location ? specs.find((s) => s.key === 'crm.nearby') : undefined
    if (onLocation && event.location && (parsed.kind === 'unknown' || !event.text.trim())) {
      // A shared location with no command: offer the nearest customers for a check-in.
      const answer = answerTarget(event, onLocation, user.id, to)
      const reply = await onLocation.run({
        ctx: txCtx,
        locale: userLocale,
        timeZone: zone,
        args: '',
        chat: { chatId: event.chatId, chatType: event.chatType },
        user: { id: user.id, name: user.name },
        location: event.location,
      })
      if (reply) await deliverReply(txCtx, answer.to, answer.replyTo, userLocale, reply)
      if (reply && answer.private)
        await sendCard(txCtx, {
          to,
          replyTo: event.messageId,
          locale: userLocale,
          card: privateReplyCard(user.name, onLocation.names[userLocale][0] ?? onLocation.key, userLocale),
        })
      return
    }
    const note =
      parsed.kind === 'suggest'
        ? t(
            locale,
            `没有找到命令「${parsed.typed}」，你是不是想输入「${parsed.suggestion.names['zh-CN'][0]}」？`,
            `Unknown command "${parsed.typed}". Did you mean "${parsed.suggestion.names.en[0]}"?`,
          )
        : parsed.typed
          ? t(
              locale,
              `没有听懂「${parsed.typed}」，下面是我能做的事：`,
              `I did not understand "${parsed.typed}". Here is what I can do:`,
            )
          : undefined
    await sendCard(txCtx, { to, replyTo: event.messageId, locale, card: helpCard(specs, locale, note) })
  })
}

/**
 * Where a command's answer goes. In a group, an answer holds the asker's view of the data (customers,
 * leads, deals, approvals, reports), which other members may not be allowed to see, and a Feishu card
 * tapped later would show the tapper's view to everyone: so it goes to the asker by DM (not as a reply to
 * the group message, which would land in the group), and the group gets a card without data. Commands
 * marked `inGroups: 'reply'` (help) answer in the group.
 */
function answerTarget(
  event: InboundMessage,
  spec: CommandSpec,
  userId: string,
  to: { userId: string } | { chatId: string },
): { to: { userId: string } | { chatId: string }; replyTo: string | undefined; private: boolean } {
  if (event.chatType === 'group' && spec.inGroups !== 'reply')
    return { to: { userId }, replyTo: undefined, private: true }
  return { to, replyTo: event.messageId, private: false }
}

async function deliverReply(
  ctx: ServiceContext,
  to: { userId: string } | { chatId: string },
  replyTo: string | undefined,
  locale: Locale,
  reply: { card: Card } | { text: string },
): Promise<void> {
  const thread = replyTo ? { replyTo } : {}
  if ('card' in reply) await sendCard(ctx, { to, ...thread, locale, card: reply.card })
  else await sendText(ctx, { to, ...thread, locale, text: reply.text })
}

export function domainErrorText(err: DomainError, locale: Locale): string {
  const plain = chatMessageOf[err.code][locale]
  return err.code === 'invalid_input' || err.code === 'invalid_transition' || err.code === 'conflict'
    ? `${plain}${locale === 'en' ? ': ' : '：'}${messageIn(err.message, locale)}`
    : plain
}

/** The reader's half of a bilingual "中文 / English" message; other messages as they are. */
export function messageIn(message: string, locale: Locale): string {
  const m = /^(.*[\u4e00-\u9fff].*?)\s*\/\s+([^\u4e00-\u9fff]+)$/.exec(message)
  if (!m?.[1] || !m[2]) return message
  return locale === 'en' ? m[2].trim() : m[1].trim()
}

/** A tap by someone the directory does not know (or who is not active): the transaction is rolled back. */
class UnknownTapper extends Error {
  constructor(readonly resolved: ResolvedActor | null) {
    super('unknown tapper')
  }
}

type ActiveActor = ResolvedActor & { user: NonNullable<ResolvedActor['user']> }
const activeActor = (resolved: ResolvedActor | null): ActiveActor | null =>
  resolved?.user && resolved.user.status === 'active' ? (resolved as ActiveActor) : null

/**
 * A card tap. With a claim (the platforms' callbacks) the tapper is looked up inside the tap's transaction,
 * beside the claim of its event id: both statements go out in one write and come back in one round trip,
 * where the lookup before the transaction took a round trip of its own (on PostgreSQL each costs the HTTP
 * process ~0.1 ms of CPU in the socket write alone). A tap someone the directory does not know made rolls
 * the claim back, so a redelivery after their record arrives is applied.
 */
async function handleCardAction(
  deps: DispatchDeps,
  event: InboundCardAction,
  claim: boolean,
): Promise<CardActionResult> {
  const db = deps.database.db
  const lookUp = (on: DbOrTx) => resolveActor(on, event.platform, event.tenantKey, event.operator.openId)
  try {
    if (!claim) {
      const resolved = await lookUp(db)
      const actor = activeActor(resolved)
      if (!actor) throw new UnknownTapper(resolved)
      return await applyCardAction(deps, event, actor, null)
    }
    return await db.transaction(async (tx) => {
      const [resolved, claimed] = await Promise.all([lookUp(tx), claimEvent(tx, event)])
      const actor = activeActor(resolved)
      // Applied already: nothing to say (in the tapper's language, as every answer).
      if (!claimed) return actor ? { locale: localeOf(actor.user.locale) } : {}
      if (!actor) throw new UnknownTapper(resolved)
      return applyCardAction(deps, event, actor, tx)
    })
  } catch (err) {
    if (err instanceof UnknownTapper) return refuseTap(deps, event, err.resolved)
    if (err instanceof RefusedTap) {
      return { toast: { kind: 'error', text: domainErrorText(err.error, err.locale) }, locale: err.locale }
    }
    throw err
  }
}

/** A tap the domain refused, in the tapper's language: thrown through the transaction, which rolls back. */
class RefusedTap extends Error {
  constructor(
    readonly error: DomainError,
    readonly locale: Locale,
  ) {
    super(error.message)
  }
}

async function refuseTap(
  deps: DispatchDeps,
  event: InboundCardAction,
  resolved: ResolvedActor | null,
): Promise<CardActionResult> {
  if (!resolved?.user && event.platform !== 'devchat') {
    // A tap from someone the directory does not know yet (a new tenant, a new hire): fetch them now.
    const { tenantId } = resolved ?? (await ensureActor(deps, event.platform, event.tenantKey))
    await fetchPersonSoon(deps, tenantId, event.operator.openId)
    return {
      toast: {
        kind: 'error',
        text: '你没有权限执行此操作；如果你刚加入，正在同步通讯录，请几秒后再试 / You are not allowed to do this; if you just joined, the directory is syncing, try again in a few seconds',
      },
    }
  }
  return { toast: { kind: 'error', text: '你没有权限执行此操作 / You are not allowed to do this' } }
}

/** Runs the tap's handler as the tapper, in `tx` (the claim's transaction) or a transaction of its own. */
async function applyCardAction(
  deps: DispatchDeps,
  event: InboundCardAction,
  resolved: ActiveActor,
  tx: Tx | null,
): Promise<CardActionResult> {
  const user = resolved.user
  const locale = localeOf(user.locale)
  const handler = (deps.cardActions ?? defaultCardActions)[event.payload.a]
  if (!handler) {
    return {
      toast: { kind: 'error', text: t(locale, '这个按钮已失效', 'This button is no longer valid') },
      locale,
    }
  }
  const ctx = userContext(
    { db: tx ?? deps.database.db, clock: deps.clock, logger: deps.logger },
    { tenantId: resolved.tenantId, userId: user.id, via: event.platform, locale },
  )
  try {
    const zone = knownZone(user.timeZone) ?? (await tenantTimeZone(ctx))
    const result = await withTransaction(ctx, async (_tx, txCtx): Promise<CardActionResult> => {
      const r = await handler({
        ctx: txCtx,
        locale,
        timeZone: zone,
        payload: event.payload,
        formValues: event.formValues,
        user: { id: user.id, name: user.name },
        chat: { chatId: event.chatId ?? null },
        messageId: event.messageId ?? null,
      })
      if (r.card && event.messageId) {
        await recordCardCopy({ ctx: txCtx, input: { platformMessageId: event.messageId, card: r.card } })
      }
      return r
    })
    // The synchronous answer renders in the tapper's language (a handler that switched it says so).
    return { ...result, locale: result.locale ?? locale }
  } catch (err) {
    throw err instanceof DomainError ? new RefusedTap(err, locale) : err
  }
}

async function handleBotAdded(deps: DispatchDeps, event: InboundBotAdded): Promise<void> {
  const { tenantId } = await ensureActor(deps, event.platform, event.tenantKey)
  if (event.operator) {
    const op = await resolveActor(deps.database.db, event.platform, event.tenantKey, event.operator.openId)
    if (!op?.user) await fetchPersonSoon(deps, tenantId, event.operator.openId)
  }
  const ctx = dispatchContext(deps, tenantId, deps.database.db)
  await recordChat({
    ctx,
    input: {
      platform: event.platform,
      platformChatId: event.chatId,
      ...(event.chatName ? { name: event.chatName } : {}),
    },
  })
  await sendCard(ctx, {
    to: { chatId: event.chatId },
    card: helpCard(
      deps.commands ?? defaultCommands,
      'zh-CN',
      '大家好，我是 flowcard。在群里 @我 并输入命令即可使用。',
    ),
  })
}
