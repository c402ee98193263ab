import { describe, expect, it } from 'vitest'
import { reportKeyOf, thisMonth } from './reports'

describe('reportKeyOf', () => {
  it('finds a report by its key, its Chinese or English words, or a word inside the text', () => {
    expect(reportKeyOf('customer-map')).toBe('customer-map')
    expect(reportKeyOf('拜访')).toBe('activity')
    expect(reportKeyOf('Visits')).toBe('activity')
    expect(reportKeyOf('本月新增客户')).toBe('customers-new')
    expect(reportKeyOf('')).toBeUndefined()
    expect(reportKeyOf('天气')).toBeUndefined()
    expect(reportKeyOf('漏斗')).toBe('funnel')
    expect(reportKeyOf('渠道')).toBe('channels')
    expect(reportKeyOf('回款')).toBe('receivables')
    expect(reportKeyOf('逾期')).toBe('receivables-ageing')
    expect(reportKeyOf('输单原因')).toBe('win-loss')
    expect(reportKeyOf('forecast')).toBe('forecast')
  })
})

describe('thisMonth', () => {
  it('is the month of Beijing time, which starts eight hours before UTC’s', () => {
    // 16:30 UTC on the last day of a month is already the 1st of the next month in Beijing.
    expect(thisMonth(new Date(Date.UTC(2031, 0, 31, 16, 30)))).toEqual({
      from: '2031-02-01',
      to: '2031-02-28',
    })
    expect(thisMonth(new Date(Date.UTC(2031, 0, 31, 15, 30)))).toEqual({
      from: '2031-01-01',
      to: '2031-01-31',
    })
  })
})
