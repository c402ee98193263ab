/**
 * The neutral chat model. Domain code and presenters speak only these types; each adapter in
 * `bot/platforms/<name>/` turns its platform's callbacks into `InboundEvent`s and renders `Card`s into its
 * platform's JSON. Adding a platform (WeCom) means adding an adapter, never touching the domain.
 */

export type PlatformName = 'feishu' | 'dingtalk' | 'devchat'
export type Locale = 'zh-CN' | 'en'

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

export type CardElement =
  | { type: 'markdown'; text: string }
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
}

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
  active: boolean
}

export interface DirectorySnapshot {
  departments: DirectoryDepartment[]
  users: DirectoryUser[]
}

/** A permanent delivery failure (user unreachable, chat gone): recorded with its reason, never retried. */
export class PermanentSendError extends Error {
  constructor(
    readonly platformCode: string,
    message: string,
  ) {
    super(message)
    this.name = 'PermanentSendError'
  }
}

/** The platform asked us to slow down; retry after `retryAfterMs` without counting a failed try. */
export class RateLimitedSendError extends Error {
  constructor(
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(message)
    this.name = 'RateLimitedSendError'
  }
}

export interface TenantRef {
  id: string
  platformTenantKey: string
}

/** The outbound half of an adapter: what workers call. */
export interface ChatPlatform {
  readonly name: PlatformName
  send(tenant: TenantRef, message: OutboundMessage): Promise<{ platformMessageId: string; chatId?: string }>
  updateCard(tenant: TenantRef, platformMessageId: string, card: Card, locale: Locale): Promise<void>
  syncDirectory?(tenant: TenantRef): Promise<DirectorySnapshot>
  /**
   * The platform's current record of one user (by open id) or department (by external id), for applying a
   * contact event without a full sync; null when it no longer exists or left the app's contact scope.
   */
  fetchDirectoryEntry?(
    tenant: TenantRef,
    entity: 'user' | 'department',
    externalId: string,
  ): Promise<DirectoryUser | DirectoryDepartment | null>
  /**
   * The open ids of the app's administrators on the platform (Feishu app admins, DingTalk admins), re-read
   * on every directory sync; null when the platform or the app's permissions do not tell.
   */
  listAdmins?(tenant: TenantRef): Promise<string[] | null>
  /** Exchange a mini-app login code for the platform user. */
  exchangeLoginCode?(code: string): Promise<PlatformUserRef & { tenantKey: string; name?: string }>
  /** Who has read a message the bot sent (Feishu read_users), where the platform tells. */
  readUsers?(tenant: TenantRef, platformMessageId: string): Promise<Array<{ openId: string; readAt: Date }>>
  /** The platform's urgent notification on a sent message (Feishu in-app buzz), where it has one. */
  urgent?(
    tenant: TenantRef,
    platformMessageId: string,
    openIds: string[],
  ): Promise<{ invalidOpenIds: string[] }>
}
