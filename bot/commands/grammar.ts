import type { Locale } from '../domain/locale'
import type { CommandSpec } from './types'

export interface ParsedCommand {
  spec: CommandSpec
  args: string
  /** The language of the word the user typed: replies follow it. */
  locale: Locale
}

export type ParseResult =
  | { kind: 'command'; command: ParsedCommand }
  | { kind: 'suggest'; suggestion: CommandSpec; typed: string; locale: Locale }
  | { kind: 'unknown'; typed: string }

/** Normalises full-width characters and the `/` prefix some users type (`／帮助`, `/help`). */
export function normaliseText(text: string): string {
  return text
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .trim()
    .replace(/^\/+/, '')
    .trim()
}

/**
 * Matches the longest command word at the start of the text (Chinese words need no space: `客户华为`).
 * A near miss within edit distance 1 (2 for longer words) is suggested instead of failing silently.
 */
export function parseCommand(text: string, specs: readonly CommandSpec[]): ParseResult {
  const input = normaliseText(text)
  const lower = input.toLowerCase()
  let best: ParsedCommand | null = null
  let bestLen = 0
  for (const spec of specs) {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const name of spec.names[locale]) {
        const n = name.toLowerCase()
        if (!lower.startsWith(n) || n.length <= bestLen) continue
        const rest = input.slice(n.length)
        // English words must end at a word boundary (`helpme` is not `help`); Chinese words need not.
        if (locale === 'en' && rest.length > 0 && /^[a-z0-9]/i.test(rest)) continue
        best = { spec, args: rest.trim(), locale }
        bestLen = n.length
      }
    }
  }
  if (best) return { kind: 'command', command: best }
  const firstWord = lower.split(/\s+/)[0] ?? ''
  if (!firstWord) return { kind: 'unknown', typed: input }
  let suggestion: { spec: CommandSpec; distance: number; locale: Locale } | null = null
  for (const spec of specs) {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const name of spec.names[locale]) {
        const candidate = locale === 'en' ? firstWord : lower.slice(0, name.length)
        const d = editDistance(candidate, name.toLowerCase())
        const allowed = name.length >= 5 ? 2 : 1
        if (d <= allowed && (!suggestion || d < suggestion.distance))
          suggestion = { spec, distance: d, locale }
      }
    }
  }
  if (suggestion)
    return { kind: 'suggest', suggestion: suggestion.spec, typed: input, locale: suggestion.locale }
  return { kind: 'unknown', typed: input }
}

/** Levenshtein distance with transpositions counted as one edit (`hlep` → `help`). */
export function editDistance(a: string, b: string): number {
  const m = a.length
  const n = b.length
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) =>
    Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const row = d[i] as number[]
      const prev = d[i - 1] as number[]
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] ?? 0, ((d[i - 2] as number[])[j - 2] ?? 0) + 1)
      }
    }
  }
  return (d[m] as number[])[n] ?? 0
}

/** Detects whether free text is mostly Chinese (for replies to messages that match no command). */
export const looksChinese = (text: string): boolean => /[\u4e00-\u9fff]/.test(text)
