import type { Card } from '../chat/model'
import type { CommandSpec } from '../commands/types'
import type { Locale } from '../domain/locale'
import { joinList, scopeLabel, t } from './i18n'

/** The help card: every command in the reader's language, with a language switch and who-am-I. */
export function helpCard(specs: readonly CommandSpec[], locale: Locale, note?: string): Card {
  const lines = specs.map((s) => {
    const name = s.names[locale][0] ?? s.key
    const example = s.example ? `  ·  ${t(locale, '例', 'e.g.')} \`${s.example[locale]}\`` : ''
    return `**${name}** — ${s.summary[locale]}${example}`
  })
  return {
    header: { title: t(locale, 'flowcard 助手', 'flowcard assistant'), color: 'blue' },
    summary: t(locale, '可用命令', 'Available commands'),
    elements: [
      ...(note ? [{ type: 'note' as const, text: note }] : []),
      {
        type: 'markdown',
        text: t(
          locale,
          '私聊时直接输入命令，群聊中请 @我。',
          'Type a command in a direct message, or @mention me in a group.',
        ),
      },
      { type: 'markdown', text: lines.join('\n') },
      {
        type: 'actions',
        buttons: [
          { text: t(locale, '我是谁', 'Who am I'), style: 'primary', action: { a: 'help.whoami' } },
          locale === 'en'
            ? { text: '切换到中文', action: { a: 'help.locale', to: 'zh-CN' } }
            : { text: 'English', action: { a: 'help.locale', to: 'en' } },
          { text: t(locale, '打开小程序', 'Open the app'), link: { path: '/' } },
        ],
      },
    ],
  }
}

export interface WhoAmI {
  name: string
  department: string | null
  jobTitle: string | null
  roles: string[]
  scope: string
  platform: string
  openId: string | null
}

export function whoAmICard(me: WhoAmI, locale: Locale): Card {
  return {
    header: { title: t(locale, `你好，${me.name}`, `Hello, ${me.name}`), color: 'turquoise' },
    summary: t(locale, '我的身份', 'My identity'),
    elements: [
      {
        type: 'fields',
        fields: [
          { label: t(locale, '部门', 'Department'), value: me.department ?? '—', short: true },
          { label: t(locale, '职位', 'Title'), value: me.jobTitle ?? '—', short: true },
          { label: t(locale, '角色', 'Roles'), value: joinList(locale, me.roles) || '—', short: true },
          { label: t(locale, '数据权限', 'Data scope'), value: scopeLabel(locale, me.scope), short: true },
          { label: t(locale, '平台账号', 'Platform account'), value: `${me.platform} · ${me.openId ?? '—'}` },
        ],
      },
      {
        type: 'actions',
        buttons: [{ text: t(locale, '返回帮助', 'Back to help'), action: { a: 'help.show' } }],
      },
    ],
  }
}
