import { type ApiClient, type ApiClientDeps, createApiClient } from '@/api/client'
import type { SignIn } from './sign-in'

export interface SessionClientDeps {
  session: { readonly token: string | null; clear(): void }
  signIn: SignIn
  /** Called when the session is gone and a silent sign-in did not bring it back (go to the login page). */
  onSignedOut(): void
  getLocale?(): string
  baseUrl?: string
  fetch?: typeof fetch
  takeEarly?: ApiClientDeps['takeEarly']
}

/**
 * The app's API client: the session's bearer token on every call; on 401 the session is dropped, a new
 * one is fetched silently through the platform bridge, and the request is sent once more.
 */
export function createSessionApiClient(deps: SessionClientDeps): ApiClient {
  return createApiClient({
    baseUrl: deps.baseUrl,
    fetch: deps.fetch,
    getLocale: deps.getLocale,
    getToken: () => deps.session.token,
    signingIn: () => deps.signIn.pending(),
    takeEarly: deps.takeEarly,
    async onUnauthorized(rejectedToken) {
      // Another request may already have replaced the token; then just retry with the new one.
      if (deps.session.token && deps.session.token !== rejectedToken) return true
      // A request held for a sign-in that then failed went out without a token: do not try again behind
      // the user's back (in Feishu that is another consent prompt); the login page shows why it failed.
      if (rejectedToken === null && deps.signIn.failed()) {
        deps.onSignedOut()
        return false
      }
      deps.session.clear()
      try {
        if ((await deps.signIn.run()) === 'signed-in') return true
      } catch {
        // Fall through: the login page shows the reason and offers a retry.
      }
      deps.onSignedOut()
      return false
    },
  })
}
