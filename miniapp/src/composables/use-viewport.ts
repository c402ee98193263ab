import { onScopeDispose, readonly, ref } from 'vue'

/** From this width on the app shows the desktop layout (side navigation, wider content). */
export const DESKTOP_MIN_WIDTH = 960
/** From this width on, lists show the opened record beside them (list and detail side by side). */
export const SPLIT_MIN_WIDTH = 1024

/** Whether the viewport is desktop-sized, following resizes (Feishu/DingTalk on a PC, a browser tab). */
export function useViewport() {
  return { isDesktop: useMinWidth(DESKTOP_MIN_WIDTH) }
}

/** Whether the viewport is wide enough for list and detail side by side. */
export function useSplitViewport() {
  return { isWide: useMinWidth(SPLIT_MIN_WIDTH) }
}

function useMinWidth(px: number) {
  const query =
    typeof window !== 'undefined' && typeof window.matchMedia === 'function'
      ? window.matchMedia(`(min-width: ${px}px)`)
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
  return readonly(isDesktop)
}
