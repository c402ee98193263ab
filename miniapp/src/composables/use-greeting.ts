import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import type { MessageKey } from '@/i18n'
import { formatToday } from '@/lib/format'
import { useSessionStore } from '@/stores/session'
import { useT } from './use-t'

function greetingKey(hour: number): MessageKey {
  if (hour < 11) return 'home.greeting.morning'
  if (hour < 13) return 'home.greeting.noon'
  if (hour < 18) return 'home.greeting.afternoon'
  return 'home.greeting.evening'
}

/**
 * "下午好，张三" and today's date for the top of the home page. While the app is still exchanging its
 * login code the name is not known yet: then just "下午好", without the dangling comma.
 */
export function useGreeting() {
  const { locale } = useI18n()
  const t = useT()
  const session = useSessionStore()
  const now = new Date()
  const title = computed(() => {
    const name = session.user?.name ?? ''
    const text = t(greetingKey(now.getHours()), { name })
    return name ? text : text.replace(/[，,]\s*$/, '')
  })
  const date = computed(() => formatToday(locale.value, now))
  return { title, date }
}
