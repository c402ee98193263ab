import type { CardActionHandler } from '../chat/model'
import { commands } from '../commands'
import { whoamiCommand } from '../commands/help'
import { reportCardFor, reportKeyOf } from '../commands/reports'
import { InvalidInputError } from '../domain/errors'
import type { Locale } from '../domain/locale'
import { setLocale } from '../domain/org/set-locale'
import { approvalActions } from './approval-actions'
import { customerActions } from './customer-actions'
import { helpCard } from './help-card'
import { t } from './i18n'
import { noticeActions } from './notice-actions'

/** Every card action by its `a` name. Features add theirs here. */
export const cardActions: Record<string, CardActionHandler> = {
  ...noticeActions,
  ...approvalActions,
  ...customerActions,
  // A report button of the list card answers with that report's card.
  'report.show': async ({ ctx, locale, payload }) => {
    const key = typeof payload.r === 'string' ? reportKeyOf(payload.r) : undefined
    if (!key) throw new InvalidInputError('r', 'unknown report')
    return { card: await reportCardFor(ctx, locale, key) }
  },
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
