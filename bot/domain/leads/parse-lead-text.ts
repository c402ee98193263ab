/**
 * Reads a lead typed in chat: 「张三 13800000000 华为 想了解报价」 or `John 13800000000 Acme wants a quote`.
 * The phone (mainland mobile, a landline, or +country digits) and an email are found anywhere; of the rest,
 * the first word is the name, the second the company, everything after it the need. The confirm card lets
 * the person correct any guess before anything is stored.
 */
export interface LeadDraft {
  name: string
  phone: string | null
  email: string | null
  company: string | null
  message: string | null
}

const PHONE = /(?:\+?\d[\d -]{5,18}\d)/
const EMAIL = /[^\s@，,]+@[^\s@，,]+\.[^\s@，,]+/

export function parseLeadText(text: string): LeadDraft | null {
  let rest = text
    .normalize('NFKC')
    .replace(/[，,；;]/g, ' ')
    .trim()
  const email = EMAIL.exec(rest)?.[0] ?? null
  if (email) rest = rest.replace(email, ' ')
  const phone = PHONE.exec(rest)?.[0]?.trim() ?? null
  if (phone) rest = rest.replace(phone, ' ')
  const words = rest.split(/\s+/).filter(Boolean)
  const [name, company, ...more] = words
  if (!name) return null
  return { name, phone, email, company: company ?? null, message: more.join(' ') || null }
}
