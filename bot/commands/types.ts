import type { Card } from '../chat/model'
import type { ServiceContext } from '../domain/context'
import type { Locale } from '../domain/locale'

export interface CommandInput {
  ctx: ServiceContext
  locale: Locale
  /** The tenant's time zone: times on the answer's card are shown in it. */
  timeZone: string
  /** The text after the command word. */
  args: string
  chat: { chatId: string; chatType: 'p2p' | 'group' }
  user: { id: string; name: string }
  location?: { lat: number; lng: number; name?: string }
}

export type CommandReply = { card: Card } | { text: string } | null

/** One chat command: its words in Chinese and English, a one-line summary for help, and what it does. */
export interface CommandSpec {
  key: string
  names: { 'zh-CN': string[]; en: string[] }
  summary: { 'zh-CN': string; en: string }
  /** Example of use shown in help (e.g. `客户 华为`). */
  example?: { 'zh-CN': string; en: string }
  /**
   * In a group chat the answer goes to the asker by DM (it holds their view of the data) and the group gets
   * a card without data; `'reply'` answers in the group, for commands whose answer holds nothing private.
   */
  inGroups?: 'reply'
  run(input: CommandInput): Promise<CommandReply>
}
