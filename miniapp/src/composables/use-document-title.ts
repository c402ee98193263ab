import { watchEffect } from 'vue'
import { useRoute } from 'vue-router'
import { useT } from './use-t'

/** Keeps `document.title` (shown in the chat client's title bar) on the current page, in the current language. */
export function useDocumentTitle() {
  const route = useRoute()
  const t = useT()
  watchEffect(() => {
    const key = route.meta.titleKey
    document.title = key ? t(key) : t('app.name')
  })
}
