import { createHash } from 'node:crypto'
import type { InboundCardAction, InboundContactChanged, InboundMessage } from '../../chat/model'
import { PAYLOAD_PARAM, payloadOf } from './render'

/**
 * DingTalk payloads → neutral inbound events. Ids: a user is their
 * org `userid` (`senderStaffId`), a group chat its `openConversationId`; a 1:1 robot chat has no id we can
 * send to, so it is `dm:<userid>` and the adapter delivers it to `IM_ROBOT.<userid>`.
 */

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

export const DM_PREFIX = 'dm:'
export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

/** A robot message callback; null when it carries nothing we can act on (no sender userid, no corp). */
export function robotMessageEvent(payload: Rec): InboundMessage | null {
  const msgId = str(payload.msgId)
  const staffId = str(payload.senderStaffId)
  const tenantKey = str(payload.senderCorpId) || str(payload.chatbotCorpId)
  if (!msgId || !staffId || !tenantKey) return null
  const group = str(payload.conversationType) === '2'
  let text = ''
  if (payload.msgtype === 'text' && isRec(payload.text)) text = str(payload.text.content)
  else if (
    payload.msgtype === 'richText' &&
    isRec(payload.content) &&
    Array.isArray(payload.content.richText)
  )
    text = payload.content.richText.map((p) => (isRec(p) ? str(p.text) : '')).join('')
  else if (payload.msgtype === 'audio' && isRec(payload.content)) text = str(payload.content.recognition)
  const sender: InboundMessage['sender'] = { openId: staffId }
  return {
    platform: 'dingtalk',
    kind: 'message',
    tenantKey,
    eventId: `robot:${msgId}`,
    messageId: msgId,
    chatId: group ? str(payload.conversationId) : `${DM_PREFIX}${staffId}`,
    chatType: group ? 'group' : 'p2p',
    sender,
    text: text.trim(),
    addressedToBot: !group || payload.isInAtList !== false,
  }
}

/**
 * A card callback (`type: actionCallback`); null without our payload. `dedupeKey` names this delivery (the
 * signed timestamp plus the body), so a replayed request is ignored while a later tap still counts.
 */
export function cardActionEvent(payload: Rec, dedupeKey: string): InboundCardAction | null {
  if (payload.type !== undefined && payload.type !== 'actionCallback') return null
  const tenantKey = str(payload.corpId)
  const userId = str(payload.userId)
  let content: unknown = payload.content
  if (typeof content === 'string') {
    try {
      content = JSON.parse(content)
    } catch {
      return null
    }
  }
  const priv = isRec(content) && isRec(content.cardPrivateData) ? content.cardPrivateData : null
  const params = priv && isRec(priv.params) ? priv.params : {}
  const action = payloadOf(params)
  if (!tenantKey || !userId || !action) return null
  const formValues: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params)) if (k !== PAYLOAD_PARAM) formValues[k] = v
  const event: InboundCardAction = {
    platform: 'dingtalk',
    kind: 'card_action',
    tenantKey,
    eventId: `card:${dedupeKey}`,
    operator: { openId: userId },
    payload: action,
    formValues,
  }
  // The documented payload names no chat: the chat comes from the stored message (by outTrackId).
  if (str(payload.outTrackId)) event.messageId = str(payload.outTrackId)
  return event
}

const USER_EVENTS: Record<string, InboundContactChanged['change']> = {
  user_add_org: 'created',
  user_active_org: 'updated',
  user_modify_org: 'updated',
  user_leave_org: 'deleted',
}
const DEPT_EVENTS: Record<string, InboundContactChanged['change']> = {
  org_dept_create: 'created',
  org_dept_modify: 'updated',
  org_dept_remove: 'deleted',
}

/** Admins added or removed: the admin list is re-read by a full sync. */
const ADMIN_EVENTS = new Set(['org_admin_add', 'org_admin_remove'])

const idsOf = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v])
    .map((x) => (typeof x === 'number' ? String(x) : str(x)))
    .filter(Boolean)

function changesOf(
  type: string,
  tenantKey: string,
  userIds: unknown,
  deptIds: unknown,
  dedupeBase: string,
): InboundContactChanged[] {
  if (ADMIN_EVENTS.has(type) && tenantKey) {
    return [
      {
        platform: 'dingtalk',
        kind: 'contact_changed',
        tenantKey,
        eventId: `evt:${dedupeBase}:admins`,
        entity: 'user',
        change: 'updated',
        externalId: '0',
      },
    ]
  }
  const userChange = USER_EVENTS[type]
  const deptChange = DEPT_EVENTS[type]
  const entity = userChange ? 'user' : deptChange ? 'department' : null
  const change = userChange ?? deptChange
  if (!tenantKey || !entity || !change) return []
  const ids = entity === 'user' ? idsOf(userIds) : idsOf(deptIds)
  return ids.map((externalId) => ({
    platform: 'dingtalk',
    kind: 'contact_changed',
    tenantKey,
    eventId: `evt:${dedupeBase}:${externalId}`,
    entity,
    change,
    externalId,
  }))
}

/**
 * A decrypted event-subscription payload → one contact change per id. The new console's shape is
 * `{EventType, EventTime, CorpId, BizId, eventId, userId[] | deptId[]}`; the dedupe key is its `eventId`,
 * or, for older pushes without one, the plaintext's hash (a redelivery decrypts to the same text).
 */
export function contactEvents(payload: Rec, plaintext: string): InboundContactChanged[] {
  return changesOf(
    str(payload.EventType),
    str(payload.CorpId) || str(payload.corpId),
    payload.UserId ?? payload.userId,
    payload.DeptId ?? payload.deptId,
    str(payload.eventId) ? `id:${str(payload.eventId)}` : sha256(plaintext),
  )
}

/** A stream EVENT frame: the type, id and corp are headers; the data carries camelCase ids. */
export function streamContactEvents(
  headers: { eventType?: string; eventId?: string; eventCorpId?: string },
  data: Rec,
): InboundContactChanged[] {
  if (!headers.eventId) return []
  return changesOf(
    headers.eventType ?? '',
    headers.eventCorpId ?? '',
    data.userId ?? data.UserId,
    data.deptId ?? data.DeptId,
    headers.eventId,
  )
}
