import type {
  ActionPayload,
  DirectoryDepartment,
  DirectoryUser,
  InboundCardAction,
  InboundContactChanged,
  InboundEvent,
  InboundMessage,
  PlatformUserRef,
} from '../../chat/model'
import { isTimeZone } from '../../lib/time-zone'

/**
 * Feishu envelopes → neutral inbound events. Pure functions: the caller
 * has already verified, decrypted and checked the token. Runtime-neutral, no SDK.
 */

export interface FeishuEnvelopeV2 {
  schema: '2.0'
  header: {
    event_id: string
    event_type: string
    create_time?: string
    token?: string
    app_id?: string
    tenant_key: string
  }
  event: Record<string, unknown>
}

type Rec = Record<string, unknown>

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

export function isEnvelopeV2(v: unknown): v is FeishuEnvelopeV2 {
  if (!isRec(v) || v.schema !== '2.0' || !isRec(v.header) || !isRec(v.event)) return false
  return typeof v.header.event_id === 'string' && typeof v.header.event_type === 'string'
}

/** Events the adapter turns into neutral events; everything else is acknowledged and ignored. */
export const MESSAGE_EVENT = 'im.message.receive_v1'
export const CARD_ACTION_EVENT = 'card.action.trigger'
export const BOT_ADDED_EVENT = 'im.chat.member.bot.added_v1'
/** Someone opened a one-to-one chat with the bot: first contact, the person is fetched if unknown. */
export const P2P_ENTERED_EVENT = 'im.chat.access_event.bot_p2p_chat_entered_v1'
export const CONTACT_EVENTS = [
  'contact.user.created_v3',
  'contact.user.updated_v3',
  'contact.user.deleted_v3',
  'contact.department.created_v3',
  'contact.department.updated_v3',
  'contact.department.deleted_v3',
  'contact.scope.updated_v3',
] as const
export const HANDLED_EVENT_TYPES: readonly string[] = [
  MESSAGE_EVENT,
  CARD_ACTION_EVENT,
  BOT_ADDED_EVENT,
  P2P_ENTERED_EVENT,
  ...CONTACT_EVENTS,
]

function userRef(id: unknown): PlatformUserRef | undefined {
  if (!isRec(id)) return undefined
  const openId = str(id.open_id)
  if (!openId) return undefined
  const ref: PlatformUserRef = { openId }
  const unionId = str(id.union_id)
  const userId = str(id.user_id)
  if (unionId) ref.unionId = unionId
  if (userId) ref.userId = userId
  return ref
}

/** Removes `@_user_N` / `@_all` mention placeholders and collapses the whitespace they leave. */
export function stripMentions(text: string): string {
  return text
    .replace(/@_(user_\d+|all)/g, ' ')
    .replace(/[ \t\u00a0\u3000]+/g, ' ')
    .trim()
}

/** Text of a `post` (rich text) message: its title and every text-ish node, one line per paragraph. */
function postText(content: Rec): string {
  const body = Array.isArray(content.content)
    ? content
    : (Object.values(content).find((v) => isRec(v) && Array.isArray(v.content)) as Rec | undefined)
  if (!body) return ''
  const lines: string[] = []
  if (typeof body.title === 'string' && body.title) lines.push(body.title)
  for (const para of body.content as unknown[]) {
    if (!Array.isArray(para)) continue
    lines.push(
      para
        .map((node) => {
          if (!isRec(node)) return ''
          if (node.tag === 'text' || node.tag === 'md' || node.tag === 'a') return String(node.text ?? '')
          if (node.tag === 'at') return str(node.user_id)?.startsWith('@_') ? String(node.user_id) : ''
          return ''
        })
        .join(''),
    )
  }
  return lines.join('\n')
}

function parseContent(raw: unknown): Rec {
  if (typeof raw !== 'string') return isRec(raw) ? raw : {}
  try {
    const parsed: unknown = JSON.parse(raw)
    return isRec(parsed) ? parsed : {}
  } catch {
    return {}
  }
}

/** `im.message.receive_v1` → message. `botOpenId` decides whether a group message @-mentioned the bot. */
export function messageEvent(env: FeishuEnvelopeV2, botOpenId: string | null): InboundMessage | null {
  const e = env.event
  const message = isRec(e.message) ? e.message : undefined
  const sender = isRec(e.sender) ? userRef(e.sender.sender_id) : undefined
  const messageId = str(message?.message_id)
  const chatId = str(message?.chat_id)
  if (!message || !sender || !messageId || !chatId) return null
  const chatType = message.chat_type === 'p2p' ? 'p2p' : 'group'
  const type = str(message.message_type) ?? 'text'
  const content = parseContent(message.content)
  let text = ''
  let location: InboundMessage['location']
  if (type === 'text') text = String(content.text ?? '')
  else if (type === 'post') text = postText(content)
  else if (type === 'location') {
    const lat = Number(content.latitude)
    const lng = Number(content.longitude)
    if (Number.isFinite(lat) && Number.isFinite(lng)) {
      location = { lat, lng }
      const name = str(content.name)
      if (name) location.name = name
    }
  }
  const mentions = Array.isArray(message.mentions) ? message.mentions.filter(isRec) : []
  const mentionedBot = botOpenId
    ? mentions.some((m) => isRec(m.id) && m.id.open_id === botOpenId)
    : mentions.length > 0
  const out: InboundMessage = {
    kind: 'message',
    platform: 'feishu',
    tenantKey: env.header.tenant_key,
    eventId: env.header.event_id,
    messageId,
    chatId,
    chatType,
    sender,
    text: stripMentions(text),
    addressedToBot: chatType === 'p2p' || mentionedBot,
  }
  if (location) out.location = location
  return out
}

/** The callback `value` when it is an action payload we issued (`{a: 'domain.verb', …}`). */
function actionPayload(value: unknown): ActionPayload | null {
  let v = value
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      return null
    }
  }
  if (!isRec(v) || typeof v.a !== 'string' || v.a === '') return null
  const out: ActionPayload = { a: v.a }
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x
  }
  return out
}

/** `card.action.trigger` → card action; null when the value is not one of our payloads. */
export function cardActionEvent(env: FeishuEnvelopeV2): InboundCardAction | null {
  const e = env.event
  const operator = userRef(e.operator)
  const action = isRec(e.action) ? e.action : undefined
  const payload = actionPayload(action?.value)
  if (!operator || !action || !payload) return null
  const formValues: Record<string, unknown> = isRec(action.form_value) ? { ...action.form_value } : {}
  // Standalone inputs and selects report their value outside form_value; give handlers one place to look.
  const name = str(action.name)
  if (name) {
    if (action.input_value !== undefined) formValues[name] = action.input_value
    else if (action.option !== undefined) formValues[name] = action.option
    else if (Array.isArray(action.options)) formValues[name] = action.options
    else if (action.checked !== undefined) formValues[name] = action.checked
  }
  const context = isRec(e.context) ? e.context : {}
  const out: InboundCardAction = {
    kind: 'card_action',
    platform: 'feishu',
    tenantKey: str(env.header.tenant_key) ?? str(isRec(e.operator) ? e.operator.tenant_key : '') ?? '',
    eventId: env.header.event_id,
    operator,
    payload,
    formValues,
  }
  const messageId = str(context.open_message_id) ?? str(e.open_message_id)
  const chatId = str(context.open_chat_id) ?? str(e.open_chat_id)
  if (messageId) out.messageId = messageId
  if (chatId) out.chatId = chatId
  return out
}

/** Contact v3 user object → directory user (ids as open_id, departments as open_department_id). */
export function directoryUserOf(o: Rec): DirectoryUser | null {
  const openId = str(o.open_id)
  if (!openId) return null
  const status = isRec(o.status) ? o.status : {}
  const avatar = isRec(o.avatar) ? o.avatar : {}
  const user: DirectoryUser = {
    openId,
    name: str(o.name) ?? openId,
    departmentExternalIds: Array.isArray(o.department_ids)
      ? o.department_ids.filter((d): d is string => typeof d === 'string' && d !== '')
      : [],
    active: status.is_resigned !== true && status.is_exited !== true && status.is_activated !== false,
  }
  const optional: Array<[keyof DirectoryUser, unknown]> = [
    ['unionId', o.union_id],
    ['userId', o.user_id],
    ['enName', o.en_name],
    ['email', o.email],
    ['mobile', o.mobile],
    ['avatarUrl', avatar.avatar_240],
    ['jobTitle', o.job_title],
    ['managerOpenId', o.leader_user_id],
  ]
  for (const [k, v] of optional) {
    const s = str(v)
    if (s) (user as unknown as Record<string, string>)[k] = s
  }
  // The contact API names the field but not its format: kept only when it is a zone name this runtime knows.
  const zone = str(o.time_zone)
  if (zone && isTimeZone(zone)) user.timeZone = zone
  return user
}

/**
 * Directory v1 employee entity (`employees/filter`, asked for with `employee_id_type=open_id` and the
 * {@link EMPLOYEE_FIELDS}) → directory user. It carries no union_id or user_id: a sync through it keeps the
 * ones already stored.
 */
export function directoryEmployeeOf(o: Rec): DirectoryUser | null {
  const base = isRec(o.base_info) ? o.base_info : {}
  const work = isRec(o.work_info) ? o.work_info : {}
  const openId = str(base.employee_id)
  if (!openId) return null
  const names = isRec(base.name) && isRec(base.name.name) ? base.name.name : {}
  const i18n = isRec(names.i18n_value) ? names.i18n_value : {}
  const avatar = isRec(base.avatar) ? base.avatar : {}
  const title =
    isRec(work.job_title) && isRec(work.job_title.job_title_name) ? work.job_title.job_title_name : {}
  const user: DirectoryUser = {
    openId,
    name: str(names.default_value) ?? openId,
    departmentExternalIds: Array.isArray(base.departments)
      ? base.departments
          .map((d) => (isRec(d) ? str(d.department_id) : undefined))
          .filter((d): d is string => !!d)
      : [],
    active: base.is_resigned !== true,
  }
  const optional: Array<[keyof DirectoryUser, unknown]> = [
    ['enName', i18n.en_us],
    ['email', base.email],
    ['mobile', base.mobile],
    ['avatarUrl', avatar.avatar_240],
    ['jobTitle', title.default_value],
    ['managerOpenId', base.leader_id],
  ]
  for (const [k, v] of optional) {
    const s = str(v)
    if (s) (user as unknown as Record<string, string>)[k] = s
  }
  return user
}

/** What a directory sync asks `employees/filter` for (each needs its field scope, e.g. `…email:read`). */
export const EMPLOYEE_FIELDS = [
  'base_info.name',
  'base_info.email',
  'base_info.mobile',
  'base_info.avatar',
  'base_info.departments.department_id',
  'base_info.leader_id',
  'base_info.is_resigned',
  'work_info.job_title.job_title_name',
]

/** Contact v3 department object → directory department (`'0'` is the root). */
export function directoryDepartmentOf(o: Rec): DirectoryDepartment | null {
  const externalId = str(o.open_department_id) ?? str(o.department_id)
  if (!externalId) return null
  return {
    externalId,
    name: str(o.name) ?? externalId,
    parentExternalId: str(o.parent_department_id) ?? '0',
    leaderOpenId: str(o.leader_user_id) ?? null,
    order: Number(o.order ?? 0) || 0,
  }
}

function contactEvent(env: FeishuEnvelopeV2): InboundContactChanged {
  const type = env.header.event_type
  const entity = type.startsWith('contact.user.') ? 'user' : 'department'
  const change = type.includes('.created_') ? 'created' : type.includes('.deleted_') ? 'deleted' : 'updated'
  const object = isRec(env.event.object) ? env.event.object : {}
  const data = entity === 'user' ? directoryUserOf(object) : directoryDepartmentOf(object)
  const externalId =
    (entity === 'user'
      ? str(object.open_id)
      : (str(object.open_department_id) ?? str(object.department_id))) ?? '0'
  const out: InboundContactChanged = {
    kind: 'contact_changed',
    platform: 'feishu',
    tenantKey: env.header.tenant_key,
    eventId: env.header.event_id,
    entity,
    change,
    externalId,
  }
  if (data) out.data = data
  return out
}

/**
 * Any non-card event we handle → neutral event; null for types we ignore or malformed bodies. Card
 * actions go through {@link cardActionEvent} (they are answered synchronously).
 */
export function normaliseEvent(env: FeishuEnvelopeV2, botOpenId: string | null): InboundEvent | null {
  const type = env.header.event_type
  if (type === MESSAGE_EVENT) return messageEvent(env, botOpenId)
  if (type === CARD_ACTION_EVENT) return cardActionEvent(env)
  if (type === BOT_ADDED_EVENT) {
    const chatId = str(env.event.chat_id)
    if (!chatId) return null
    const operator = userRef(env.event.operator_id)
    return {
      kind: 'bot_added',
      platform: 'feishu',
      tenantKey: env.header.tenant_key,
      eventId: env.header.event_id,
      chatId,
      ...(operator ? { operator } : {}),
    }
  }
  if ((CONTACT_EVENTS as readonly string[]).includes(type)) return contactEvent(env)
  if (type === P2P_ENTERED_EVENT) {
    // The person at hand is re-read like a contact change (and the tenant created on first contact).
    const operator = userRef(env.event.operator_id)
    if (!operator) return null
    return {
      kind: 'contact_changed',
      platform: 'feishu',
      tenantKey: env.header.tenant_key,
      eventId: env.header.event_id,
      entity: 'user',
      change: 'updated',
      externalId: operator.openId,
    }
  }
  return null
}

/** Whether a message event needs the bot's open_id to decide if it was addressed to the bot. */
export function needsBotOpenId(env: FeishuEnvelopeV2): boolean {
  if (env.header.event_type !== MESSAGE_EVENT) return false
  const message = isRec(env.event.message) ? env.event.message : {}
  return message.chat_type !== 'p2p' && Array.isArray(message.mentions) && message.mentions.length > 0
}
