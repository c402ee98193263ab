import { normaliseCompanyName, normalisePhone } from '../crm/search-text'

/**
 * Contact data as it arrives (ad platforms, forms, chat) is messy. A lead keeps the raw text and a
 * normalised key for duplicate detection, with a flag saying whether it looks valid: a malformed phone or
 * email is stored and flagged, never silently dropped.
 */
export interface NormalisedContact {
  phoneRaw: string | null
  phone: string | null
  phoneValid: boolean
  emailRaw: string | null
  email: string | null
  emailValid: boolean
  companyNorm: string | null
}

const MOBILE = /^1[3-9]\d{9}$/
const LANDLINE = /^0\d{9,11}$/
const INTERNATIONAL = /^\+[1-9]\d{6,14}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/

/** The duplicate key of a phone: digits, a mainland `+86`/`0086` prefix dropped. */
export function phoneKey(raw: string): string {
  let p = normalisePhone(raw.normalize('NFKC'))
  if (p.startsWith('0086')) p = p.slice(4)
  else if (p.startsWith('+86')) p = p.slice(3)
  else if (p.startsWith('86') && p.length === 13) p = p.slice(2)
  return p
}

export const phoneLooksValid = (key: string): boolean =>
  MOBILE.test(key) || LANDLINE.test(key) || INTERNATIONAL.test(key)

export const emailKey = (raw: string): string => raw.normalize('NFKC').trim().toLowerCase()

export function normaliseContact(input: {
  phone?: string | null
  email?: string | null
  company?: string | null
}): NormalisedContact {
  const phoneRaw = input.phone?.trim() || null
  const pk = phoneRaw ? phoneKey(phoneRaw) : ''
  const emailRaw = input.email?.trim() || null
  const ek = emailRaw ? emailKey(emailRaw) : ''
  const company = input.company?.trim()
  const cn = company ? normaliseCompanyName(company) : ''
  return {
    phoneRaw,
    phone: pk.replace('+', '').length >= 5 ? pk : null,
    phoneValid: pk ? phoneLooksValid(pk) : false,
    emailRaw,
    email: ek || null,
    emailValid: ek ? EMAIL.test(ek) : false,
    companyNorm: cn.length >= 2 ? cn : null,
  }
}
