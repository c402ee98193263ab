import { createPinia } from 'pinia'
import { createApp } from 'vue'
import type { Router } from 'vue-router'
import { exchangeLoginCode, fetchMe } from '@/api/auth'
import { installApiClient } from '@/api/index'
import { signFeishuJsapi } from '@/api/platform'
import { appContextKey } from '@/app-context'
import { takeEarlyGet, takeEarlyLogin, withEarlyLogin } from '@/auth/early-exchange'
import { createSessionApiClient } from '@/auth/session-client'
import { createSignIn } from '@/auth/sign-in'
import { readRuntimeConfig } from '@/config'
import { applyLocale, createAppI18n, readStoredLocale } from '@/i18n'
import { createPlatform } from '@/platform/detect'
import { createAppRouter } from '@/router'
import { useSessionStore } from '@/stores/session'
import App from './App.vue'
import './styles/base.css'

const RELOADED_KEY = 'flowcard.chunk-reload'

/** After a deploy the old page may ask for chunks that no longer exist: reload once into the new build. */
function reloadInto(path: string): void {
  try {
    if (sessionStorage.getItem(RELOADED_KEY) === path) return
    sessionStorage.setItem(RELOADED_KEY, path)
  } catch {
    return
  }
  window.location.assign(`${import.meta.env.BASE_URL.replace(/\/$/, '')}${path}`)
}

/** The composition root: every port is built and wired here, by hand. */
async function bootstrap(): Promise<void> {
  const config = readRuntimeConfig({ doc: document, env: import.meta.env })
  const pinia = createPinia()
  const session = useSessionStore(pinia)
  const i18n = createAppI18n()

  const { bridge, freshLogin } = createPlatform({ win: window, config, signFeishuJsapi })
  if (freshLogin) session.clear()

  const exchange = withEarlyLogin(exchangeLoginCode, (code) => takeEarlyLogin(window, code, config.apiBaseUrl))
  const signIn = createSignIn({ bridge, exchange, session })
  let router: Router | null = null
  installApiClient(
    createSessionApiClient({
      session,
      signIn,
      baseUrl: config.apiBaseUrl,
      getLocale: () => i18n.global.locale.value,
      takeEarly: takeEarlyGet(window, config.apiBaseUrl),
      onSignedOut() {
        const current = router?.currentRoute.value
        if (router && current && current.name !== 'login')
          void router.replace({ name: 'login', query: { redirect: current.fullPath } })
      },
    }),
  )

  // With a login code at hand (devchat or a browser sign-in put it in the URL; Feishu hands one out
  // silently) the exchange starts now, while the locale, router and first page load, instead of after a
  // detour through the login page. The page's API calls wait for it; a failure lands on the login page.
  const early =
    !session.hasValidToken() && (freshLogin || bridge.name === 'feishu') ? signIn.run() : null
  early?.catch(() => undefined)

  await applyLocale(i18n.global, readStoredLocale(), { persist: false }).catch(() => undefined)
  router = createAppRouter({ session, onChunkError: reloadInto, signingIn: () => signIn.pending() !== null })

  const app = createApp(App)
  app.use(pinia).use(i18n).use(router)
  app.provide(appContextKey, { bridge, signIn })
  // A failed first navigation (a missing chunk) must not leave a blank page; mount and let onError act.
  const ready = await router.isReady().then(
    () => true,
    () => false,
  )
  app.mount('#app')
  if (ready) {
    try {
      sessionStorage.removeItem(RELOADED_KEY)
    } catch {
      // Ignored: the key only guards against a reload loop.
    }
  }

  // Check-ins queued offline in an earlier visit go out once signed in, whatever page the app opened on.
  const startOfflineQueue = () =>
    void import('@/composables/use-offline-queue').then(({ getOfflineQueue }) => getOfflineQueue().start())
  if (early) {
    // The exchange answered with the profile; no /me needed.
    early.then((result) => result === 'signed-in' && startOfflineQueue(), () => undefined)
  } else if (session.hasValidToken()) {
    // A stored session may name an outdated profile; refresh it quietly (a 401 here re-logs in).
    fetchMe().then(session.setUser, () => undefined)
    startOfflineQueue()
  }
}

void bootstrap()
