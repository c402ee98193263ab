import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import { t } from './i18n'

/** Told to approval admins when an external system's webhook failed for good (after every retry). */
export function approvalWebhookFailedCard(
  info: { systemName: string; externalId: string; serialNo: string; attempts: number; lastError: string },
  locale: Locale,
): Card {
  const title = t(locale, `${info.systemName} 回调失败`, `${info.systemName} webhook failed`)
  return {
    header: { title, color: 'red', tags: [{ text: t(locale, '需处理', 'Action needed'), color: 'red' }] },
    summary: title,
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '外部单号', 'External id'), value: info.externalId, short: true },
          { label: t(locale, '审批编号', 'Request'), value: info.serialNo, short: true },
          { label: t(locale, '尝试次数', 'Attempts'), value: String(info.attempts), short: true },
          { label: t(locale, '最后错误', 'Last error'), value: info.lastError.slice(0, 200), short: false },
        ],
      },
      {
        type: 'note',
        text: t(
          locale,
          '审批结果未能送达外部系统。修复对方接口后，可在管理后台「外部系统 → 投递记录」中重新投递。',
          'The outcome did not reach the external system. Once its endpoint is fixed, redeliver it from External systems → Deliveries.',
        ),
      },
    ],
  }
}
