import { Locale as VantLocale } from 'vant'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import { createI18n } from 'vue-i18n'
import { compileMessage } from './compile'
import { type MessageSchema, zhCN } from './locales/zh-CN'

export const SUPPORTED_LOCALES = ['zh-CN', 'en'] as const
export type AppLocale = (typeof SUPPORTED_LOCALES)[number]
export const DEFAULT_LOCALE: AppLocale = 'zh-CN'
export const LOCALE_STORAGE_KEY = 'flowcard.locale'

type LeafKeys<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : LeafKeys<T[K], `${Prefix}${K}.`>
}[keyof T & string]

/** Every message key, e.g. `'nav.home'`; used where keys are stored as data (route meta, tab lists). */
export type MessageKey = LeafKeys<MessageSchema>

declare module 'vue-i18n' {
  // Makes `t('…')` check keys against the Chinese messages.
  export interface DefineLocaleMessage extends MessageSchema {}
}

export function isAppLocale(value: unknown): value is AppLocale {
  return SUPPORTED_LOCALES.some((locale) => locale === value)
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

/** The locale the user picked last time, else Chinese. */
export function readStoredLocale(): AppLocale {
  try {
    const stored = storage()?.getItem(LOCALE_STORAGE_KEY)
    return isAppLocale(stored) ? stored : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE
  }
}

interface LocaleBundle {
  messages: MessageSchema
  /** Vant's own strings (dialog buttons, pull-to-refresh); Vant ships Chinese by default. */
  vantName: string
  vantMessages: Record<string, unknown>
}

/** Chinese is in the entry chunk; every other locale is a lazy chunk loaded on first use. */
const loaders: Record<AppLocale, () => Promise<LocaleBundle>> = {
  'zh-CN': async () => ({ messages: zhCN, vantName: 'zh-CN', vantMessages: vantZhCN }),
  en: async () => {
    const [{ en }, vant] = await Promise.all([import('./locales/en'), import('vant/es/locale/lang/en-US')])
    return { messages: en, vantName: 'en-US', vantMessages: vant.default }
  },
}

export function createAppI18n() {
  return createI18n({
    legacy: false,
    globalInjection: false,
    locale: DEFAULT_LOCALE,
    fallbackLocale: DEFAULT_LOCALE,
    messages: { [DEFAULT_LOCALE]: zhCN },
    messageCompiler: compileMessage,
  })
}

export type AppI18n = ReturnType<typeof createAppI18n>

/** The parts of vue-i18n's global composer that switching needs (also satisfied by `useI18n()`). */
export interface LocaleTarget {
  locale: { value: string }
  availableLocales: readonly string[]
  setLocaleMessage(locale: string, messages: MessageSchema): void
}

/**
 * Loads `locale` if needed and makes it current for vue-i18n, Vant and `<html lang>`; remembers it in
 * localStorage unless `persist` is false (start-up restores, it does not re-save).
 */
export async function applyLocale(
  target: LocaleTarget,
  locale: AppLocale,
  options: { persist?: boolean } = {},
): Promise<void> {
  const bundle = await loaders[locale]()
  if (!target.availableLocales.includes(locale)) target.setLocaleMessage(locale, bundle.messages)
  VantLocale.use(bundle.vantName, bundle.vantMessages)
  target.locale.value = locale
  if (typeof document !== 'undefined') document.documentElement.lang = locale
  if (options.persist ?? true) {
    try {
      storage()?.setItem(LOCALE_STORAGE_KEY, locale)
    } catch {
      // Not persisted; the choice still holds for this visit.
    }
  }
}
