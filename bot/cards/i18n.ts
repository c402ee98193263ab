import type { Locale } from '../domain/locale'

/** Picks the text for a locale; presenters keep both languages side by side. */
export const t = (locale: Locale, zh: string, en: string): string => (locale === 'en' ? en : zh)

export const scopeLabel = (locale: Locale, scope: string): string =>
  ({
    self: t(locale, '本人', 'Own records'),
    department: t(locale, '本部门', 'Own department'),
    department_tree: t(locale, '本部门及下级', 'Department and below'),
    all: t(locale, '全部', 'Everything'),
  })[scope] ?? scope

/** `label：value` in Chinese, `label: value` in English. */
export const labelled = (locale: Locale, label: string, value: string): string =>
  locale === 'en' ? `${label}: ${value}` : `${label}：${value}`

/** `text（inner）` in Chinese, `text (inner)` in English. */
export const withParen = (locale: Locale, text: string, inner: string): string =>
  locale === 'en' ? `${text} (${inner})` : `${text}（${inner}）`

/** Items joined with 、 in Chinese, with commas in English. */
export const joinList = (locale: Locale, items: readonly string[]): string =>
  items.join(locale === 'en' ? ', ' : '、')
