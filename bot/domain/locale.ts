/** A user's language: Simplified Chinese by default, English when they chose it (`users.locale`). */
export type Locale = 'zh-CN' | 'en'

/** The locale a stored value names; anything but `en` is Chinese. */
export const localeOf = (value: string | null | undefined): Locale => (value === 'en' ? 'en' : 'zh-CN')
