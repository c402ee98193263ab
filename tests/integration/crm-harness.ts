import { and, eq } from 'drizzle-orm'
import type { Clock, ServiceContext } from '../../bot/domain/context'
import { systemClock } from '../../bot/domain/context'
import { newId } from '../../bot/lib/ids'
import { signToken } from '../../bot/lib/session-token'
import { dispatchEvent } from '../../bot/platforms/dispatch'
import type { ActionPayload, CardActionResult } from '../../bot/platforms/types'
import type { Database } from '../../db/client'
import { outbox } from '../../db/schema'
import type { SeededOrg } from '../../db/seed/org'
import { TEST_SESSION_SECRET } from '../helpers/app'
import { createTestTenant } from '../helpers/db'

export const silent = { debug() {}, info() {}, warn() {}, error() {} }

export interface CrmTenant extends SeededOrg {
  tenantKey: string
}

export async function crmTenant(database: Database): Promise<CrmTenant> {
  const tenantKey = newId('tk')
  const org = await createTestTenant(database, { tenantKey })
  return { ...org, tenantKey }
}

export const uid = (org: SeededOrg, key: string): string => {
  const v = org.users[key]
  if (!v) throw new Error(`no user ${key}`)
  return v
}

export function ctxAs(
  database: Database,
  org: SeededOrg,
  key: string,
  clock: Clock = systemClock,
): ServiceContext {
  return {
    tenantId: org.tenantId,
    actor: { kind: 'user', userId: uid(org, key), via: 'miniapp' },
    db: database.db,
    clock,
    logger: silent,
  }
}

export function systemCtx(database: Database, org: SeededOrg, clock: Clock = systemClock): ServiceContext {
  return {
    tenantId: org.tenantId,
    actor: { kind: 'system', reason: 'test' },
    db: database.db,
    clock,
    logger: silent,
  }
}

export const fixedClock = (d: Date): Clock => ({ now: () => d })
export const DAY = 86_400_000

/** A bearer header for a user of the tenant (the mini-app's session). */
export async function bearer(org: SeededOrg, key: string): Promise<Record<string, string>> {
  const token = await signToken(TEST_SESSION_SECRET, {
    k: 'session',
    t: org.tenantId,
    u: uid(org, key),
    p: 'devchat',
    j: newId('jti'),
    exp: Math.floor(Date.now() / 1000) + 3600,
  })
  return { authorization: `Bearer ${token}` }
}

export async function tap(
  database: Database,
  org: CrmTenant,
  userKey: string,
  payload: ActionPayload,
  formValues: Record<string, unknown> = {},
  clock: Clock = systemClock,
): Promise<CardActionResult> {
  const result = await dispatchEvent(
    { database, logger: silent, clock },
    {
      kind: 'card_action',
      platform: 'devchat',
      tenantKey: org.tenantKey,
      eventId: newId('evt'),
      operator: { openId: userKey },
      payload,
      formValues,
    },
  )
  if (!result) throw new Error('card action returned nothing')
  return result
}

export async function say(
  database: Database,
  org: CrmTenant,
  userKey: string,
  text: string,
  location?: { lat: number; lng: number },
): Promise<void> {
  await dispatchEvent(
    { database, logger: silent, clock: systemClock },
    {
      kind: 'message',
      platform: 'devchat',
      tenantKey: org.tenantKey,
      eventId: newId('evt'),
      messageId: newId('dcm'),
      chatId: `p2p:${userKey}`,
      chatType: 'p2p',
      sender: { openId: userKey },
      text,
      addressedToBot: true,
      ...(location ? { location } : {}),
    },
  )
}

/** The tenant's pending send jobs (cards and texts waiting in the outbox). */
export async function outboxOf(database: Database, org: SeededOrg, topic = 'send.message') {
  return database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.tenantId, org.tenantId), eq(outbox.topic, topic)))
    .orderBy(outbox.id)
}
