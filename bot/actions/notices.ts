import { t } from '../cards/i18n'
import { renderView } from '../cards/views'
import type { CardActionHandler } from '../chat/model'
import { acknowledgeNotice, remindNotice } from '../domain/notices'

/**
 * Notice card buttons. `notice.ack`: the tapper acknowledges (or marks read) — only as themself, only while
 * the notice is published; the card turns into its done state at once. `notice.remind`: the publisher's
 * one-tap reminder for everyone still unread.
 */
export const noticeActions: Record<string, CardActionHandler> = {
  'notice.ack': async ({ ctx, locale, timeZone, payload }) => {
    const id = String(payload.n ?? '')
    const result = await acknowledgeNotice({ ctx, input: { id }, via: 'card' })
    return {
      card: renderView(result.view, locale, timeZone),
      toast: {
        kind: result.already ? 'info' : 'success',
        text: result.already
          ? t(locale, '你已处理过该公告', 'Already done')
          : result.receipt.ackAt
            ? t(locale, '已确认收到', 'Acknowledged')
            : t(locale, '已标记为已读', 'Marked as read'),
      },
    }
  },
  'notice.remind': async ({ ctx, locale, payload }) => {
    const { step, eligible } = await remindNotice({ ctx, input: { id: String(payload.n ?? '') } })
    return {
      toast: {
        kind: 'success',
        text:
          step === 1
            ? t(locale, `已向 ${eligible} 人发送提醒`, `Reminder sent to ${eligible} people`)
            : t(locale, `已向 ${eligible} 人发送加急提醒`, `Urgent reminder sent to ${eligible} people`),
      },
    }
  },
}
