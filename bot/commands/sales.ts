import { t } from '../cards/i18n'
import { opportunityCard, opportunityPickCard } from '../cards/sales-card'
import { loadCrmAccess, searchCustomers } from '../domain/crm'
import { listOpportunities, listStageSets, type OpportunityDto } from '../domain/opportunities'
import type { CommandSpec } from './types'

/**
 * `商机 华为` / `deal huawei`: open opportunities whose name matches, or whose customer matches (name,
 * pinyin or initials, as `客户` searches); one answers with the opportunity card (stage buttons), several
 * with a pick list. Only deals in the asker's data scope.
 */
export const dealCommand: CommandSpec = {
  key: 'sales.deal',
  names: { 'zh-CN': ['商机', '查商机'], en: ['deal', 'deals', 'opportunity'] },
  summary: { 'zh-CN': '查找商机并推进阶段', en: 'Find a deal and move its stage' },
  example: { 'zh-CN': '商机 华为', en: 'deal huawei' },
  run: async ({ ctx, locale, args }) => {
    const q = args.trim()
    if (!q)
      return {
        text: t(locale, '请输入商机或客户名称，例如「商机 华为」。', 'Type a name, e.g. "deal huawei".'),
      }
    const access = await loadCrmAccess(ctx)
    const [byName, customers] = await Promise.all([
      listOpportunities({ ctx, input: { q, limit: 8 }, access }),
      searchCustomers({ ctx, input: { q, limit: 5 }, access }),
    ])
    const found = new Map<string, OpportunityDto>(byName.map((o) => [o.id, o]))
    for (const c of customers) {
      if (found.size >= 8) break
      for (const o of await listOpportunities({ ctx, input: { customerId: c.id, limit: 8 }, access }))
        found.set(o.id, o)
    }
    const list = [...found.values()]
    if (list.length === 0)
      return { text: t(locale, `没有找到「${q}」相关的进行中商机。`, `No open deal matches "${q}".`) }
    const [only] = list
    if (list.length === 1 && only) {
      const set = (await listStageSets({ ctx })).find((s) => s.id === only.stageSetId)
      return { card: opportunityCard(only, set, locale) }
    }
    return { card: opportunityPickCard(q, list, locale) }
  },
}
