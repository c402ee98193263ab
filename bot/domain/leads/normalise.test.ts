import { describe, expect, it } from 'vitest'
import { normalisePhone } from '../crm/search-text'
import { normaliseContact, phoneKey } from './normalise'

describe('normaliseContact', () => {
  it('keys mainland phones without the country prefix and flags them valid', () => {
    expect(phoneKey('+86 138-0000-0000')).toBe('13800000000')
    expect(phoneKey('0086 13800000000')).toBe('13800000000')
    expect(phoneKey('8613800000000')).toBe('13800000000')
    expect(phoneKey('138-0000-0000')).toBe('13800000000')
    // A landline written internationally gets its trunk 0 back; other countries keep their prefix.
    expect(phoneKey('+86 10 6552 9988')).toBe('01065529988')
    expect(phoneKey('010-6552-9988')).toBe('01065529988')
    expect(phoneKey('+1 (415) 555-0100')).toBe('+14155550100')
    // The same key as the customers' and contacts' phones, so a lead finds them.
    expect(normalisePhone('+86 138 0000 0000')).toBe(phoneKey('0086-138-0000-0000'))
    expect(normaliseContact({ phone: '１３８ ０００ ００ ０００' })).toMatchObject({
      phone: '13800000000',
      phoneValid: true,
    })
  })

  it('keeps a malformed phone or email raw with the flag off', () => {
    const c = normaliseContact({ phone: '12345-678', email: 'not-an-email' })
    expect(c).toMatchObject({ phoneRaw: '12345-678', phoneValid: false, emailRaw: 'not-an-email' })
    expect(c.emailValid).toBe(false)
  })

  it('lower-cases emails and drops company suffixes for the duplicate key', () => {
    expect(normaliseContact({ email: ' Li@Example.COM ', company: '华为技术有限公司' })).toMatchObject({
      email: 'li@example.com',
      emailValid: true,
      companyNorm: '华为技术',
    })
  })
})
