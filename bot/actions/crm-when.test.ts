import { describe, expect, it } from 'vitest'
import { InvalidInputError } from '../domain/errors'
import { parseWhen } from './crm'

describe('parseWhen: a follow-up time typed in chat', () => {
  it('reads a time without a zone as the reader’s wall-clock time', () => {
    expect(parseWhen('2026-03-10 09:30', 'Asia/Shanghai')).toBe('2026-03-10T01:30:00.000Z')
    expect(parseWhen('2026-03-10T09:30:15', 'Asia/Shanghai')).toBe('2026-03-10T01:30:15.000Z')
    // Europe/Berlin is UTC+1 in March before the switch and UTC+2 after it.
    expect(parseWhen('2026-03-10 09:30', 'Europe/Berlin')).toBe('2026-03-10T08:30:00.000Z')
    expect(parseWhen('2026-04-10 09:30', 'Europe/Berlin')).toBe('2026-04-10T07:30:00.000Z')
    expect(parseWhen('2026-07-01 18:00', 'America/New_York')).toBe('2026-07-01T22:00:00.000Z')
  })

  it('keeps an explicit zone and epoch milliseconds as they are', () => {
    expect(parseWhen('2026-03-10T09:30:00+08:00', 'Europe/Berlin')).toBe('2026-03-10T01:30:00.000Z')
    expect(parseWhen('1773106200000', 'Europe/Berlin')).toBe(new Date(1773106200000).toISOString())
    expect(parseWhen('  ', 'Asia/Shanghai')).toBeNull()
  })

  it('refuses what is not a date and time, naming the field', () => {
    for (const bad of ['2026-13-45 10:00', 'tomorrow-ish', '2026-02-30 25:61']) {
      const err = (() => {
        try {
          parseWhen(bad, 'Asia/Shanghai')
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(InvalidInputError)
      expect((err as InvalidInputError).details).toEqual({ field: 'next' })
    }
  })
})
