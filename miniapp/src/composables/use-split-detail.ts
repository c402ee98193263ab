import { computed } from 'vue'
import { type RouteLocationRaw, useRoute, useRouter } from 'vue-router'
import { useSplitViewport } from './use-viewport'

/**
 * List and detail side by side on a wide screen: opening a row keeps the list and shows the record beside
 * it (`?open=<id>`, so the pair survives a reload and the back button); on a phone it opens the record's page.
 */
export function useSplitDetail() {
  const route = useRoute()
  const router = useRouter()
  const { isWide } = useSplitViewport()
  const openId = computed(() => (isWide.value && typeof route.query.open === 'string' ? route.query.open : null))
  function open(id: string, page: RouteLocationRaw): void {
    if (isWide.value) void router.replace({ query: { ...route.query, open: id } })
    else void router.push(page)
  }
  return { isWide, openId, open }
}
