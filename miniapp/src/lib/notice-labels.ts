import type { Translate } from '@/composables/use-t'

export const NOTICE_CATEGORIES = ['general', 'hr', 'admin', 'it', 'finance', 'sales', 'event'] as const

export function categoryLabel(t: Translate, category: string): string {
  const known = NOTICE_CATEGORIES.find((c) => c === category)
  return known ? t(`notices.categories.${known}`) : category
}
