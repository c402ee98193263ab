import { useI18n } from 'vue-i18n'
import type { MessageKey } from '@/i18n'

export type NamedValues = Record<string, string | number>
export type Translate = (key: MessageKey, values?: NamedValues | number) => string

/**
 * `t` with message keys checked at compile time (vue-i18n's own `t` takes any string). `values` is a
 * map for `{name}` placeholders, or a count that picks a plural case.
 */
export function useT(): Translate {
  const { t } = useI18n()
  return (key, values) => {
    if (values === undefined) return t(key)
    return typeof values === 'number' ? t(key, values) : t(key, values)
  }
}
