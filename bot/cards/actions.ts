import { leadActions } from '../actions/leads'
import { commands } from '../commands'
import { whoamiCommand } from '../commands/help'
import type { ServiceContext } from '../domain/context'
import { setLocale } from '../domain/org/set-locale'
import type { ActionPayload, CardActionResult, Locale } from '../platforms/types'
import { approvalActions } from './approval-actions'
import { customerActions } from './customer-actions'
import { helpCard } from './help-card'
import { t } from './i18n'
import { noticeActions } from './notice-actions'

export interface CardActionInput {
  ctx: ServiceContext
  locale: Locale
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

/** Every card action by its `a` name. Features add theirs here. */
export const cardActions: Record<string, CardActionHandler> = {
  ...noticeActions,
  ...approvalActions,
  ...customerActions,
  ...leadActions,
  'help.show': async ({ locale }) => ({ card: helpCard(commands, locale) }),
  'help.whoami': async (input) => {
    const reply = await whoamiCommand.run({
      ctx: input.ctx,
      locale: input.locale,
      args: '',
      chat: { chatId: input.chat.chatId ?? '', chatType: 'p2p' },
      user: input.user,
    })
    return reply && 'card' in reply ? { card: reply.card } : {}
  },
  'help.locale': async ({ ctx, payload }) => {
    const to: Locale = payload.to === 'en' ? 'en' : 'zh-CN'
    await setLocale({ ctx, input: { locale: to } })
    return {
      card: helpCard(commands, to),
      toast: { kind: 'success', text: t(to, '已切换为中文', 'Switched to English') },
    }
  },
}
