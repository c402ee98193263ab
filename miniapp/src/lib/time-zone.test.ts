import { afterEach, describe, expect, it } from 'vitest'
import { formatDateTime } from './datetime'
import { formatWhen } from './format'
import { periodOf } from './report-period'
import { setDisplayTimeZone, zonedToday } from './time-zone'

// 07:30 on 3 December in Beijing is 23:30 UTC on the 2nd and 15:30 on the 2nd in Los Angeles.
const at = '2026-12-02T23:30:00.000Z'

describe('mini-app times follow the tenant zone, not the device', () => {
  afterEach(() => setDisplayTimeZone(undefined))

  it('shows 07:30 Beijing time for a tenant in China', () => {
    setDisplayTimeZone('Asia/Shanghai')
    expect(formatDateTime(at, 'zh-CN')).toBe('2026/12/03 07:30')
    expect(formatWhen(at, 'zh-CN', new Date('2026-12-03T01:00:00Z'))).toBe('07:30')
    expect(formatWhen(at, 'en', new Date('2026-12-04T01:00:00Z'))).toBe('Dec 3, 07:30')
  })

  it('writes the first hour after midnight as 00, never 24 (hour12: false gives "24:02" in en under Node)', () => {
    setDisplayTimeZone('UTC')
    const justAfterMidnight = '2026-12-05T00:02:00.000Z'
    expect(formatDateTime(justAfterMidnight, 'en')).toBe('12/05/2026, 00:02')
    expect(formatDateTime(justAfterMidnight, 'zh-CN')).toBe('2026/12/05 00:02')
    expect(formatWhen(justAfterMidnight, 'en', new Date('2026-12-05T08:00:00Z'))).toBe('00:02')
    expect(formatWhen(justAfterMidnight, 'en', new Date('2026-12-06T08:00:00Z'))).toBe('Dec 5, 00:02')
  })

  it('shows the same instant in Los Angeles for a tenant there', () => {
    setDisplayTimeZone('America/Los_Angeles')
    expect(formatDateTime(at, 'zh-CN')).toBe('2026/12/02 15:30')
    // "Today" is the tenant's today: 01:00 UTC on the 3rd is still the 2nd in Los Angeles.
    expect(formatWhen(at, 'zh-CN', new Date('2026-12-03T01:00:00Z'))).toBe('15:30')
  })

  it('cuts period presets on the tenant calendar: 23:30 UTC on the last of a month is already the next month in China', () => {
    const lastEvening = new Date('2026-11-30T23:30:00Z')
    setDisplayTimeZone('Asia/Shanghai')
    expect(periodOf('thisMonth', zonedToday(lastEvening))).toEqual({ from: '2026-12-01', to: '2026-12-31' })
    expect(periodOf('last30', zonedToday(lastEvening)).to).toBe('2026-12-01')
    setDisplayTimeZone('America/Los_Angeles')
    expect(periodOf('thisMonth', zonedToday(lastEvening))).toEqual({ from: '2026-11-01', to: '2026-11-30' })
  })
})
