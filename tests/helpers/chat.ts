import { dispatchEvent } from '../../bot/chat/dispatch'
import type { ActionPayload, CardActionResult } from '../../bot/chat/model'
import { type Clock, systemClock } from '../../bot/lib/clock'
import { newId } from '../../bot/lib/ids'
import type { Database } from '../../db/client'

const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** A devchat card tap by `userKey` through the one inbound path (`dispatchEvent`). */
export async function tap(
  database: Database,
  org: { tenantKey: string },
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

/** A devchat DM from `userKey` to the bot (optionally sharing a location). */
export async function say(
  database: Database,
  org: { tenantKey: string },
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
