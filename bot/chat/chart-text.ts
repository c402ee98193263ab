import type { ChartSpec } from './model'

const BAR_CELLS = 12

/** A value as the chart's unit reads it: `¥1,234.50`, `42%`, `1,234`. */
export function chartValue(chart: Pick<ChartSpec, 'unit'>, value: number): string {
  if (chart.unit === 'cents')
    return `¥${(value / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
  if (chart.unit === 'percent') return `${value}%`
  return value.toLocaleString('zh-CN')
}

/**
 * A chart as markdown for platforms (or card slots) without a chart element: one line per point with a
 * bar of block characters scaled to the largest value, so the shape survives as text.
 */
export function chartAsMarkdown(chart: ChartSpec): string {
  const max = Math.max(0, ...chart.points.map((p) => p.value))
  const lines = chart.points.map((p) => {
    const cells = max > 0 ? Math.max(p.value > 0 ? 1 : 0, Math.round((p.value / max) * BAR_CELLS)) : 0
    return `${p.label}　${'█'.repeat(cells)} ${chartValue(chart, p.value)}`
  })
  return [chart.title ? `**${chart.title}**` : '', ...lines].filter(Boolean).join('\n')
}
