import { chartValue } from '../chat/chart-text'
import type { Card, CardElement, ChartSpec } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { DigestItem, DigestSection, MorningBriefData, TeamDigestData } from '../domain/reports'
import { t, withParen } from './i18n'
import { cardDateTime } from './time'

const CHART_PEOPLE = 8
const yuan = (cents: number) => chartValue({ unit: 'cents' }, cents)

function when(at: string | null, timeZone: string): string {
  if (!at) return ''
  return /^\d{4}-\d{2}-\d{2}$/.test(at) ? at : cardDateTime(new Date(at), timeZone).slice(11)
}

function line(i: DigestItem, timeZone: string): string {
  const parts = [i.title, i.detail, i.cents !== null ? yuan(i.cents) : null].filter(Boolean)
  const at = when(i.at, timeZone)
  return `- ${at ? `${at} ` : ''}${parts.join(' · ')}`
}

/** A titled list: the first lines and how many more there are. */
function listBlock(title: string, s: DigestSection, locale: Locale, timeZone: string): CardElement[] {
  if (s.count === 0) return []
  const more = s.count - s.items.length
  const head = `**${withParen(locale, title, `${s.count}${s.cents !== null ? ` · ${yuan(s.cents)}` : ''}`)}**`
  const tail = more > 0 ? [t(locale, `…… 另有 ${more} 条`, `… and ${more} more`)] : []
  return [{ type: 'markdown', text: [head, ...s.items.map((i) => line(i, timeZone)), ...tail].join('\n') }]
}

/**
 * The morning brief (晨报): the day's counts as fields and as a chart (drawn inside the Feishu card, a text
 * table elsewhere), then each non-empty list, and a button to the app.
 */
export function morningBriefCard(d: MorningBriefData, locale: Locale, timeZone: string): Card {
  const sections: Array<[string, DigestSection]> = [
    [t(locale, '今日待跟进', 'Follow-ups due'), d.followUps],
    [t(locale, '今日拜访', 'Visits today'), d.visits],
    [t(locale, '新线索', 'New leads'), d.newLeads],
    [t(locale, '超时未联系线索', 'Leads past SLA'), d.overdueLeads],
    [t(locale, '逾期回款', 'Overdue payments'), d.overduePayments],
    [t(locale, '待我审批', 'Approvals waiting'), d.approvals],
  ]
  const chart: ChartSpec = {
    kind: 'bar',
    title: t(locale, '今日待办', 'Today'),
    unit: 'count',
    points: sections.map(([label, s]) => ({ label, value: s.count })),
  }
  const title = t(locale, `早上好，${d.name}`, `Good morning, ${d.name}`)
  return {
    header: { title, subtitle: `${t(locale, '晨报', 'Morning brief')} · ${d.day}`, color: 'turquoise' },
    summary: `${t(locale, '晨报', 'Morning brief')} ${d.day}`,
    link: { path: '/' },
    elements: [
      {
        type: 'fields',
        fields: sections.map(([label, s]) => ({ label, value: String(s.count), short: true })),
      },
      { type: 'chart', chart },
      ...sections.flatMap(([label, s]) => listBlock(label, s, locale, timeZone)),
      {
        type: 'note',
        text: t(
          locale,
          '发送「简报 关闭」不再接收，「简报 7:30」改时间',
          'Send "brief off" to stop these, "brief 7:30" to change the time',
        ),
      },
      {
        type: 'actions',
        buttons: [{ text: t(locale, '打开小程序', 'Open the app'), style: 'primary', link: { path: '/' } }],
      },
    ],
  }
}

const pct = (done: number, target: number | null) =>
  target ? `${Math.round((done * 1000) / target) / 10}%` : '—'

const vs = (done: number, target: number | null, locale: Locale) =>
  target
    ? withParen(locale, `${yuan(done)} / ${yuan(target)}`, pct(done, target))
    : withParen(locale, yuan(done), t(locale, '未设目标', 'no target'))

/**
 * The team digest (团队业绩, also the answer to 「业绩」): the month so far against targets, up to four charts
 * inside the card — contract ranking, achievement rate, 回款, the funnel — and the stalled deals.
 */
export function teamDigestCard(d: TeamDigestData, locale: Locale, timeZone: string): Card {
  const top = d.people.slice(0, CHART_PEOPLE)
  const charts: ChartSpec[] = []
  if (top.length > 0) {
    charts.push({
      kind: 'bar',
      title: t(locale, '合同金额排行', 'Contract amount ranking'),
      unit: 'cents',
      points: top.map((p) => ({ label: p.name, value: p.contract })),
    })
    const rated = top.filter((p) => p.contractTarget)
    if (rated.length > 0)
      charts.push({
        kind: 'bar',
        title: t(locale, '合同目标完成率', 'Contract target achieved'),
        unit: 'percent',
        points: rated.map((p) => ({
          label: p.name,
          value: Math.round((p.contract * 1000) / (p.contractTarget ?? 1)) / 10,
        })),
      })
    charts.push({
      kind: 'bar',
      title: t(locale, '回款金额', 'Payments received'),
      unit: 'cents',
      points: top.map((p) => ({ label: p.name, value: p.payment })),
    })
  }
  if (d.funnel.length > 0)
    charts.push({
      kind: 'bar',
      title: t(locale, '销售漏斗（数量）', 'Sales funnel (count)'),
      unit: 'count',
      points: d.funnel.map((s) => ({ label: s.label, value: s.count })),
    })
  const title =
    d.scope === 'team' ? t(locale, '团队业绩', 'Team results') : t(locale, '我的业绩', 'My results')
  const lost = d.funnel.reduce((s, f) => s + f.lost, 0)
  const elements: CardElement[] = [
    {
      type: 'fields',
      fields: [
        {
          label: t(locale, '合同', 'Contracts'),
          value: vs(d.totals.contract, d.totals.contractTarget, locale),
        },
        { label: t(locale, '回款', 'Payments'), value: vs(d.totals.payment, d.totals.paymentTarget, locale) },
        { label: t(locale, '新增客户', 'New customers'), value: String(d.totals.newCustomers), short: true },
        { label: t(locale, '流失商机', 'Deals lost'), value: String(lost), short: true },
      ],
    },
    ...charts.map((chart): CardElement => ({ type: 'chart', chart })),
  ]
  if (d.people.length > 0 && d.scope === 'team') {
    const medal = ['🥇', '🥈', '🥉']
    elements.push({
      type: 'markdown',
      text: [
        `**${t(locale, '排行榜', 'Leaderboard')}**`,
        ...d.people
          .slice(0, CHART_PEOPLE)
          .map(
            (p, i) =>
              `${medal[i] ?? `${i + 1}.`} ${p.name} ${yuan(p.contract)} · ${t(locale, '回款', 'paid')} ${yuan(p.payment)} · ${pct(p.contract, p.contractTarget)}`,
          ),
      ].join('\n'),
    })
  }
  elements.push(
    ...listBlock(
      t(locale, `停滞商机（${d.stallDays} 天无进展）`, `Stalled deals (${d.stallDays} days idle)`),
      d.stalled,
      locale,
      timeZone,
    ),
  )
  if (d.people.length === 0 && d.funnel.every((f) => f.count === 0) && d.stalled.count === 0)
    elements.push({ type: 'note', text: t(locale, '这段时间没有数据', 'No data in this period') })
  elements.push({
    type: 'actions',
    buttons: [
      {
        text: t(locale, '查看完整报表', 'Open the full report'),
        style: 'primary',
        link: { path: '/reports?r=achievement&d=person' },
      },
    ],
  })
  return {
    header: { title, subtitle: `${d.from} ~ ${d.to}`, color: 'blue' },
    summary: `${title} ${d.from} ~ ${d.to}`,
    link: { path: '/reports?r=achievement&d=person' },
    elements,
  }
}
