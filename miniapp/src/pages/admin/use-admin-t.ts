import { useLocale } from '@/composables/use-locale'
import { type AdminKey, adminMessages } from './admin-messages'

export type AdminT = (key: AdminKey, values?: Record<string, string | number>) => string

/** `t` for the admin console's own dictionary, in the current language, with `{name}` placeholders. */
export function useAdminT(): AdminT {
  const { locale } = useLocale()
  return (key, values) => {
    const text = adminMessages[locale.value][key]
    return values ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(values[name] ?? m)) : text
  }
}
