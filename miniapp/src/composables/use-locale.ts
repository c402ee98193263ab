import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { type AppLocale, applyLocale, isAppLocale, SUPPORTED_LOCALES } from '@/i18n'

/** The current language and a switch that loads, applies and remembers another one. */
export function useLocale() {
  const composer = useI18n()
  const switching = ref(false)
  const locale = computed<AppLocale>(() =>
    isAppLocale(composer.locale.value) ? composer.locale.value : 'zh-CN',
  )

  async function setLocale(next: AppLocale): Promise<void> {
    if (switching.value || (next === locale.value && composer.availableLocales.includes(next))) return
    switching.value = true
    try {
      await applyLocale(composer, next)
    } finally {
      switching.value = false
    }
  }

  return { locale, locales: SUPPORTED_LOCALES, switching, setLocale }
}
