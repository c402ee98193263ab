import { afterEach, describe, expect, it } from 'vitest'
import { formatDateTime, fromLocalInput, toLocalDate, toLocalInput } from './datetime'
import { setDisplayTimeZone } from './time-zone'

/** Inputs use the tenant's zone whatever the device's (the test process runs in its own zone). */
describe('date and time inputs in the display zone (M5)', () => {
  afterEach(() => setDisplayTimeZone(undefined))

  it('reads and writes Beijing wall time', () => {
    setDisplayTimeZone('Asia/Shanghai')
    expect(fromLocalInput('2026-12-04T07:30')).toBe('2026-12-03T23:30:00.000Z')
    const at = new Date('2026-12-03T23:30:00Z')
    expect(toLocalInput(at)).toBe('2026-12-04T07:30')
    expect(toLocalDate(at)).toBe('2026-12-04')
    expect(formatDateTime(at.toISOString(), 'zh-CN')).toContain('2026/12/04 07:30')
  })

  it('follows a zone with summer time on both sides of the change', () => {
    setDisplayTimeZone('America/Los_Angeles')
    expect(fromLocalInput('2026-07-01T09:00')).toBe('2026-07-01T16:00:00.000Z')
    expect(fromLocalInput('2026-12-01T09:00')).toBe('2026-12-01T17:00:00.000Z')
    expect(toLocalInput(new Date('2026-07-01T16:00:00Z'))).toBe('2026-07-01T09:00')
    expect(toLocalDate(new Date('2026-12-03T23:30:00Z'))).toBe('2026-12-03')
    for (const v of ['2026-03-08T01:30', '2026-03-08T03:30', '2026-11-01T00:30', '2026-11-01T02:30'])
      expect(toLocalInput(new Date(fromLocalInput(v)))).toBe(v)
  })
})
