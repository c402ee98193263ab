import { describe, expect, it } from 'vitest'
import { chartAsMarkdown, chartValue } from './chart-text'

describe('chartAsMarkdown', () => {
  it('draws one scaled bar per point, with the value in the chart’s unit', () => {
    const text = chartAsMarkdown({
      kind: 'bar',
      title: '新增客户',
      points: [
        { label: '刘洋', value: 6 },
        { label: '陈静', value: 3 },
        { label: '黄丽', value: 0 },
      ],
    })
    expect(text.split('\n')).toEqual([
      '**新增客户**',
      `刘洋　${'█'.repeat(12)} 6`,
      `陈静　${'█'.repeat(6)} 3`,
      '黄丽　 0',
    ])
  })

  it('reads cents as yuan and percentages as such', () => {
    expect(chartValue({ unit: 'cents' }, 123_450)).toBe('¥1,234.50')
    expect(chartValue({ unit: 'percent' }, 37.5)).toBe('37.5%')
  })
})
