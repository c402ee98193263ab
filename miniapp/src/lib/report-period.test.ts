import { describe, expect, it } from 'vitest'
import { periodOf } from './report-period'

describe('periodOf', () => {
  const now = new Date(2031, 1, 14, 9, 30) // 14 Feb 2031, a fixed instant: the function takes the clock as input

  it('turns each preset into inclusive first and last days', () => {
    expect(periodOf('thisMonth', now)).toEqual({ from: '2031-02-01', to: '2031-02-28' })
    expect(periodOf('lastMonth', now)).toEqual({ from: '2031-01-01', to: '2031-01-31' })
    expect(periodOf('thisQuarter', now)).toEqual({ from: '2031-01-01', to: '2031-03-31' })
    expect(periodOf('thisYear', now)).toEqual({ from: '2031-01-01', to: '2031-12-31' })
    expect(periodOf('last30', now)).toEqual({ from: '2031-01-16', to: '2031-02-14' })
  })

  it('crosses a year boundary for last month in January', () => {
    expect(periodOf('lastMonth', new Date(2031, 0, 5))).toEqual({ from: '2030-12-01', to: '2030-12-31' })
  })
})
