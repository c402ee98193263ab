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

/** The duplicate key of a phone: the CRM's one phone key (mainland prefix dropped), see {@link normalisePhone}. */
export const phoneKey = (raw: string): string => normalisePhone(raw)

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
