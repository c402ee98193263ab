import { and, eq, lt, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../../db/client'
import { isEmbedded } from '../../../db/embedded'
import { cardStates, chats, messages, ownTimeZone, tenants, userIdentities, users } from '../../../db/schema'
import type { Card, OutboundMessage, PlatformName, Recipient } from '../../chat/model'
import { type ChatPlatform, PermanentSendError, RateLimitedSendError, type TenantRef } from '../../chat/port'
import { newId } from '../../lib/ids'
import { DEFAULT_TIME_ZONE, isTimeZone, knownZone } from '../../lib/time-zone'
import type { ServiceContext } from '../context'
import { DomainError } from '../errors'
import { type Locale, localeOf } from '../locale'
import type { CardUpdatePayload, SendMessagePayload } from './send'
import type { View } from './view'

/**
 * What delivery needs from outside the domain: the tenant's platform adapter, the presenter that renders a
 * recorded view (in a reader's language and zone: their own, else the tenant's), and who to tell after a delivery.
 */
export interface DeliveryPorts {
  platform(name: PlatformName): ChatPlatform
  render(view: View, locale: Locale, timeZone: string): Card
  onDelivered?: (info: {
    tenantId: string
    platform: PlatformName
    ref: string | null
  }) => Promise<void> | void
}

interface TenantRow extends TenantRef {
  platform: PlatformName
  timeZone: string
}

/** The tenant with the zone its cards show times in (its setting, else China time). */
async function loadTenant(ctx: ServiceContext): Promise<TenantRow> {
  const [t] = await ctx.db
    .select({
      id: tenants.id,
      platformTenantKey: tenants.platformTenantKey,
      platform: tenants.platform,
      zone: sql<string | null>`${tenants.settings} ->> 'timeZone'`,
    })
    .from(tenants)
    .where(eq(tenants.id, ctx.tenantId))
  if (!t) throw new DomainError('not_found', `tenant ${ctx.tenantId} not found`)
  const { zone, ...row } = t
  return { ...row, timeZone: zone && isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE }
}

/** The platform's address of a destination, and the recipient's locale and time zone. */
async function resolveRecipient(
  ctx: ServiceContext,
  tenant: TenantRow,
  to: SendMessagePayload['to'],
): Promise<{
  recipient: Recipient
  userId: string | null
  chatId: string | null
  locale: Locale
  /** The person's own zone (their choice, else the directory's), else the tenant's. */
  timeZone: string
}> {
  if ('userId' in to) {
    const [row] = await ctx.db
      .select({
        openId: userIdentities.openId,
        locale: users.locale,
        status: users.status,
        timeZone: ownTimeZone,
      })
      .from(users)
      .leftJoin(
        userIdentities,
        and(eq(userIdentities.userId, users.id), eq(userIdentities.platform, tenant.platform)),
      )
      .where(and(eq(users.tenantId, tenant.id), eq(users.id, to.userId)))
    if (!row) throw new PermanentSendError('no_user', `user ${to.userId} not found`)
    if (!row.openId)
      throw new PermanentSendError('no_identity', `user ${to.userId} has no ${tenant.platform} account`)
    if (row.status !== 'active') throw new PermanentSendError('inactive', `user ${to.userId} has left`)
    return {
      recipient: { kind: 'user', openId: row.openId },
      userId: to.userId,
      chatId: null,
      locale: row.locale === 'en' ? 'en' : 'zh-CN',
      timeZone: knownZone(row.timeZone) ?? tenant.timeZone,
    }
  }
  const [chat] = await ctx.db
    .select({ platformChatId: chats.platformChatId })
    .from(chats)
    .where(and(eq(chats.tenantId, tenant.id), eq(chats.platformChatId, to.chatId)))
  return {
    recipient: { kind: 'chat', chatId: chat?.platformChatId ?? to.chatId },
    userId: null,
    chatId: to.chatId,
    locale: 'zh-CN',
    timeZone: tenant.timeZone,
  }
}

/**
 * Delivers one outbox message through the tenant's platform. `idempotencyKey` (the job id) makes a retry
 * safe: the platform dedupes a retried send (Feishu `uuid`) and the message row is written once. A
 * permanent failure is recorded on the row with its reason and not retried (`failed`); a rate limit
 * throws {@link RateLimitedSendError} for the caller to wait out; a missing tenant is a `not_found`
 * {@link DomainError}.
 */
export async function deliverMessage(
  ctx: ServiceContext,
  ports: DeliveryPorts,
  input: { payload: SendMessagePayload; idempotencyKey: string },
): Promise<'sent' | 'already' | 'failed'> {
  const { payload, idempotencyKey } = input
  const tenant = await loadTenant(ctx)
  const [already] = await ctx.db
    .select({ status: messages.status })
    .from(messages)
    .where(and(eq(messages.tenantId, tenant.id), eq(messages.idempotencyKey, idempotencyKey)))
  if (already && already.status !== 'pending') return 'already'
  const isCard = payload.content.kind !== 'text'
  const base = {
    tenantId: tenant.id,
    platform: tenant.platform,
    direction: 'out' as const,
    kind: isCard ? ('card' as const) : ('text' as const),
    text: payload.content.kind === 'text' ? payload.content.text : null,
    card:
      payload.content.kind === 'card' ? (payload.content.card as unknown as Record<string, unknown>) : null,
    ref: payload.ref ?? null,
    cardVersion: payload.version ?? 0,
    idempotencyKey,
  }
  let resolved: Awaited<ReturnType<typeof resolveRecipient>>
  try {
    resolved = await resolveRecipient(ctx, tenant, payload.to)
    const locale = payload.locale ?? resolved.locale
    // A recorded view is rendered now, in the recipient's language and zone.
    const given = payload.content
    const content: OutboundMessage['content'] =
      given.kind === 'view'
        ? { kind: 'card', card: ports.render(given.view, locale, resolved.timeZone) }
        : given
    if (content.kind === 'card') base.card = content.card as unknown as Record<string, unknown>
    const platform = ports.platform(tenant.platform)
    const sent = await platform.send(tenant, {
      to: resolved.recipient,
      content,
      idempotencyKey,
      locale,
      ...(payload.replyTo ? { replyTo: payload.replyTo } : {}),
    })
    await ctx.db
      .insert(messages)
      .values({
        id: newId('msg'),
        ...base,
        userId: resolved.userId,
        chatId: resolved.chatId ?? sent.chatId ?? null,
        platformMessageId: sent.platformMessageId,
        status: 'sent',
      })
      .onConflictDoUpdate({
        target: [messages.tenantId, messages.idempotencyKey],
        set: { platformMessageId: sent.platformMessageId, status: 'sent', updatedAt: sql`now()` },
      })
    if (isCard && payload.ref) {
      // An update of this card may have run before this copy existed: bring the copy up to date.
      const [state] = await ctx.db
        .select({ version: cardStates.version, card: cardStates.card })
        .from(cardStates)
        .where(and(eq(cardStates.tenantId, tenant.id), eq(cardStates.ref, payload.ref)))
      if (state && state.version > (payload.version ?? 0)) {
        await applyCardState(ctx, ports, tenant, payload.ref, storedContent(state.card), state.version)
      }
    }
    await ports.onDelivered?.({ tenantId: tenant.id, platform: tenant.platform, ref: payload.ref ?? null })
    return 'sent'
  } catch (err) {
    if (!(err instanceof PermanentSendError)) throw err
    await ctx.db
      .insert(messages)
      .values({
        id: newId('msg'),
        ...base,
        userId: 'userId' in payload.to ? payload.to.userId : null,
        chatId: 'chatId' in payload.to ? payload.to.chatId : null,
        status: 'failed',
        error: `${err.platformCode}: ${err.message}`,
      })
      .onConflictDoNothing()
    ctx.logger.warn(
      { tenantId: tenant.id, code: err.platformCode, ref: payload.ref },
      'message not deliverable',
    )
    return 'failed'
  }
}

/**
 * Updates every delivered copy of a card. The newest state is recorded first (a copy sent later catches up
 * from it); each copy is locked while its platform update runs, and skipped when it already shows this
 * version or a newer one, so out-of-order updates never roll a card back. A rate limit throws
 * {@link RateLimitedSendError}; a missing tenant is a `not_found` {@link DomainError}.
 */
export async function updateCardCopies(
  ctx: ServiceContext,
  ports: DeliveryPorts,
  payload: CardUpdatePayload,
): Promise<void> {
  const tenant = await loadTenant(ctx)
  const content: CardContent = payload.view ? { view: payload.view } : { card: payload.card }
  const state = { version: payload.version, card: content as unknown as Record<string, unknown> }
  await ctx.db
    .insert(cardStates)
    .values({ tenantId: tenant.id, ref: payload.ref, ...state })
    .onConflictDoUpdate({
      target: [cardStates.tenantId, cardStates.ref],
      set: { ...state, updatedAt: sql`now()` },
      setWhere: lt(cardStates.version, payload.version),
    })
  await applyCardState(ctx, ports, tenant, payload.ref, content, payload.version)
  await ports.onDelivered?.({ tenantId: tenant.id, platform: tenant.platform, ref: payload.ref })
}

/** What a card state holds: a rendered card, or a view each copy renders in its reader's language. */
type CardContent = { card: Card } | { view: View }

/**
 * The content of a `card_states` row: `{ view }` or `{ card }` as written by `updateCardCopies`; a row
 * written before views existed holds the card itself.
 */
function storedContent(stored: unknown): CardContent {
  const s = stored as Record<string, unknown>
  if (s && typeof s === 'object' && 'view' in s) return { view: s.view as View }
  if (s && typeof s === 'object' && 'card' in s && !('header' in s)) return { card: s.card as Card }
  return { card: s as unknown as Card }
}

/** Brings every sent copy of `ref` older than `version` to the content (a view renders per copy). */
async function applyCardState(
  ctx: ServiceContext,
  ports: DeliveryPorts,
  tenant: TenantRow,
  ref: string,
  content: CardContent,
  version: number,
): Promise<void> {
  const platform = ports.platform(tenant.platform)
  const copies = await ctx.db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.tenantId, tenant.id),
        eq(messages.ref, ref),
        eq(messages.status, 'sent'),
        lt(messages.cardVersion, version),
      ),
    )
  /** Brings one copy up to date on `db`; `lock` holds its row (a transaction's) while the platform call runs. */
  const updateCopy = async (db: DbOrTx, id: string, lock: boolean) => {
    const read = db
      .select({
        platformMessageId: messages.platformMessageId,
        locale: users.locale,
        timeZone: ownTimeZone,
      })
      .from(messages)
      .leftJoin(users, eq(users.id, messages.userId))
      .where(and(eq(messages.id, id), lt(messages.cardVersion, version)))
    const [row] = lock ? await read.for('update', { of: messages }) : await read
    if (!row?.platformMessageId) return
    const locale = localeOf(row.locale)
    const zone = knownZone(row.timeZone) ?? tenant.timeZone
    const card = 'view' in content ? ports.render(content.view, locale, zone) : content.card
    await platform.updateCard(tenant, row.platformMessageId, card, locale)
    await db
      .update(messages)
      .set({
        card: card as unknown as Record<string, unknown>,
        cardVersion: version,
        updatedAt: sql`now()`,
      })
      .where(and(eq(messages.id, id), lt(messages.cardVersion, version)))
  }
  for (const copy of copies) {
    try {
      // The embedded database is one session: a transaction held across the platform call would hold it
      // whole, and the adapter's usage meter (DingTalk) writes through its own handle, which then waits for
      // the transaction to end while the transaction waits for the meter (a deadlock: every card update
      // hung). There the copy is held by a lock in this process (the only one that opens that database).
      if (isEmbedded(ctx.db)) await inTurn(copy.id, () => updateCopy(ctx.db, copy.id, false))
      else await (ctx.db as Db).transaction((tx) => updateCopy(tx, copy.id, true))
    } catch (err) {
      if (err instanceof RateLimitedSendError) throw err
      if (err instanceof PermanentSendError) {
        await ctx.db
          .update(messages)
          .set({ error: `${err.platformCode}: ${err.message}`, updatedAt: sql`now()` })
          .where(eq(messages.id, copy.id))
        continue
      }
      throw err
    }
  }
}

/** Copies being updated in this process: each one's updates run one after another (see applyCardState). */
const turns = new Map<string, Promise<void>>()

async function inTurn(key: string, fn: () => Promise<void>): Promise<void> {
  const before = turns.get(key) ?? Promise.resolve()
  const mine = before.then(fn, fn)
  const settled = mine.catch(() => {})
  turns.set(key, settled)
  try {
    await mine
  } finally {
    if (turns.get(key) === settled) turns.delete(key)
  }
}
