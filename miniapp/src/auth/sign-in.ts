import type { AuthResponse } from '@/api/contract'
import type { LoginCode, PlatformBridge } from '@/platform/types'

export type SignInResult = 'signed-in' | 'no-code'

export interface SignIn {
  /**
   * Gets a login code from the bridge and swaps it for a session. Concurrent callers (several requests
   * hitting 401 at once, the login page) share one attempt, since platform codes are single-use.
   * Rejects with `PlatformError` or `ApiError`.
   */
  run(): Promise<SignInResult>
}

export interface SignInDeps {
  bridge: Pick<PlatformBridge, 'getLoginCode'>
  exchange(code: LoginCode): Promise<AuthResponse>
  session: { setSession(auth: AuthResponse): void }
}

export function createSignIn(deps: SignInDeps): SignIn {
  let inFlight: Promise<SignInResult> | null = null

  async function attempt(): Promise<SignInResult> {
    const code = await deps.bridge.getLoginCode()
    if (!code) return 'no-code'
    deps.session.setSession(await deps.exchange(code))
    return 'signed-in'
  }

  return {
    run() {
      inFlight ??= attempt().finally(() => {
        inFlight = null
      })
      return inFlight
    },
  }
}
