import { useLocale } from './use-locale'

export type DictT<K extends string> = (key: K, values?: Record<string, string | number>) => string

/**
 * `t` over a page group's own dictionary (kept out of the entry chunk), in the current language, with
 * `{name}` placeholders.
 */
export function useDictT<K extends string>(messages: Record<'zh-CN' | 'en', Record<K, string>>): DictT<K> {
  const { locale } = useLocale()
  return (key, values) => {
    const text = messages[locale.value][key]
    return values ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(values[name] ?? m)) : text
  }
}
