import { helpCard, whoAmICard } from '../cards/help-card'
import { getMe } from '../domain/org'
import type { CommandSpec } from './types'

/** `帮助` / `help`. The list it shows is the whole registry, passed in to avoid an import cycle. */
export function helpCommand(all: () => readonly CommandSpec[]): CommandSpec {
  return {
    key: 'help',
    names: { 'zh-CN': ['帮助', '菜单', '?', '？'], en: ['help', 'menu', 'h'] },
    summary: { 'zh-CN': '查看可用命令', en: 'List the commands' },
    example: { 'zh-CN': '帮助', en: 'help' },
    run: async ({ locale }) => ({ card: helpCard(all(), locale) }),
  }
}

export const whoamiCommand: CommandSpec = {
  key: 'whoami',
  names: { 'zh-CN': ['我是谁', '我的信息'], en: ['whoami', 'me'] },
  summary: { 'zh-CN': '查看我的身份、部门与权限', en: 'Show my identity, department and permissions' },
  example: { 'zh-CN': '我是谁', en: 'whoami' },
  run: async ({ ctx, locale }) => {
    const me = await getMe({ ctx })
    const identity = me.identities[0]
    return {
      card: whoAmICard(
        {
          name: locale === 'en' && me.enName ? me.enName : me.name,
          department: me.department?.name ?? null,
          jobTitle: me.jobTitle,
          roles: me.roles.map((r) => r.name),
          scope: me.scope,
          platform: identity?.platform ?? '—',
          openId: identity?.openId ?? null,
        },
        locale,
      ),
    }
  },
}
