import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { UsageWarning } from '../domain/platform-usage'
import { t } from './i18n'

const platformName = (locale: Locale, p: string) => (p === 'dingtalk' ? t(locale, '钉钉', 'DingTalk') : p)

/** The admins' quota warning: how much of the month's allowance is used, and what happens at the limit. */
export function platformUsageWarningCard(w: UsageWarning, locale: Locale): Card {
  const u = w.usage
  const name = platformName(locale, w.platform)
  const spent = w.level >= 100
  const until = u.pausedUntil ? u.pausedUntil.slice(0, 10) : ''
  return {
    header: {
      title: spent
        ? t(locale, `${name}本月接口额度已用完`, `${name} monthly API quota spent`)
        : t(locale, `${name}本月额度已用 ${u.percent}%`, `${name} monthly quota ${u.percent}% used`),
      color: spent || w.level >= 95 ? 'red' : 'orange',
    },
    summary: t(locale, '平台额度提醒', 'Platform quota warning'),
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '月份', 'Month'), value: u.month, short: true },
          { label: t(locale, '接口调用', 'API calls'), value: `${u.apiCalls} / ${u.apiQuota}`, short: true },
          { label: t(locale, '推送', 'Pushes'), value: `${u.pushes} / ${u.pushQuota}`, short: true },
        ],
      },
      {
        type: 'markdown',
        text: spent
          ? t(
              locale,
              `消息已暂停发送，将在 ${until} 额度恢复后自动补发，不会丢失。升级钉钉专业版或购买应用开发增购包可提高额度。`,
              `Messages are paused and will go out when the quota resets on ${until}; none are lost. A professional edition or an add-on pack raises the quota.`,
            )
          : t(
              locale,
              '额度用完后消息将暂停发送，直到下月额度恢复。可升级钉钉专业版或购买应用开发增购包。',
              'When the quota runs out, messages pause until next month. A professional edition or an add-on pack raises it.',
            ),
      },
    ],
  }
}
