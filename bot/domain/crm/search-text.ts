import { pinyin } from 'pinyin-pro'

/** Full-width to half-width, lower case, letters/digits/CJK only: the form both stored text and queries take. */
export const normaliseSearch = (s: string): string =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '')

/** Company suffixes ignored by duplicate detection (`华为技术有限公司` ≈ `华为技术`). */
const SUFFIXES = ['股份有限公司', '有限责任公司', '有限公司', '集团公司', '公司']

/** The duplicate key of a company name. */
export function normaliseCompanyName(name: string): string {
  let n = normaliseSearch(name)
  for (const s of SUFFIXES) {
    if (n.length > s.length && n.endsWith(s)) {
      n = n.slice(0, -s.length)
      break
    }
  }
  return n
}

/**
 * The one key of a phone number, for customers, contacts and leads alike (duplicate checks and matches
 * compare keys): full-width digits folded, separators dropped, and a mainland prefix (`+86`, `0086`, `86`
 * before an 11-digit mobile) removed so `+86 138…`, `138-…` and `0086 138…` are one number; a landline
 * written with `+86` gets its trunk `0` back (`+86 10 …` → `010…`). Other international numbers keep `+`.
 */
export function normalisePhone(phone: string): string {
  const p = phone.normalize('NFKC').replace(/[^\d+]/g, '')
  let national: string
  if (p.startsWith('+86')) national = p.slice(3)
  else if (p.startsWith('0086')) national = p.slice(4)
  else if (/^861[3-9]\d{9}$/.test(p)) national = p.slice(2)
  else return p
  national = national.replace(/\+/g, '')
  if (national === '' || /^1[3-9]\d{9}$/.test(national) || national.startsWith('0')) return national
  return `0${national}`
}

const hasHan = (s: string): boolean => /\p{Script=Han}/u.test(s)

/** Full pinyin and initials in one pinyin-pro call per run of Chinese characters; other runs kept whole. */
function pinyinForms(text: string): { full: string; initials: string } {
  let full = ''
  let initials = ''
  for (const run of text.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu) ?? []) {
    if (hasHan(run)) {
      const syllables = pinyin(run, { toneType: 'none', type: 'array' })
      full += syllables.join('')
      initials += syllables.map((x) => x.charAt(0)).join('')
    } else {
      full += run
      initials += run
    }
  }
  return { full: normaliseSearch(full), initials: normaliseSearch(initials) }
}

export interface SearchSource {
  name: string
  shortName?: string | null
  phones?: Array<string | null | undefined>
  contactNames?: string[]
}

/**
 * The precomputed search columns of a customer. `searchText`: space-separated normalised tokens (name,
 * short name, their full pinyin and initials, phones, contact names) for trigram `LIKE` on 3+ characters.
 * `searchGrams`: every 1- and 2-character slice of the names and 1-2 letter pinyin prefixes, for GIN
 * containment on 1-2 character queries, where trigrams cannot help.
 */
export function buildSearch(src: SearchSource): { searchText: string; searchGrams: string[] } {
  const tokens = new Set<string>()
  const grams = new Set<string>()
  const names = [src.name, src.shortName ?? ''].map(normaliseSearch).filter(Boolean)
  for (const n of names) {
    tokens.add(n)
    addSlices(grams, n)
    if (hasHan(n)) {
      const { full, initials } = pinyinForms(n)
      tokens.add(full)
      tokens.add(initials)
      for (const p of [full, initials]) {
        grams.add(p.slice(0, 1))
        grams.add(p.slice(0, 2))
      }
    }
  }
  for (const phone of src.phones ?? []) {
    const p = phone ? normalisePhone(phone).replace('+', '') : ''
    if (p) tokens.add(p)
  }
  for (const c of src.contactNames ?? []) {
    const n = normaliseSearch(c)
    if (!n) continue
    tokens.add(n)
    addSlices(grams, n)
  }
  grams.delete('')
  return { searchText: [...tokens].join(' '), searchGrams: [...grams] }
}

function addSlices(grams: Set<string>, s: string): void {
  const chars = [...s]
  for (let i = 0; i < chars.length; i++) {
    grams.add(chars[i] ?? '')
    if (i + 1 < chars.length) grams.add(`${chars[i]}${chars[i + 1]}`)
  }
}
