import { chartValue } from '../chat/chart-text'
import type { Card, CardElement, ChartSpec } from '../chat/model'
import type { Locale } from '../domain/locale'
import type { ReportResult, ReportSummary } from '../domain/reports'
import { t } from './i18n'

const CHART_POINTS = 8
const PERIOD_DIMENSIONS = new Set(['month', 'week', 'day'])

const reportPath = (r: Pick<ReportResult, 'key' | 'dimension'>) =>
  `/reports?r=${encodeURIComponent(r.key)}&d=${encodeURIComponent(r.dimension.key)}`

/**
 * A report in chat: the totals as fields, the first measure as a chart (drawn by Feishu, text elsewhere),
 * and a button to the same report in the mini-app with the same grouping.
 */
export function reportCard(result: ReportResult, locale: Locale): Card {
  const first = result.columns[0]
  const elements: CardElement[] = [
    {
      type: 'fields',
      fields: result.columns.slice(0, 4).map((c) => ({
        label: c.label,
        value:
          result.totals[c.key] === null || result.totals[c.key] === undefined
            ? '—'
            : chartValue(
                { unit: c.unit === 'cents' || c.unit === 'percent' ? c.unit : 'count' },
                result.totals[c.key] ?? 0,
              ),
        short: true,
      })),
    },
  ]
  if (first && result.rows.length > 0) {
    const period = PERIOD_DIMENSIONS.has(result.dimension.key)
    const rows = period ? result.rows.slice(-CHART_POINTS * 2) : result.rows.slice(0, CHART_POINTS)
    const chart: ChartSpec = {
      kind: period ? 'line' : 'bar',
      title: `${first.label} · ${result.dimension.label}`,
      unit: first.unit === 'cents' || first.unit === 'percent' ? first.unit : 'count',
      points: rows.map((r) => ({ label: r.label, value: r.values[first.key] ?? 0 })),
    }
    elements.push({ type: 'chart', chart })
  } else {
    elements.push({ type: 'note', text: t(locale, '这段时间没有数据', 'No data in this period') })
  }
  elements.push({
    type: 'actions',
    buttons: [
      {
        text: t(locale, '在小程序中查看', 'Open in the app'),
        style: 'primary',
        link: { path: reportPath(result) },
      },
    ],
  })
  return {
    header: {
      title: result.title,
      subtitle: `${result.query.from} ~ ${result.query.to}`,
      color: 'blue',
    },
    summary: `${result.title} ${result.query.from} ~ ${result.query.to}`,
    link: { path: reportPath(result) },
    elements,
  }
}

/** `报表` with no name: the reports there are, each a button that answers with its card. */
export function reportListCard(items: ReportSummary[], locale: Locale): Card {
  return {
    header: { title: t(locale, '报表', 'Reports'), color: 'blue' },
    summary: t(locale, '报表', 'Reports'),
    link: { path: '/reports' },
    elements: [
      {
        type: 'markdown',
        text: items.map((r) => `**${r.title}** · ${r.description}`).join('\n'),
      },
      {
        type: 'actions',
        buttons: items.map((r) => ({ text: r.title, action: { a: 'report.show', r: r.key } })),
      },
    ],
  }
}
