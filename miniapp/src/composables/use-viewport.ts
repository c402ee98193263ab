import { onScopeDispose, readonly, ref } from 'vue'

/** From this width on the app shows the desktop layout (side navigation, wider content). */
export const DESKTOP_MIN_WIDTH = 960

/** Whether the viewport is desktop-sized, following resizes (Feishu/DingTalk on a PC, a browser tab). */
export function useViewport() {
  const query =
    typeof window !== 'undefined' && typeof window.matchMedia === 'function'
      ? window.matchMedia(`(min-width: ${DESKTOP_MIN_WIDTH}px)`)
      : null
  const isDesktop = ref(query?.matches ?? false)
  if (query) {
    const update = (event: { matches: boolean }) => {
      isDesktop.value = event.matches
    }
    // Safari < 14 only has the deprecated addListener API.
    if (typeof query.addEventListener === 'function') {
      query.addEventListener('change', update)
      onScopeDispose(() => query.removeEventListener('change', update))
    } else {
      query.addListener(update)
      onScopeDispose(() => query.removeListener(update))
    }
  }
  return { isDesktop: readonly(isDesktop) }
}
