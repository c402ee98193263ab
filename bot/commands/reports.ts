import { morningBriefCard, teamDigestCard } from '../cards/digest-card'
import { reportCard, reportListCard } from '../cards/report-card'
import type { ServiceContext } from '../domain/context'
import type { Locale } from '../domain/locale'
import {
  listReports,
  morningBrief,
  normaliseTime,
  runReport,
  setDigestPref,
  teamDigest,
  tenantToday,
} from '../domain/reports'
import type { CommandInput, CommandReply, CommandSpec } from './types'

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
  funnel: ['销售漏斗', '漏斗', 'funnel', 'pipeline'],
  forecast: ['销售预测', '预测', 'forecast'],
  'receivables-ageing': ['应收账龄', '账龄', '逾期', 'ageing', 'aging', 'overdue'],
  receivables: ['回款统计', '回款', 'receivables', 'payments', 'collections'],
  channels: ['渠道转化', '渠道', 'channels', 'channel'],
  'win-loss': ['赢单/输单分析', '赢输', '输单', '赢单', '原因', 'win-loss', 'win/loss', 'lost'],
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
  summary: {
    'zh-CN': '查看本月报表（新增客户、分布、拜访、审批、目标、漏斗、预测、回款、渠道、赢输）',
    en: "This month's reports",
  },
  example: { 'zh-CN': '报表 拜访', en: 'report visits' },
  run: async ({ ctx, locale, args }) => {
    const key = reportKeyOf(args)
    if (!key) return { card: reportListCard((await listReports({ ctx })).items, locale) }
    return { card: await reportCardFor(ctx, locale, key) }
  },
}

/**
 * `业绩` / `sales`: this month's targets and what was done — the same card as the weekly team digest, for my
 * team when I manage one, else for me.
 */
export const salesCommand: CommandSpec = {
  key: 'sales',
  names: { 'zh-CN': ['业绩', '我的业绩'], en: ['sales', 'my sales'] },
  summary: { 'zh-CN': '本月业绩目标与完成情况', en: "This month's targets and results" },
  example: { 'zh-CN': '业绩', en: 'sales' },
  run: async ({ ctx, locale, timeZone }) => ({
    card: teamDigestCard(await teamDigest({ ctx, day: await tenantToday(ctx) }), locale, timeZone),
  }),
}

const OFF = ['关闭', '关', '停止', '退订', 'off', 'stop']
const ON = ['开启', '开', '打开', '订阅', 'on', 'start']

/** Settings words and the digest's name and days, in the reader's language. */
function digestWords(weekly: boolean, locale: Locale) {
  const en = locale === 'en'
  return {
    name: weekly ? (en ? 'The team digest' : '团队周报') : en ? 'The morning brief' : '晨报',
    days: weekly ? (en ? 'every Monday' : '每周一') : en ? 'each workday' : '每个工作日',
    cmd: weekly ? (en ? 'weekly' : '周报') : en ? 'brief' : '简报',
  }
}

/** The digest now, or a change to its settings (`off`, `on`, a time). */
async function digestCommandRun(
  weekly: boolean,
  { ctx, locale, timeZone, args }: CommandInput,
): Promise<CommandReply> {
  const word = args.trim().toLowerCase().split(/\s+/).filter(Boolean)[0] ?? ''
  const day = await tenantToday(ctx)
  if (!word) {
    if (weekly || ctx.actor.kind !== 'user')
      return { card: teamDigestCard(await teamDigest({ ctx, day }), locale, timeZone) }
    return {
      card: morningBriefCard(
        await morningBrief({ ctx, userId: ctx.actor.userId, day, zone: timeZone }),
        locale,
        timeZone,
      ),
    }
  }
  const kind = weekly ? ('weekly' as const) : ('morning' as const)
  const time = normaliseTime(word)
  const input = OFF.includes(word)
    ? { kind, enabled: false }
    : ON.includes(word)
      ? { kind, enabled: true }
      : time
        ? { kind, enabled: true, sendAt: time }
        : null
  const w = digestWords(weekly, locale)
  if (!input)
    return {
      text:
        locale === 'en'
          ? `Not understood: "${word}". Try "${w.cmd} off", "${w.cmd} on" or "${w.cmd} 7:30".`
          : `没看懂「${word}」。可以发「${w.cmd} 关闭」「${w.cmd} 开启」或「${w.cmd} 7:30」。`,
    }
  const p = (await setDigestPref({ ctx, input })).find((x) => x.kind === kind)
  if (!p?.enabled)
    return {
      text:
        locale === 'en'
          ? `${w.name} is off. Send "${w.cmd} on" to get it again.`
          : `已关闭${w.name}。发送「${w.cmd} 开启」可重新接收。`,
    }
  return {
    text:
      locale === 'en'
        ? `${w.name} comes ${w.days} at ${p.sendAt}.`
        : `${w.name}将在${w.days} ${p.sendAt} 发送。`,
  }
}

/** `简报` / `brief`: my morning brief now; `简报 关闭|开启|7:30` turns it off, on or moves it. */
export const briefCommand: CommandSpec = {
  key: 'brief',
  names: { 'zh-CN': ['简报', '晨报'], en: ['brief', 'morning brief'] },
  summary: {
    'zh-CN': '今日晨报；「简报 关闭」「简报 7:30」设置每日推送',
    en: 'Today\'s brief; "brief off" / "brief 7:30"',
  },
  example: { 'zh-CN': '简报 7:30', en: 'brief 7:30' },
  run: (input) => digestCommandRun(false, input),
}

/** `周报` / `weekly`: the team digest now; `周报 关闭|开启|9:00` sets the Monday digest. */
export const weeklyCommand: CommandSpec = {
  key: 'weekly',
  names: { 'zh-CN': ['周报', '团队周报'], en: ['weekly', 'weekly digest'] },
  summary: {
    'zh-CN': '团队业绩周报；「周报 关闭」「周报 9:00」设置每周一推送',
    en: 'The team digest; "weekly off" / "weekly 9:00"',
  },
  example: { 'zh-CN': '周报 关闭', en: 'weekly off' },
  run: (input) => digestCommandRun(true, input),
}

/** 「漏斗」 / `funnel`: this month's sales funnel in the asker's scope. */
export const funnelCommand: CommandSpec = {
  key: 'funnel',
  names: { 'zh-CN': ['漏斗', '销售漏斗'], en: ['funnel'] },
  summary: { 'zh-CN': '本月销售漏斗（线索→客户→商机→赢单）', en: "This month's sales funnel" },
  example: { 'zh-CN': '漏斗', en: 'funnel' },
  run: async ({ ctx, locale }) => ({ card: await reportCardFor(ctx, locale, 'funnel') }),
}
