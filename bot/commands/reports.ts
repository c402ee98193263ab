import { reportCard, reportListCard } from '../cards/report-card'
import type { ServiceContext } from '../domain/context'
import type { Locale } from '../domain/locale'
import { listReports, runReport } from '../domain/reports'
import type { CommandSpec } from './types'

const BEIJING_MS = 8 * 3_600_000

/** This month in Beijing time, as the reports' inclusive first and last day. */
export function thisMonth(now: Date): { from: string; to: string } {
  const local = new Date(now.getTime() + BEIJING_MS)
  const y = local.getUTCFullYear()
  const m = local.getUTCMonth()
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
  const mm = String(m + 1).padStart(2, '0')
  return { from: `${y}-${mm}-01`, to: `${y}-${mm}-${String(last).padStart(2, '0')}` }
}

/** Words people type for each report, in both languages. */
const ALIASES: Record<string, string[]> = {
  'customers-new': ['新增客户', '新客户', '客户', 'customers', 'new customers', 'new'],
  'customer-map': ['客户分布', '分布', '地图', 'map', 'distribution'],
  activity: ['跟进与拜访', '拜访', '跟进', '行为', 'activity', 'visits', 'follow-ups'],
  approvals: ['审批统计', '审批', 'approvals'],
  achievement: ['目标完成', '目标', '业绩', 'targets', 'achievement', 'sales'],
}

export function reportKeyOf(words: string): string | undefined {
  const w = words.trim().toLowerCase()
  if (!w) return undefined
  for (const [key, names] of Object.entries(ALIASES)) if (key === w || names.includes(w)) return key
  for (const [key, names] of Object.entries(ALIASES))
    if (names.some((n) => n.length > 1 && w.includes(n))) return key
  return undefined
}

/** One report of this month, in the asker's scope, as a card. */
export async function reportCardFor(ctx: ServiceContext, locale: Locale, key: string, dimension?: string) {
  const result = await runReport({
    ctx,
    key,
    input: { ...thisMonth(ctx.clock.now()), ...(dimension ? { dimension } : {}) },
  })
  return reportCard(result, locale)
}

/** `报表 [名称]` / `report [name]`: this month's report as a card; without a name, the list of reports. */
export const reportCommand: CommandSpec = {
  key: 'report',
  names: { 'zh-CN': ['报表', '统计'], en: ['report', 'reports'] },
  summary: { 'zh-CN': '查看本月报表（新增客户、分布、拜访、审批、目标）', en: "This month's reports" },
  example: { 'zh-CN': '报表 拜访', en: 'report visits' },
  run: async ({ ctx, locale, args }) => {
    const key = reportKeyOf(args)
    if (!key) return { card: reportListCard((await listReports({ ctx })).items, locale) }
    return { card: await reportCardFor(ctx, locale, key) }
  },
}

/** `业绩` / `sales`: this month's targets and what was done, for me (and my team if I manage one). */
export const salesCommand: CommandSpec = {
  key: 'sales',
  names: { 'zh-CN': ['业绩', '我的业绩'], en: ['sales', 'my sales'] },
  summary: { 'zh-CN': '本月业绩目标与完成情况', en: "This month's targets and results" },
  example: { 'zh-CN': '业绩', en: 'sales' },
  run: async ({ ctx, locale }) => ({ card: await reportCardFor(ctx, locale, 'achievement', 'person') }),
}
