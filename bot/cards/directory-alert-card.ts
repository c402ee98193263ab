import type { Card } from '../chat/model'
import type { Locale } from '../domain/locale'
import { t } from './i18n'

/** Told to admins when a directory sync stopped itself instead of deactivating a large share of the org. */
export function directorySyncStoppedCard(
  info: { platform: string; active: number; leaving: number; maxShare: number },
  locale: Locale,
): Card {
  const name = info.platform === 'dingtalk' ? t(locale, '钉钉', 'DingTalk') : t(locale, '飞书', 'Feishu')
  const pct = Math.round(info.maxShare * 100)
  return {
    header: { title: t(locale, '通讯录同步已中止', 'Directory sync stopped'), color: 'red' },
    summary: t(locale, '通讯录同步已中止', 'Directory sync stopped'),
    elements: [
      {
        type: 'markdown',
        text: t(
          locale,
          `${name}通讯录同步将停用 ${info.leaving} / ${info.active} 名成员（超过 ${pct}%），已中止，未做任何更改。请确认${name}通讯录与应用可见范围后重新同步。`,
          `The ${name} directory sync would have deactivated ${info.leaving} of ${info.active} people (over ${pct}%). It stopped and changed nothing. Check the ${name} directory and the app's visibility, then sync again.`,
        ),
      },
    ],
  }
}
