import { helpCard } from '../cards/help-card'
import { t } from '../cards/i18n'
import type { CardActionHandler } from '../chat/model'
import { commands } from '../commands'
import { whoamiCommand } from '../commands/help'
import type { Locale } from '../domain/locale'
import { setLocale } from '../domain/org'

/** Help card buttons: show help, who am I, and switch the tapper's language (the answer is in the new one). */
export const helpActions: Record<string, CardActionHandler> = {
  'help.show': async ({ locale }) => ({ card: helpCard(commands, locale) }),
  'help.whoami': async (input) => {
    const reply = await whoamiCommand.run({
      ctx: input.ctx,
      locale: input.locale,
      timeZone: input.timeZone,
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
      locale: to,
    }
  },
}
