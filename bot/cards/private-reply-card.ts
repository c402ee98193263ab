import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import { t } from './i18n'

/**
 * What a group chat sees when someone asks the bot for data there: who asked and where the answer went,
 * nothing of the answer itself (it holds the asker's view of customers, leads, deals, approvals or reports,
 * which other members of the group may not be allowed to see). The answer goes to the asker by DM.
 */
export function privateReplyCard(asker: string, command: string, locale: Locale): Card {
  return {
    header: { title: t(locale, '已私信回复', 'Answered in a private chat'), color: 'grey' },
    summary: t(locale, `已私信回复 ${asker}`, `Answered ${asker} privately`),
    elements: [
      {
        type: 'markdown',
        text: t(
          locale,
          `${asker}，「${command}」的结果可能含有只有你能看到的数据，已通过私聊发给你。`,
          `${asker}, the answer to "${command}" may hold data only you may see, so I sent it to you in a private chat.`,
        ),
      },
      {
        type: 'actions',
        buttons: [{ text: t(locale, '打开 flowcard', 'Open flowcard'), link: { path: '/' } }],
      },
    ],
  }
}
