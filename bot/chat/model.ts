/**
 * The neutral chat model: what the domain, the presenters, the tap handlers and every platform adapter
 * share. Each adapter in `bot/platforms/<name>/` turns its platform's callbacks into `InboundEvent`s and
 * renders `Card`s into its platform's JSON; presenters in `bot/cards/` build `Card`s from domain data. Adding
 * a platform (WeCom) means adding an adapter, never touching the domain. The outbound port is in `./port`.
 */
import type { Platform } from '../../db/schema/org'
import type { ServiceContext } from '../domain/context'
import type { Locale } from '../domain/locale'

export type { Locale } from '../domain/locale'

/** The chat platforms, as the database stores them (`tenants.platform`). */
export type PlatformName = Platform

/** A person as the platform knows them. `openId` is the per-app id (Feishu open_id, DingTalk userid). */
export interface PlatformUserRef {
  openId: string
  unionId?: string
  userId?: string
}

// ---------------------------------------------------------------------------------------------------------
// Cards

export type CardColor = 'blue' | 'green' | 'red' | 'orange' | 'grey' | 'purple' | 'turquoise' | 'yellow'

/**
 * What a button or form submit asks for. `a` names the action (`approval.approve`); the rest names the
 * target (`task`, `v` for the state version). Never trusted for authority: handlers re-check who tapped and
 * the current state.
 */
export interface ActionPayload {
  a: string
  [key: string]: string | number | boolean
}

/** A link that opens the mini-app at a path (`/approvals/ins_…`); adapters turn it into their app link. */
export interface AppLink {
  path: string
}

export interface CardButton {
  text: string
  style?: 'primary' | 'danger' | 'default'
  /** A callback to the bot. */
  action?: ActionPayload
  /** Or a link: the mini-app at a path, or an absolute URL. */
  link?: AppLink | { url: string }
  confirm?: { title: string; text: string }
  disabled?: boolean
}

export interface FormInput {
  type: 'text' | 'textarea' | 'number' | 'select' | 'multiselect' | 'date' | 'datetime' | 'person'
  name: string
  label: string
  placeholder?: string
  required?: boolean
  options?: Array<{ value: string; label: string }>
  defaultValue?: string
  maxLength?: number
}

/**
 * A small chart inside a card: one series of labelled values (bar, line or pie). Feishu draws it natively
 * (card JSON 2.0 `chart`, a VChart spec; at most five per card); other platforms render the same data as a
 * text table, so every recipient gets the figures.
 */
export interface ChartSpec {
  kind: 'bar' | 'line' | 'pie'
  title?: string
  /** How values read: `count`, `cents` (shown in yuan), `percent`. */
  unit?: 'count' | 'cents' | 'percent'
  points: Array<{ label: string; value: number }>
}

/** The largest number of chart elements one card may carry (Feishu's limit). */
export const MAX_CHARTS_PER_CARD = 5

export type CardElement =
  | { type: 'markdown'; text: string }
  | { type: 'chart'; chart: ChartSpec }
  | { type: 'fields'; fields: Array<{ label: string; value: string; short?: boolean }> }
  | { type: 'divider' }
  | { type: 'image'; url?: string; imageKey?: string; alt: string }
  | { type: 'note'; text: string }
  | { type: 'actions'; buttons: CardButton[] }
  /** A form: inputs plus submit buttons; each button's action arrives with the form values. */
  | { type: 'form'; name: string; inputs: FormInput[]; buttons: CardButton[] }
  /** A person list, e.g. approvers of a node. */
  | {
      type: 'steps'
      steps: Array<{
        title: string
        detail?: string
        state: 'done' | 'current' | 'waiting' | 'rejected' | 'skipped'
      }>
    }

export interface Card {
  header: {
    title: string
    subtitle?: string
    color?: CardColor
    tags?: Array<{ text: string; color?: CardColor }>
  }
  elements: CardElement[]
  /** Preview text in the chat list. */
  summary?: string
  /** Opening the card body opens this link. */
  link?: AppLink
}

// ---------------------------------------------------------------------------------------------------------
// Inbound

interface InboundBase {
  platform: PlatformName
  /** The platform's tenant (Feishu tenant_key, DingTalk corpId, devchat tenant key). */
  tenantKey: string
  /** Unique per delivery attempt series; redeliveries carry the same id. */
  eventId: string
}

export interface InboundMessage extends InboundBase {
  kind: 'message'
  messageId: string
  chatId: string
  chatType: 'p2p' | 'group'
  sender: PlatformUserRef
  /** Text with mention placeholders removed. */
  text: string
  /** True in p2p, or when the bot was @-mentioned in a group. */
  addressedToBot: boolean
  location?: { lat: number; lng: number; name?: string }
}

export interface InboundCardAction extends InboundBase {
  kind: 'card_action'
  operator: PlatformUserRef
  payload: ActionPayload
  formValues: Record<string, unknown>
  messageId?: string
  chatId?: string
}

export interface InboundBotAdded extends InboundBase {
  kind: 'bot_added'
  chatId: string
  chatName?: string
  operator?: PlatformUserRef
}

export interface InboundContactChanged extends InboundBase {
  kind: 'contact_changed'
  entity: 'user' | 'department'
  change: 'created' | 'updated' | 'deleted'
  externalId: string
  /** The platform's record after the change (shape is the adapter's directory shape). */
  data?: DirectoryUser | DirectoryDepartment
}

export type InboundEvent = InboundMessage | InboundCardAction | InboundBotAdded | InboundContactChanged

/** What a platform's callback route answers: an HTTP status and a JSON body. */
export interface InboundReply {
  status: number
  body: Record<string, unknown>
}

/** What a card tap answers synchronously: a toast, a replacement card for the tapper, or both. */
export interface CardActionResult {
  toast?: { kind: 'success' | 'info' | 'warning' | 'error'; text: string }
  card?: Card
  /**
   * The tapper's language, which the adapter renders the replacement card in (its fixed strings, such as a
   * form's submit button). Dispatch sets it; absent (a failure before the tapper is known) means Chinese.
   */
  locale?: Locale
}

/** What a card tap handler receives: the tapper as actor of a transaction-bound context, and the tap. */
export interface CardActionInput {
  ctx: ServiceContext
  locale: Locale
  /** The tenant's time zone: times on the answer's card are shown in it. */
  timeZone: string
  payload: ActionPayload
  formValues: Record<string, unknown>
  user: { id: string; name: string }
  chat: { chatId: string | null }
  messageId: string | null
}

/**
 * A card button's handler. It runs inside one transaction with the tapper as actor; it must re-check that
 * the tapper may act and that the target is still in the state the card showed.
 */
export type CardActionHandler = (input: CardActionInput) => Promise<CardActionResult>

// ---------------------------------------------------------------------------------------------------------
// Outbound

export type Recipient = { kind: 'user'; openId: string } | { kind: 'chat'; chatId: string }

export interface OutboundMessage {
  to: Recipient
  content: { kind: 'card'; card: Card } | { kind: 'text'; text: string }
  /** Reply in the thread of this platform message id. */
  replyTo?: string
  /** The same key never posts twice (Feishu `uuid`). */
  idempotencyKey: string
  locale: Locale
}

// ---------------------------------------------------------------------------------------------------------
// Directory

export interface DirectoryDepartment {
  externalId: string
  name: string
  parentExternalId: string | null
  leaderOpenId: string | null
  order: number
}

export interface DirectoryUser {
  openId: string
  unionId?: string
  userId?: string
  name: string
  enName?: string
  email?: string
  mobile?: string
  avatarUrl?: string
  jobTitle?: string
  departmentExternalIds: string[]
  managerOpenId?: string
  /** The person's own IANA time zone, where the platform gives one (Feishu contact `time_zone`). */
  timeZone?: string
  active: boolean
}

export interface DirectorySnapshot {
  departments: DirectoryDepartment[]
  users: DirectoryUser[]
}
